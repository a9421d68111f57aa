"""What an experiment really runs (``Scale``) and the measuring contract every backend keeps.

A backend turns an ``ExperimentSpec`` (full-scale cache and batch) into a ``Scale`` and measures
policies there in interleaved repeats: within every repeat each policy runs once, in alternating
order (A B, then B A), so a machine that slows down mid-way slows every policy alike and the
ratios of one repeat are paired. Measurements are memoised per (scale, repeats) for the life of the
backend object, so checks of one run that share an experiment run it once; a request whose
policies were not all measured together is run afresh, so ratios are only ever taken within one
interleaved set.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path

from verifier.empirical.types import ExperimentSpec

PROMPT_LEN = 16  # tokens per prompt (bytes for the tiny presets); short, so prefill does not swamp decode
NEW_TOKENS = 8  # greedy decode steps per run: five repeats of every policy at two scales must fit
REPEATS = 5  # interleaved repeats per policy and scale (the verdict's median and interval)
MAX_CPU_BATCH = 16  # per micro-batch on the cpu backend (and the small simulated variant)
GROUPS = 2  # micro-batches per round: ExpertFlow's scheduler merges two consecutive batches


@dataclass(frozen=True)
class Training:
    """A small model training in a background process: ``done`` resolves when it is trained."""

    preset: str
    done: Future


@dataclass(frozen=True)
class Scale:
    """What a backend really runs. ``budget``: experts per MoE layer at this scale."""

    backend: str
    preset: str
    num_experts: int
    moe_layers: int
    budget: int
    batch: int
    profile: str
    link: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def simulated(self) -> bool:
        return self.backend == "simulated"


def scaled_budget(cache_size: int, full_experts: int, small_experts: int) -> int:
    """The same fraction of experts per layer on a model with ``small_experts`` experts."""
    return max(1, min(small_experts, round(cache_size / full_experts * small_experts)))


def alternating(policies: list[str], repeat: int) -> list[str]:
    """The order policies run in within ``repeat``: forward on even repeats, reversed on odd."""
    return list(policies) if repeat % 2 == 0 else list(reversed(policies))


class Backend(ABC):
    """Runs experiments at one scale; subclasses say how (cpu, simulated, cuda)."""

    name = ""

    def __init__(self, runtime_dir: Path, train_budget_s: float) -> None:
        self.runtime_dir, self.train_budget_s = Path(runtime_dir), train_budget_s
        # per (scale, repeats): every interleaved set measured, each a dict policy -> rows
        self._memo: dict[tuple[Scale, int], list[dict[str, list[dict]]]] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def scale(self, spec: ExperimentSpec) -> Scale:
        """The small scale this backend runs ``spec`` at (the small variant, or the GPU's layers)."""

    @abstractmethod
    def caveats(self, spec: ExperimentSpec, scale: Scale) -> list[str]:
        """What a reader must know about results at this scale."""

    @abstractmethod
    def _run(self, scale: Scale, policies: list[str], repeats: int) -> dict[str, list[dict]]:
        """Per policy, the runtime's result row of every repeat, the repeats interleaved."""

    def needs_training(self, spec: ExperimentSpec) -> bool:
        """Whether running ``spec`` waits for a model still to be trained; False by default."""
        return False

    def small_not_run(self, spec: ExperimentSpec) -> str | None:
        """Why the small scale cannot run ``spec`` on this backend; None when it can."""
        return None

    @abstractmethod
    def full_size(self) -> Backend:
        """The backend that runs the full-size scale of a check (the simulator)."""

    def prepare(self, specs: list[ExperimentSpec], progress=None) -> list[Training | None]:
        """Make ready, before the first experiment, what the experiments of ``specs`` need
        (the cpu backend starts training its small models, side by side); per spec, the
        background training its run waits for (None: it can run now). Nothing by default."""
        return [None] * len(specs)

    def measure(self, scale: Scale, policies: list[str], repeats: int = REPEATS) -> dict[str, list[dict]]:
        """Per policy, one result row (tokens_per_s, hit_rate, peak_slots, ...) per repeat."""
        with self._lock:  # one experiment at a time: they share the cores and would skew times
            sets = self._memo.setdefault((scale, repeats), [])
            for rows in sets:
                if all(p in rows for p in policies):
                    return {p: rows[p] for p in policies}
            rows = self._run(scale, list(dict.fromkeys(policies)), repeats)
            sets.append(rows)
            return {p: rows[p] for p in policies}
