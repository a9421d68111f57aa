"""A run written straight into the database (no pipeline), for the app's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass
class Seeded:
    run_id: str
    supported_claim: int
    unverified_claim: int
    check_id: int


def seed_run(status: str = "waiting_owner", question: str = "How does ExpertFlow cache experts?") -> Seeded:
    """One run with two papers, two claims (SUPPORTED, UNVERIFIED), an empirical check, three
    reviews and a draft — the rows the pipeline would have written."""
    from sqlmodel import select

    from kernel.settings import Settings
    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import (
        Claim,
        EmpiricalCheck,
        Paper,
        Passage,
        ReportVersion,
        Review,
        Run,
        RunPaper,
        TextCheck,
    )

    settings = Settings()
    settings.ensure_home()
    engine = make_engine(settings.db_url)
    when = datetime(2024, 10, 23, tzinfo=timezone.utc)
    with session_scope(engine) as s:
        for pid, title in (("2410.17954", "ExpertFlow: Optimized Expert Activation"),
                           ("2312.17238", "Fast Inference of MoE Models with CPU-GPU Orchestration")):
            if s.get(Paper, pid) is None:
                s.add(Paper(id=pid, title=title, authors=["A. Author"], abstract="…", published=when,
                            source="corpus:test"))
        run = Run(
            question=question, status=status, stage="owner" if status == "waiting_owner" else "decide",
            panel_score=6.2, outcome="ESCALATE_TO_OWNER", offline=True, policy="default",
        )
        s.add(run)
        s.flush()
        p1, p2 = (
            s.exec(select(Passage).where(Passage.paper_id == pid)).first()
            or Passage(paper_id=pid, text=text, end=len(text))
            for pid, text in (
                ("2410.17954", "ExpertFlow reduces GPU memory usage by up to 93.72% against baseline methods."),
                ("2312.17238", "Offloading experts to the CPU lets Mixtral run on a single consumer GPU."),
            )
        )
        s.add_all([p1, p2, RunPaper(run_id=run.id, paper_id="2410.17954", rank=1),
                   RunPaper(run_id=run.id, paper_id="2312.17238", rank=2)])
        s.flush()
        c1 = Claim(run_id=run.id, paper_id="2410.17954", passage_id=p1.id,
                   text="ExpertFlow reduces GPU memory usage by up to 93.72%",
                   kind="quantitative", metric="memory_reduction", value=93.72, unit="%")
        c2 = Claim(run_id=run.id, paper_id="2312.17238", passage_id=p2.id,
                   text="Mixtral runs on a single consumer GPU", kind="setup")
        s.add_all([c1, c2])
        s.flush()
        s.add(TextCheck(claim_id=c1.id, verdict="SUPPORTED", confidence=0.91, independent="CORROBORATED",
                        attribution="ATTRIBUTED", reasons=["another paper states the same figure"],
                        evidence=[{"passage_id": p1.id, "score": 0.9}]))
        s.add(TextCheck(claim_id=c2.id, verdict="UNVERIFIED", confidence=0.3, reasons=["no passage states it"]))
        check = EmpiricalCheck(claim_id=c1.id, status="done", backend="cpu", node="local", verdict="PARTIAL",
                               claimed={"quantity": "memory_saving", "value": 93.72, "unit": "%",
                                        "subject": "expertflow"},
                               measurements={"measured": 71.5, "comparisons": [
                                   {"label": "memory saved", "unit": "%", "claimed": 93.72, "measured": 71.5},
                                   {"label": "all experts resident", "unit": "GB", "claimed": None, "measured": 1.9}]},
                               reason="measured 71.5% on the small preset",
                               caveats=["small preset, emulated PCIe 4.0 link"])
        s.add(check)
        for role, score in (("skeptic", 5.0), ("validator", 6.5), ("synthesizer", 7.1)):
            s.add(Review(run_id=run.id, round=1, role=role, score=score, verdict="revise",
                         summary=f"{role} summary", findings=[{"claim_id": c1.id, "message": f"{role} finding"}]))
        s.add(ReportVersion(run_id=run.id, version=1, round=1, author="drafter",
                            markdown="# ExpertFlow caching\n\n## Abstract\n\nDraft body about expert caching."))
        s.flush()
        seeded = Seeded(run.id, c1.id, c2.id, check.id)
    out = settings.reports_dir / seeded.run_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.html").write_text("<html><body><h1>ExpertFlow caching</h1></body></html>")
    return seeded
