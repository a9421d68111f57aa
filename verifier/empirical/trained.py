"""The trained tiny models the cpu backend runs, kept under ``runtime_dir`` across checks.

A tiny preset is trained once per data home (``expertflow_runtime.training.train``, a short
time budget), its routing traces recorded, and — for decoder-only families — the routing-path
predictor fitted on those traces, so ExpertFlow predicts routes it has learned. Later checks, in
this process or another (a Ray worker on the same node), reuse the files. A file lock keeps two
processes from training the same preset at once.

``ensure_all`` trains several missing presets side by side, one process each: training a tiny
model is single-threaded (see ``expertflow_runtime.bench.set_cpu_threads``), so on a machine with
two cores two presets cost the wall time of one.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from expertflow_runtime.presets import from_name
from expertflow_runtime.trace import RoutingTrace

# Of the training budget, spent fitting the routing-path predictor. Its held-out top-k recall on
# a trained mixtral-tiny is flat past a few epochs (0.937, 0.941, 0.933 at 5, 10 and 20 s), so a
# quarter of the budget (10 s of 40) buys the same predictor as half did.
PREDICTOR_SHARE = 0.25
# Sequences whose routes are recorded after training (train and held-out split each): enough for
# the predictor and for the simulator's batch-16 workloads, a quarter of `runtime train`'s cost.
TRACE_SEQUENCES = 32


@dataclass(frozen=True)
class TrainedModel:
    """A checkpoint directory with its recorded traces; ``predictor`` False for Switch (the
    runtime's predictor reads decoder-only sequences)."""

    preset: str
    path: Path
    predictor: bool

    @property
    def train_trace(self) -> Path:
        return self.path / "traces" / "train.npz"

    def popularity(self) -> list[list[float]]:
        """[L][E] routing profile of the training trace (for the static policy)."""
        return RoutingTrace.load(self.train_trace).popularity().tolist()


def _model_complete(ckpt: Path) -> bool:
    # runtime.json is written last by the runtime's train(): a killed training leaves none.
    return (ckpt / "runtime.json").is_file() and (ckpt / "traces" / "heldout.npz").is_file()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _has_predictor(preset) -> bool:
    """The runtime's predictor reads decoder-only sequences: every family but Switch."""
    return preset.family != "switch"


def _complete(ckpt: Path, predictor: bool) -> bool:
    from expertflow_runtime.predictor.model import PREDICTOR_FILE

    have = _model_complete(ckpt)
    return have and (not predictor or (ckpt / PREDICTOR_FILE).is_file())


def ensure_trained(preset_name: str, runtime_dir: Path, budget_s: float) -> TrainedModel:
    """The trained ``preset_name`` under ``runtime_dir/<preset>``; trains it first when missing.

    ``budget_s``: seconds for the language model; the predictor gets ``PREDICTOR_SHARE`` of it.
    """
    preset = from_name(preset_name)
    ckpt = Path(runtime_dir) / preset.name
    predictor = _has_predictor(preset)
    if _complete(ckpt, predictor):
        return TrainedModel(preset.name, ckpt, predictor)
    with _locked(Path(runtime_dir) / f".{preset.name}.lock"):
        if not _model_complete(ckpt):
            from expertflow_runtime.training import train

            train(preset, max_seconds=budget_s, out_dir=ckpt, trace_sequences=TRACE_SEQUENCES)
        if predictor and not _complete(ckpt, predictor):
            from expertflow_runtime.predictor.training import fit_from_checkpoint

            traces = [ckpt / "traces" / "train.npz", ckpt / "traces" / "heldout.npz"]
            fit_from_checkpoint(preset.name, ckpt, traces=traces, seconds=budget_s * PREDICTOR_SHARE)
    return TrainedModel(preset.name, ckpt, predictor)


def missing(preset_names: Iterable[str], runtime_dir: Path) -> list[str]:
    """The presets of ``preset_names`` (in order, once each) not yet trained under ``runtime_dir``."""
    out = []
    for name in dict.fromkeys(preset_names):
        preset = from_name(name)
        if not _complete(Path(runtime_dir) / preset.name, _has_predictor(preset)):
            out.append(preset.name)
    return out


def ensure_all(preset_names: Iterable[str], runtime_dir: Path, budget_s: float,
               progress: Callable[[str], None] | None = None) -> list[TrainedModel]:
    """Every preset of ``preset_names`` trained under ``runtime_dir``; the missing ones are
    trained in parallel processes (as many as there are cores), each on one thread."""
    names = list(dict.fromkeys(from_name(n).name for n in preset_names))
    todo = missing(names, runtime_dir)
    workers = min(len(todo), os.cpu_count() or 1)
    if todo and progress:
        how = f"{workers} at a time" if workers > 1 else "one at a time"
        progress(f"training {', '.join(todo)} ({budget_s:g} s each + predictor, {how}); "
                 "once per data home")
    if workers > 1:
        # spawn, not fork: a forked child inherits torch's thread pools in an unusable state
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for future in [pool.submit(ensure_trained, n, Path(runtime_dir), budget_s) for n in todo]:
                future.result()  # a failed training raises here, with the child's error
    return [ensure_trained(n, Path(runtime_dir), budget_s) for n in names]


def start_training(preset_names: Iterable[str], runtime_dir: Path, budget_s: float,
                   progress: Callable[[str], None] | None = None) -> dict[str, Future]:
    """Start training the missing presets of ``preset_names`` in background processes (as many
    as there are cores, one thread each) and return at once: a future per preset, done when it
    is trained. Work that needs no trained model goes on meanwhile."""
    todo = missing([from_name(n).name for n in preset_names], runtime_dir)
    if not todo:
        return {}
    workers = min(len(todo), os.cpu_count() or 1)
    if progress:
        progress(f"training {', '.join(todo)} in the background ({budget_s:g} s each + predictor, "
                 f"{workers} at a time); once per data home")
    # spawn, not fork: a forked child inherits torch's thread pools in an unusable state
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    futures = {n: pool.submit(ensure_trained, n, Path(runtime_dir), budget_s) for n in todo}
    pool.shutdown(wait=False)  # the submitted trainings still run; the pool closes after them
    return futures
