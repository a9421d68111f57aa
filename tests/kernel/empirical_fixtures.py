"""A stored run whose claims are sentences stating ExpertFlow's paper's figures (shared by the check tests)."""

from __future__ import annotations

from pathlib import Path

from kernel.settings import Settings
from kernel.storage.db import make_engine, session_scope
from kernel.storage.models import Claim, Paper, Passage, Run
from verifier.extract import extract_claims

HIT_RATE = ("ExpertFlow reaches an expert hit rate of 85.91% versus 58.37% for LRU on Switch-32 "
            "with cache size 16 and batch size 4.")
SPEEDUP = "ExpertFlow achieves 2.01× higher throughput than SE-MoE on Switch-32 with cache size 16 and batch size 4."
QUALITY = "SMoES improves MMBench accuracy by 0.9%."


def settings_for(home: Path, **empirical) -> Settings:
    section = {"backend": "simulated", "ray_num_gpus": 0} | empirical
    return Settings(home=home, database_url=f"sqlite:///{home / 'sovereign.sqlite'}", empirical=section)


def stored_run(settings: Settings, sentences: tuple[str, ...] = (HIT_RATE, SPEEDUP, QUALITY)) -> str:
    """A run with one paper, one passage holding ``sentences``, and their extracted claims."""
    settings.ensure_home()
    engine = make_engine(settings.db_url)
    text = " ".join(sentences)
    with session_scope(engine) as s:
        run = Run(question="How fast is ExpertFlow?")
        s.add(run)
        if s.get(Paper, "2410.17954") is None:
            s.add(Paper(id="2410.17954", title="ExpertFlow"))
        s.flush()
        passage = Passage(paper_id="2410.17954", text=text, kind="fulltext", start=hash(run.id) % 10**6)
        s.add(passage)
        s.flush()
        for ordinal, c in enumerate(extract_claims(text)):
            s.add(Claim(run_id=run.id, paper_id="2410.17954", passage_id=passage.id, ordinal=ordinal,
                        **c.model_dump(exclude={"text", "start", "end"}), text=c.text, start=c.start, end=c.end))
        return run.id
