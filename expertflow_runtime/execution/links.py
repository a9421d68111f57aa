"""Host-to-device links: the only place where expert bytes move.

* ``none``: a plain synchronous copy into the slot, no modelled cost (mechanics only).
* ``emulated:<profile>``: CPU only. One worker thread is the link: it performs the copy and then
  sleeps until the copy's modelled end: ``nbytes * seconds_per_byte`` after it was issued or
  after the previous copy's modelled end, whichever is later. ``seconds_per_byte`` is chosen by
  the engine so that the transfer:compute ratio of the hardware profile is preserved on this CPU
  (see ``engine.calibrate_emulation``). Misses jump the queue ahead of prefetches but do not preempt
  the copy in progress, as on a real DMA engine. Compute stays real.
* ``cuda``: real asynchronous copies from pinned host memory; prefetches on a low-priority stream,
  misses on a high-priority stream. A slot is not overwritten before the compute that read its
  previous expert has finished (a per-slot event recorded at eviction).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass

import torch

from expertflow_runtime.errors import BadInput, UnknownNameError
from expertflow_runtime.presets import PROFILES, HardwareProfile, profile_from_name

LINK_KINDS = ("none", "cuda", "emulated:<profile>")


@dataclass(frozen=True)
class LinkSpec:
    kind: str  # "none" | "cuda" | "emulated"
    profile: HardwareProfile | None = None

    @property
    def label(self) -> str:
        return f"emulated:{self.profile.name}" if self.kind == "emulated" else self.kind


def parse_link(spec: str) -> LinkSpec:
    """``none`` | ``cuda`` | ``emulated:<profile>``; bad input raises with the valid forms."""
    if spec in ("none", "cuda"):
        if spec == "cuda" and not torch.cuda.is_available():
            raise BadInput("link 'cuda' needs a CUDA device; valid here: none, "
                                    + ", ".join(f"emulated:{p}" for p in PROFILES))
        return LinkSpec(spec)
    if spec.startswith("emulated:"):
        return LinkSpec("emulated", profile_from_name(spec.split(":", 1)[1]))
    raise UnknownNameError("link", spec, ["none", "cuda"] + [f"emulated:{p}" for p in PROFILES])


class Transfer:
    """One issued copy. ``wait()`` blocks until it landed and returns the seconds waited."""

    def __init__(self, nbytes: int):
        self.nbytes = nbytes
        self._event = threading.Event()

    def done(self) -> bool:
        return self._event.is_set()

    def wait(self) -> float:
        if self._event.is_set():
            return 0.0
        t0 = time.perf_counter()
        self._event.wait()
        return time.perf_counter() - t0

    def _finish(self) -> None:
        self._event.set()


class Link:
    label = "none"

    def submit(self, src: torch.Tensor, dst: torch.Tensor, high_priority: bool) -> Transfer:
        dst.copy_(src)
        t = Transfer(src.numel() * src.element_size())
        t._finish()
        return t

    def release(self, dst: torch.Tensor) -> None:
        """The slot ``dst`` is free: its last reader has been issued."""

    def close(self) -> None:
        pass


class EmulatedLink(Link):
    def __init__(self, profile: HardwareProfile, seconds_per_byte: float):
        self.label = f"emulated:{profile.name}"
        self.seconds_per_byte = seconds_per_byte
        self._q: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = itertools.count()
        self._worker = threading.Thread(target=self._run, name="emulated-link", daemon=True)
        self._worker.start()

    def submit(self, src: torch.Tensor, dst: torch.Tensor, high_priority: bool) -> Transfer:
        t = Transfer(src.numel() * src.element_size())
        self._q.put((0 if high_priority else 1, next(self._seq), src, dst, t, time.perf_counter()))
        return t

    def _run(self) -> None:
        free_at = 0.0  # when the modelled link finished its last copy
        while True:
            _, _, src, dst, t, issued = self._q.get()
            if t is None:
                return
            # The modelled copy starts when it was issued or when the link came free, whichever
            # is later; deadlines, not sleep lengths, so that an oversleep of this thread (about
            # 0.1 ms per wake-up here) does not add up into a slower link than the profile's.
            start = max(issued, free_at)
            dst.copy_(src)
            free_at = start + t.nbytes * self.seconds_per_byte
            left = free_at - time.perf_counter()
            if left > 0:
                time.sleep(left)
            t._finish()

    def close(self) -> None:
        self._q.put((2, next(self._seq), None, None, None, 0.0))
        self._worker.join(timeout=5)


class CudaTransfer(Transfer):
    def __init__(self, nbytes: int, event: torch.cuda.Event):
        super().__init__(nbytes)
        self.event = event

    def done(self) -> bool:
        return self.event.query()

    def wait(self) -> float:
        t0 = time.perf_counter()
        if not self.event.query():
            self.event.synchronize()
        torch.cuda.current_stream().wait_event(self.event)  # compute reads after the copy
        return time.perf_counter() - t0


class CudaLink(Link):
    label = "cuda"

    def __init__(self, device: torch.device):
        self.device = device
        lo, hi = torch.cuda.Stream.priority_range()  # (low=0, high=-1 or lower)
        self.prefetch_stream = torch.cuda.Stream(device=device, priority=lo)
        self.miss_stream = torch.cuda.Stream(device=device, priority=hi)
        self._freed: dict[int, torch.cuda.Event] = {}

    def submit(self, src: torch.Tensor, dst: torch.Tensor, high_priority: bool) -> Transfer:
        stream = self.miss_stream if high_priority else self.prefetch_stream
        freed = self._freed.pop(dst.data_ptr(), None)
        with torch.cuda.stream(stream):
            if freed is not None:
                stream.wait_event(freed)  # never overwrite weights a queued kernel still reads
            dst.copy_(src, non_blocking=True)
            ev = torch.cuda.Event()
            ev.record(stream)
        return CudaTransfer(src.numel() * src.element_size(), ev)

    def release(self, dst: torch.Tensor) -> None:
        ev = torch.cuda.Event()
        ev.record(torch.cuda.current_stream())
        self._freed[dst.data_ptr()] = ev


def measure_h2d_bandwidth(device: torch.device, nbytes: int = 256 << 20, repeats: int = 5) -> float:
    """Achieved pinned host-to-device bandwidth in bytes/s (best of ``repeats``)."""
    src = torch.empty(nbytes, dtype=torch.uint8, pin_memory=True)
    dst = torch.empty(nbytes, dtype=torch.uint8, device=device)
    best = float("inf")
    for _ in range(repeats):
        torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        dst.copy_(src, non_blocking=True)
        torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - t0)
    return nbytes / best
