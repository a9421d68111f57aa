"""The replay planner of ExpertFlow's cache (and of ``belady``): Belady's rule on the known
future, each copy issued as early as a slot frees. Pure: ids in, ``Op`` lists out.

A host class provides ``self.ahead`` (the next step's predicted keys, delivery order),
``self.penalty`` (consecutive mispredictions per key) and ``self.last_use`` (a recency clock),
and calls ``_init_replay()`` once. ``_plan`` replays the future and returns the ops it can issue
now, keeping the rest as a schedule; ``_follow`` carries that schedule out at a later layer, or
returns None when it no longer holds and the host must replay.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque

from expertflow_runtime.plan import CacheView, ExpertKey, Op, OpKind

# Known futures up to this many keys are replayed at every layer (under ~0.3 ms on this
# machine); longer ones (full-size tables: 450+ keys) are replayed once per step and followed.
REPLAY_EVERY_LAYER_UP_TO = 160


class ReplayPlanner:
    pure_belady = False  # True: every predicted key ranks by its next use alone (no step split)
    ahead: list[ExpertKey]
    penalty: dict[ExpertKey, int]
    last_use: dict[ExpertKey, int]

    def _init_replay(self) -> None:
        self._issue_seq = itertools.count(1)
        self.issued: dict[ExpertKey, int] = {}  # key -> order its prefetch was issued in
        self._deferred_copies: deque[ExpertKey] = deque()  # the last replay's copies not issued
        self._deferred_leave: dict[ExpertKey, int] = {}  # their victims -> layer of last use
        self._replay_len = 0  # keys in the last replay's known future
        self._uses_now: dict[ExpertKey, int] = {}  # key -> first position this step, last replay
        self._uses_ahead: dict[ExpertKey, int] = {}  # key -> first position in the next step

    def _follow(self, layer: int, order: list[ExpertKey], view: CacheView) -> list[Op] | None:
        """This layer's ops from the last replay's schedule, or None when it no longer holds.

        A replay per layer cost ~3 ms per layer on full-size tables, so the replay made at step
        start (or at the last layer that broke it) is carried out layer by layer: each victim
        leaves right after its last use this step (after the layer, if it was mispredicted and
        never computed) and its slot goes to the next copy in the replay's order. An expert no
        prediction named is LOADed into a free slot, else into the slot of the held expert
        needed last (Belady on the replay's positions, ``_victims``). None when a needed
        expert's copy would come only after its compute: the caller replays.
        """
        needed = set(order)
        queue = self._deferred_copies
        while queue and queue[0].layer <= layer and queue[0] not in needed:
            queue.popleft()  # predicted for this layer, not routed here: its copy lapses
        queued: dict[ExpertKey, int] = {}  # first place in the queue (a key may come again)
        for i, k in zip(range(4 * len(order) + 8), queue):
            queued.setdefault(k, i)
        held = [k for k in order if view.held(k)]
        unnamed = [k for k in order if not view.held(k) and k not in queued]
        waiting = sorted((k for k in order if not view.held(k) and k in queued), key=queued.__getitem__)
        queue, leaving = deque(queue), dict(self._deferred_leave)
        ops: list[Op] = []
        have = set(view.resident | view.in_flight)  # held as the ops so far leave it
        slots = view.free

        def issue() -> None:
            nonlocal slots
            # a key still held is copied again only after it leaves (its next-step copy)
            while queue and slots > 0 and queue[0] not in have:
                k = queue.popleft()
                # this layer's own experts go on the high-priority path, as misses
                ops.append(Op(OpKind.LOAD, k) if k in needed else self._prefetch(k))
                have.add(k)
                slots -= 1

        def release(k: ExpertKey) -> None:
            nonlocal slots
            leaving.pop(k, None)
            have.discard(k)
            ops.append(Op(OpKind.EVICT, k))
            slots += 1

        # keys whose last use this step is here but which this layer does not compute (a
        # misprediction) leave before the computes, so the copies behind them are not held up
        for k in [k for k, at in leaving.items() if at <= layer and k not in needed]:
            if k in have:
                release(k)
            else:  # never copied: its copy and its leaving both lapse
                leaving.pop(k)
                if k in queue:
                    queue.remove(k)
        issue()
        spare: list[ExpertKey] = []  # victims for unpredicted misses, needed last at the end
        for k in unnamed:
            if slots == 0:
                if not spare:
                    spare = self._victims(layer, view, have - needed)
                while spare and spare[-1] not in have:
                    spare.pop()
                if not spare:
                    return None
                release(spare.pop())
            ops.append(Op(OpKind.LOAD, k))
            have.add(k)
            slots -= 1
        for k in held + unnamed + waiting:
            if k not in have:
                return None
            ops.append(Op(OpKind.COMPUTE, k))
            if leaving.get(k, -1) == layer:
                release(k)
                issue()
        self._deferred_copies, self._deferred_leave = queue, leaving
        return ops

    def _victims(self, layer: int, view: CacheView, have: set[ExpertKey]) -> list[ExpertKey]:
        """Victims for misses no one predicted: the held keys of ``have`` (the layer's needed
        ones left out), the one needed last at the END (by the last replay's positions: this
        step's later layers, then the next step's, then never)."""
        never = 1 << 30

        def next_use(h: ExpertKey) -> int:
            if h.layer > layer and h in self._uses_now:
                return self._uses_now[h]
            return self._uses_ahead.get(h, never)

        landed = sorted((h for h in view.resident if h in have), key=next_use)
        flying = sorted((h for h in view.in_flight if h in have), key=next_use)
        return flying + landed  # popped from the end: landed first (evicting a copy waits)

    # -- internals ----------------------------------------------------------------------------
    def _plan(self, view: CacheView, computes: list[ExpertKey], rest: list[ExpertKey]) -> list[Op]:
        """Belady's replacements over the known future, each copy issued as early as it can be.

        The future is ``computes`` (this layer's experts, in compute order), then ``rest`` (this
        step's predicted keys of later layers), then ``self.ahead`` (the next step's). Replaying
        it on the held set, a missing key takes a free slot or gives up the held key that is
        needed last: first keys no prediction mentions (mispredicted ones, then least recently
        used), then keys only the next step needs (the one free soonest: a copy can start only
        once its victim's last use is computed), then this step's keys used furthest ahead
        (Belady). That is close to the fewest copies that serve the future. Every copy is then
        issued in the order of need as soon as a slot is free: a victim leaves once its last use
        before its replacement has been computed. This layer's missing experts load on the
        high-priority path (ahead of queued prefetches) while the landed ones compute; the rest
        are prefetches.
        """
        seq = computes + rest + self.ahead
        self._replay_len = len(seq)
        never, horizon = len(seq), len(computes) + len(rest)  # next step's uses start at horizon
        following = [never] * len(seq)  # following[i]: the next position of seq[i] after i
        first: dict[ExpertKey, int] = {}
        for i in range(len(seq) - 1, -1, -1):
            following[i] = first.get(seq[i], never)
            first[seq[i]] = i
        seen: dict[ExpertKey, int] = {}  # key -> its last position replayed so far

        n_computes, pure, penalty, last_use = len(computes), self.pure_belady, self.penalty, self.last_use

        def rank(h: ExpertKey) -> tuple[int, int, int, int]:
            """Smaller = given up first (a min-heap). Changes only when ``h`` itself is replayed."""
            last = seen.get(h, -1)
            nu = following[last] if last >= 0 else first.get(h, never)
            if nu >= never:  # no predicted use left: free within this plan first
                return (-2, -(last < n_computes), -penalty.get(h, 0), last_use.get(h, -1))
            if nu >= horizon and not pure:  # only the next step wants it: the one free soonest
                return (-1, last, -nu, 0)
            return (0, -nu, 0, 0)  # Belady: needed furthest ahead

        heap: list[tuple[tuple[int, int, int, int], int, ExpertKey]] = []  # lazy: stale entries skipped
        version: dict[ExpertKey, int] = {}
        push = heapq.heappush

        def touch(h: ExpertKey) -> None:
            v = version[h] = version.get(h, 0) + 1
            push(heap, (rank(h), v, h))

        held = set(view.resident | view.in_flight)
        for h in held:
            touch(h)
        free = view.free
        leave: list[tuple[int, ExpertKey]] = []  # (computes done before it may go, victim)
        copies: list[tuple[int, ExpertKey]] = []  # (position of its first use, key)
        for i, k in enumerate(seq):
            if k not in held:
                if free > 0:
                    free -= 1
                elif held:
                    while True:
                        _, ver, victim = heapq.heappop(heap)
                        if victim in held and version[victim] == ver:
                            break
                    held.discard(victim)
                    leave.append((seen.get(victim, -1) + 1, victim))
                else:
                    raise ValueError(f"no slot for {tuple(k)} in a table of {view.capacity}")
                held.add(k)
                copies.append((i, k))
            seen[k] = i
            touch(k)

        ops: list[Op] = []
        slots = view.free
        leave.sort(key=lambda x: x[0])
        ci = li = 0
        for done in range(len(computes) + 1):  # ``done`` computes issued so far
            while li < len(leave) and leave[li][0] <= done:
                ops.append(Op(OpKind.EVICT, leave[li][1]))
                slots += 1
                li += 1
            while ci < len(copies) and slots > 0:
                pos, k = copies[ci]
                ops.append(Op(OpKind.LOAD, k) if pos < len(computes) else self._prefetch(k))
                slots -= 1
                ci += 1
            if done < len(computes):
                if ci < len(copies) and copies[ci][0] == done:
                    raise ValueError(f"no slot for {tuple(computes[done])} when it is computed")
                ops.append(Op(OpKind.COMPUTE, computes[done]))
        # the rest of the schedule, carried out layer by layer while predictions hold: each
        # victim leaves after its last use this step (its own layer; never, if the next step's)
        self._uses_now, self._uses_ahead = {}, {}
        for i in range(len(computes), len(seq)):
            (self._uses_now if i < horizon else self._uses_ahead).setdefault(seq[i], i)
        self._deferred_copies = deque(k for _, k in copies[ci:])
        # (a key may leave twice: after its use here, and again after a copy for the next step;
        # only the first matters before the next replay)
        self._deferred_leave = {}
        for at, v in leave[li:]:
            self._deferred_leave.setdefault(v, v.layer if at - 1 < horizon else 1 << 30)
        return ops

    def _prefetch(self, key: ExpertKey) -> Op:
        self.issued[key] = next(self._issue_seq)
        return Op(OpKind.PREFETCH, key)
