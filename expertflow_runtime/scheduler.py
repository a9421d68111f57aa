"""Token scheduler: regroup the sequences of two micro-batches by predicted routing path.

ExpertFlow (arXiv 2410.17954, §III-B) merges two consecutive batches and splits the tokens again
into balanced groups whose predicted paths are similar (Hamming distance), so each group
activates fewer (layer, expert) pairs and every fetched expert serves more tokens. Here a
"token" is the next token of a live sequence (decoder-only serving), so moving it between groups
moves its sequence; the returned permutation is what the engine applies to its KV cache.

Pure bookkeeping: ints and numpy, no model tensors. The scheduler times itself so the cost can
be reported and is counted inside the engine's timed region.

Legend: N sequences in the pool (= groups * group size), L layers, E experts, P = L*E pairs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from expertflow_runtime.errors import BadInput


class SchedulerError(BadInput):
    """Pool shape the scheduler cannot split (e.g. not divisible into equal groups)."""


def activated_pairs(paths: np.ndarray, groups: list[np.ndarray]) -> int:
    """Sum over groups of the (layer, expert) pairs any member activates. paths: bool [N, P]."""
    return int(sum(paths[g].any(axis=0).sum() for g in groups if len(g)))


@dataclass(frozen=True)
class Regrouping:
    """Result of one scheduling decision.

    ``perm``: new pool position i takes old sequence ``perm[i]``; group g is
    ``perm[g*size:(g+1)*size]``. ``identity`` is True when nothing moves (no KV work needed).
    ``pairs_before``/``pairs_after``: activated (layer, expert) pairs summed over groups.
    """

    perm: np.ndarray
    group_size: int
    pairs_before: int
    pairs_after: int
    elapsed_s: float

    @property
    def identity(self) -> bool:
        return bool(np.array_equal(self.perm, np.arange(len(self.perm))))

    @property
    def groups(self) -> list[np.ndarray]:
        s = self.group_size
        return [self.perm[i : i + s] for i in range(0, len(self.perm), s)]

    @property
    def moved(self) -> int:
        """Sequences whose group changed (each one costs a KV-cache row copy)."""
        old_group = np.arange(len(self.perm)) // self.group_size
        return int((old_group[self.perm] != old_group).sum())


@dataclass
class TokenScheduler:
    """Medoid-style balanced k-means over binary predicted paths (Hamming distance).

    Each round: assign every path to a medoid under equal group sizes (greedy on the
    distance matrix, closest pairs first), re-pick each group's medoid as the member with the
    least total distance to its group, stop when assignments repeat. A short pairwise-swap
    pass then lowers the activated pairs directly. The result is never worse than keeping the
    current grouping (then the identity is returned and no KV row moves).
    """

    n_groups: int = 2
    max_iters: int = 8
    swap_passes: int = 2
    seed: int = 0
    total_s: float = 0.0
    calls: int = 0
    history: list[tuple[int, int]] = field(default_factory=list)  # (pairs_before, pairs_after)

    def regroup(self, paths: np.ndarray) -> Regrouping:
        """paths: bool [N, L, E] or [N, P] (predicted path of each sequence's next token)."""
        start = time.perf_counter()
        x = np.asarray(paths, dtype=bool).reshape(len(paths), -1)  # [N, P]
        n = len(x)
        if n == 0 or n % self.n_groups:
            raise SchedulerError(
                f"pool of {n} sequences cannot split into {self.n_groups} equal groups; "
                f"use a pool size divisible by {self.n_groups}"
            )
        size = n // self.n_groups
        identity = np.arange(n)
        current = [identity[i : i + size] for i in range(0, n, size)]
        before = activated_pairs(x, current)
        labels = self._balanced_kmeans(x, size)
        labels = self._swap_improve(x, labels)
        groups = [np.flatnonzero(labels == g) for g in range(self.n_groups)]
        after = activated_pairs(x, groups)
        if after >= before:
            perm, after = identity, before
        else:
            perm = self._stable_perm(groups, size)
        elapsed = time.perf_counter() - start
        self.total_s += elapsed
        self.calls += 1
        self.history.append((before, after))
        return Regrouping(perm=perm, group_size=size, pairs_before=before, pairs_after=after, elapsed_s=elapsed)

    # -- internals ----------------------------------------------------------------------------
    def _balanced_kmeans(self, x: np.ndarray, size: int) -> np.ndarray:
        xi = x.astype(np.int32)
        # Hamming distance matrix [N, N] = |a| + |b| - 2|a & b|
        ones = xi.sum(axis=1)
        dist = ones[:, None] + ones[None, :] - 2 * (xi @ xi.T)
        medoids = self._init_medoids(dist)
        labels = np.full(len(x), -1)
        for _ in range(self.max_iters):
            new = _balanced_assign(dist[:, medoids], size)
            if np.array_equal(new, labels):
                break
            labels = new
            for g in range(self.n_groups):
                members = np.flatnonzero(labels == g)
                within = dist[np.ix_(members, members)].sum(axis=1)
                medoids[g] = members[int(np.argmin(within))]
        return labels

    def _init_medoids(self, dist: np.ndarray) -> np.ndarray:
        # Farthest-point start: deterministic and spreads the medoids across the path space.
        start = int(np.random.default_rng(self.seed).integers(len(dist)))
        medoids = [int(np.argmax(dist[start]))]  # one end of a long diameter
        while len(medoids) < self.n_groups:
            medoids.append(int(np.argmax(dist[:, medoids].min(axis=1))))
        return np.array(medoids)

    def _swap_improve(self, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Best-improvement swaps between pairs of groups on the exact objective."""
        xi = x.astype(np.int32)
        labels = labels.copy()
        for _ in range(self.swap_passes):
            improved = False
            for g in range(self.n_groups):
                for h in range(g + 1, self.n_groups):
                    a, b = np.flatnonzero(labels == g), np.flatnonzero(labels == h)
                    ca, cb = xi[a].sum(axis=0), xi[b].sum(axis=0)  # [P] member counts
                    base = int((ca > 0).sum() + (cb > 0).sum())
                    # after swapping a_i <-> b_j: counts ca - x_ai + x_bj, cb - x_bj + x_ai
                    new_a = ca[None, None, :] - xi[a][:, None, :] + xi[b][None, :, :]  # [na, nb, P]
                    new_b = cb[None, None, :] - xi[b][None, :, :] + xi[a][:, None, :]
                    cost = (new_a > 0).sum(axis=2) + (new_b > 0).sum(axis=2)  # [na, nb]
                    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
                    if cost[i, j] < base:
                        labels[a[i]], labels[b[j]] = h, g
                        improved = True
            if not improved:
                break
        return labels

    def _stable_perm(self, groups: list[np.ndarray], size: int) -> np.ndarray:
        """Order the new groups to keep as many sequences in their old group as possible, and
        keep each sequence's old position when it stays (fewer KV rows to move)."""
        n = size * len(groups)
        old_group = np.arange(n) // size
        free = list(range(len(groups)))
        slot_of: dict[int, np.ndarray] = {}
        for g in sorted(range(len(groups)),
                        key=lambda g: -np.bincount(old_group[groups[g]], minlength=len(groups)).max()):
            counts = np.bincount(old_group[groups[g]], minlength=len(groups))
            target = max(free, key=lambda t: counts[t])
            free.remove(target)
            slot_of[target] = groups[g]
        perm = np.empty(n, dtype=np.int64)
        for t in range(len(groups)):
            members = slot_of[t]
            stay = sorted(int(m) for m in members if old_group[m] == t)
            come = sorted(int(m) for m in members if old_group[m] != t)
            positions = list(range(t * size, (t + 1) * size))
            for m in stay:
                perm[m] = m
                positions.remove(m)
            for pos, m in zip(positions, come):
                perm[pos] = m
        return perm

    def mean_s(self) -> float:
        return self.total_s / self.calls if self.calls else 0.0


def _balanced_assign(dist_to_medoids: np.ndarray, size: int) -> np.ndarray:
    """Equal-size assignment: closest (point, group) pairs first, each group capped at `size`.

    dist_to_medoids: [N, G]. Ties prefer the lower group, then the lower point index.
    """
    n, g = dist_to_medoids.shape
    flat = np.argsort(dist_to_medoids, axis=None, kind="stable")
    labels = np.full(n, -1)
    room = np.full(g, size)
    for f in flat:
        i, k = divmod(int(f), g)
        if labels[i] < 0 and room[k] > 0:
            labels[i] = k
            room[k] -= 1
    return labels
