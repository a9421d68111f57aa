"""One root `Settings`, composed of per-package sections.

Sources, strongest first: keyword arguments, environment (`SOVEREIGN_…`, nested sections with
`__`, e.g. `SOVEREIGN_TRIBUNAL__LLM_BASE_URL`), `sovereign.toml` (in the working directory or
the data home), then the defaults below. Settings build clients (`make_engine`,
`make_checkpointer`); callers do not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from tribunal.settings import DecideSettings as TribunalDecideSettings
from tribunal.settings import TribunalSettings
from verifier.settings import EMPIRICAL_TRAIN_BUDGET_S, VerifierSettings


def default_home() -> Path:
    return Path(os.environ.get("SOVEREIGN_HOME", "~/.sovereign")).expanduser()


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrievalSettings(Section):
    queries: int = Field(4, ge=1, le=12, description="search queries planned from a question")
    results_per_query: int = Field(25, ge=1, le=200, description="arXiv results fetched per query")
    papers_per_run: int = Field(12, ge=1, le=100, description="papers kept after fusion and rerank")
    arxiv_delay_s: float = Field(3.0, ge=0.0, description="minimum seconds between arXiv requests")
    arxiv_retries: int = Field(3, ge=0, description="retries on 429/503/timeouts, with backoff")
    arxiv_timeout_s: float = Field(20.0, gt=0, description="timeout of one arXiv request")
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query", description="arXiv API endpoint (tests use loopback)"
    )
    fulltext: bool = Field(True, description="try to fetch and split full text (PDF/HTML)")
    embedder: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model name or local path, or 'openai:<model>'",
    )
    embeddings_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings endpoint (e.g. NVIDIA NIM)"
    )
    embeddings_api_key: str | None = Field(None, description="key for the embeddings endpoint")


class VerifierSection(VerifierSettings):
    """The verifier's own settings (`verifier.settings`) plus what the pipeline adds."""

    max_claims_per_paper: int = Field(12, ge=1, description="claims extracted per paper at most")


class EmpiricalSettings(Section):
    enabled: bool = Field(True, description="re-measure performance claims with the runtime")
    backend: str = Field("cpu", description="cpu | simulated | cuda")
    max_checks: int = Field(10, ge=0, description="empirical checks per run at most")
    cluster: str | None = Field(None, description="'ray' dispatches checks as Ray GPU tasks")
    ray_address: str | None = Field(None, description="Ray cluster address (else RAY_ADDRESS)")
    ray_num_gpus: float = Field(
        1.0, ge=0, description="GPUs each Ray check task asks for; 0 on a CPU-only (test) cluster"
    )
    train_budget_s: float = Field(
        EMPIRICAL_TRAIN_BUDGET_S, gt=0,
        description="seconds to train the tiny model the cpu backend needs, once per home"
    )
    ratio_tolerance: float = Field(
        0.25, gt=0, description="relative tolerance of ratio claims (speed-up, throughput ×)"
    )
    points_tolerance: float = Field(
        10.0, gt=0, description="tolerance in percentage points of rate claims (hit rate, memory saved)"
    )


class TribunalSection(TribunalSettings):
    """The tribunal's own settings (`tribunal.settings`): revision threshold, rounds, LLM."""

    model_config = ConfigDict(extra="forbid")


class DecideSettings(TribunalDecideSettings):
    """The decide policy's thresholds (`tribunal.settings`)."""

    model_config = ConfigDict(extra="forbid")


class OwnerSettings(Section):
    name: str = Field("owner", description="the owner's user name in the app")
    password_hash: str | None = Field(
        None, description="pbkdf2 hash of the owner's password (make one with: python -m ui.auth)"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOVEREIGN_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    home: Path = Field(default_factory=default_home, description="data home: db, checkpoints, caches")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in the data home"
    )
    offline: bool = Field(False, description="never contact arXiv; use the cache and corpora")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    empirical: EmpiricalSettings = Field(default_factory=EmpiricalSettings)
    tribunal: TribunalSection = Field(default_factory=TribunalSection)
    decide: DecideSettings = Field(default_factory=DecideSettings)
    owner: OwnerSettings = Field(default_factory=OwnerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        tomls = [Path("sovereign.toml"), default_home() / "sovereign.toml"]
        toml_sources = [TomlConfigSettingsSource(settings_cls, toml_file=p) for p in tomls if p.is_file()]
        return (init_settings, env_settings, *toml_sources)

    # -- places in the data home -------------------------------------------------------------

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'sovereign.sqlite'}"

    @property
    def is_postgres(self) -> bool:
        return self.db_url.startswith(("postgresql", "postgres"))

    @property
    def checkpoint_path(self) -> Path:
        return self.home / "checkpoints.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def runtime_dir(self) -> Path:
        return self.home / "runtime"

    def ensure_home(self) -> None:
        for d in (self.home, self.cache_dir, self.reports_dir, self.runtime_dir):
            d.mkdir(parents=True, exist_ok=True)

    def public(self) -> dict[str, Any]:
        """The settings a run records: everything but secrets."""
        data = self.model_dump(mode="json")
        data["tribunal"].pop("llm_api_key", None)
        data["retrieval"].pop("embeddings_api_key", None)
        data["owner"].pop("password_hash", None)
        return data
