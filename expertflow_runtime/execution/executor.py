"""The executor: carries out a ``Plan`` on the slot table. The only module holding device slots.

Slots are a fixed pool of ``capacity`` flat device buffers allocated once (the memory budget);
``slot_of`` maps an expert to its slot from the moment its copy is issued until it is evicted.
Copies go through a ``Link`` (links.py). Invariants checked on every op, each a ``PlanError``:

* slots in use (resident + in flight) never exceed ``capacity``;
* COMPUTE only on a held expert (waiting for it if its copy is in flight: a LOAD jumps the
  queue of prefetches but, like them, is waited for by the compute that reads it);
* EVICT only a held expert; LOAD/PREFETCH only with a free slot.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from expertflow_runtime.execution.links import Link, Transfer
from expertflow_runtime.execution.store import ExpertStore
from expertflow_runtime.plan import CacheView, ExecResult, ExpertKey, OpKind, Plan, PlanError

# compute(key, (first, second)) runs one expert with its weights as views into its slot.
ComputeFn = Callable[[ExpertKey, tuple[torch.Tensor, torch.Tensor]], None]


class Executor:
    def __init__(self, store: ExpertStore, capacity: int, link: Link, device: torch.device,
                 num_layers: int, num_experts: int):
        self.store, self.link, self.device = store, link, device
        self.capacity, self.num_layers, self.num_experts = capacity, num_layers, num_experts
        layout = store.layout
        self.slots = [torch.empty(layout.numel, dtype=layout.dtype, device=device)
                      for _ in range(capacity)]
        self._free = list(range(capacity - 1, -1, -1))
        self.slot_of: dict[ExpertKey, int] = {}
        self.pending: dict[ExpertKey, Transfer] = {}
        self._unused_prefetch: set[ExpertKey] = set()
        self.peak_slots = 0
        self.step = 0

    # -- the policy's picture ---------------------------------------------------------------
    def _poll(self) -> None:
        for k in [k for k, t in self.pending.items() if t.done()]:
            del self.pending[k]

    def view(self) -> CacheView:
        self._poll()
        in_flight = frozenset(self.pending)
        resident = frozenset(k for k in self.slot_of if k not in self.pending)
        return CacheView(self.capacity, self.num_layers, self.num_experts, resident, in_flight,
                         self.step)

    # -- carrying out a plan ----------------------------------------------------------------
    def begin_step(self, step: int, tokens: int) -> None:
        """An engine step starts (its forward's time is the model's own: nothing to add)."""
        self.step = step

    def warm(self, plan: Plan) -> None:
        """Carry out a warm start and wait for its copies."""
        self.execute(plan)
        self.drain()

    def _take_slot(self, key: ExpertKey) -> int:
        if not self._free:
            raise PlanError(f"no free slot for {tuple(key)}: {self.capacity} slots all in use")
        slot = self._free.pop()
        self.slot_of[key] = slot
        self.peak_slots = max(self.peak_slots, len(self.slot_of))
        return slot

    def _await_copy(self, key: ExpertKey, res: ExecResult, loaded: bool = False) -> None:
        """Before ``key`` is used: wait for its copy if it is still in flight (a late prefetch,
        or a miss's load)."""
        pending = self.pending.pop(key, None)
        if pending is not None:
            waited = pending.wait()
            res.stall_s += waited
            res.late_prefetch_waits += int(waited > 0 and not loaded)

    def execute(self, plan: Plan, compute: ComputeFn | None = None) -> ExecResult:
        res = ExecResult()
        t0 = time.perf_counter()
        loaded_here: set[ExpertKey] = set()
        layout = self.store.layout
        for op in plan.ops:
            k = op.key
            if op.kind is OpKind.EVICT:
                if k not in self.slot_of:
                    raise PlanError(f"evict of {tuple(k)}, which holds no slot")
                pending = self.pending.pop(k, None)
                if pending is not None:
                    res.stall_s += pending.wait()
                if k in self._unused_prefetch:
                    self._unused_prefetch.discard(k)
                    res.wasted.append(k)
                slot = self.slot_of.pop(k)
                self.link.release(self.slots[slot])
                self._free.append(slot)
                res.evicted.append(k)
            elif op.kind is OpKind.LOAD:
                if k in self.slot_of:  # already held: its prefetch is on the way
                    continue
                slot = self._take_slot(k)
                self.pending[k] = self.link.submit(self.store.host(k), self.slots[slot],
                                                   high_priority=True)
                res.bytes_moved += self.pending[k].nbytes
                res.loaded.append(k)
                loaded_here.add(k)
            elif op.kind is OpKind.PREFETCH:
                if k in self.slot_of:
                    continue
                slot = self._take_slot(k)
                self.pending[k] = self.link.submit(self.store.host(k), self.slots[slot],
                                                   high_priority=False)
                res.bytes_moved += self.pending[k].nbytes
                res.prefetched.append(k)
                self._unused_prefetch.add(k)
            elif op.kind is OpKind.COMPUTE:
                if compute is None:
                    raise PlanError(f"compute of {tuple(k)} in a plan without a layer")
                if k not in self.slot_of:
                    raise PlanError(f"compute of {tuple(k)}, which is not resident")
                self._await_copy(k, res, loaded=k in loaded_here)
                self._unused_prefetch.discard(k)
                (res.misses if k in loaded_here else res.hits).append(k)
                compute(k, layout.views(self.slots[self.slot_of[k]]))
        res.peak_slots = self.peak_slots
        res.wall_s = time.perf_counter() - t0
        return res

    def drain(self) -> float:
        """Wait for every copy in flight; returns the seconds waited."""
        waited = sum(t.wait() for t in self.pending.values())
        self.pending.clear()
        return waited

    def close(self) -> None:
        self.drain()
        self.link.close()
