"""What every stage gets besides the state: settings, the database, progress, and the clients
that settings build (made once per process, on first use)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kernel.settings import Settings
from kernel.storage.db import make_engine, transact
from kernel.storage.models import Run, utcnow

Progress = Callable[[str, str], None]  # (stage, message)


def quiet(stage: str, message: str) -> None:
    """The Progress that reports nothing."""
    return None


@dataclass
class StageContext:
    settings: Settings
    progress: Progress = quiet
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.db_url)

    def client(self, name: str, build: Callable[[], Any]) -> Any:
        """A client (embedder, arXiv source, index…) built once per context."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    def enter(self, run_id: str, stage: str, message: str = "") -> None:
        """Record that `stage` is running for `run_id` and tell whoever is watching."""

        def write(s: Session) -> None:
            run = s.get(Run, run_id)
            if run is not None:
                run.stage = stage
                run.updated_at = utcnow()
                s.add(run)

        transact(self.engine, write)
        self.progress(stage, message or "started")
