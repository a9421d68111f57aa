"""Reads and writes of the run tables. Keyword-only, the session passed in.

Stage writes replace what the stage owns for the run, so a stage re-run after a crash leaves one
copy of everything (DESIGN: a killed run resumes from its checkpoint with nothing duplicated).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, delete, select

from domain.reviews import ReviewFields
from domain.run_data import ClaimData, DecisionData, PaperData, RunData
from domain.verdicts import TextCheckFields
from kernel.errors import RunNotFound
from kernel.storage.models import (
    Claim,
    Decision,
    EmpiricalCheck,
    Facet,
    Paper,
    Passage,
    ReportVersion,
    Review,
    Run,
    RunPaper,
    TextCheck,
    utcnow,
)


def get_run(session: Session, *, run_id: str) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        known = session.exec(select(Run.id).order_by(col(Run.created_at).desc()).limit(5)).all()
        hint = f"; recent runs: {', '.join(known)}" if known else "; there are no runs yet"
        raise RunNotFound(f"no run {run_id!r}{hint} (see `sovereign runs`)")
    return run


def update_run(session: Session, *, run_id: str, **fields: Any) -> Run:
    run = get_run(session, run_id=run_id)
    for key, value in fields.items():
        setattr(run, key, value)
    run.updated_at = utcnow()
    session.add(run)
    return run


def list_runs(session: Session, *, status: str | None = None, limit: int = 200) -> list[Run]:
    q = select(Run).order_by(col(Run.created_at).desc()).limit(limit)
    if status:
        q = q.where(Run.status == status)
    return list(session.exec(q).all())


def run_claims(session: Session, *, run_id: str) -> list[Claim]:
    return list(session.exec(select(Claim).where(Claim.run_id == run_id).order_by(Claim.id)).all())


def run_paper_ids(session: Session, *, run_id: str) -> list[str]:
    q = select(RunPaper.paper_id).where(RunPaper.run_id == run_id).order_by(RunPaper.rank)
    return list(session.exec(q).all())


def run_papers(session: Session, *, run_id: str) -> list[Paper]:
    """The run's papers in rank order (titles and authors tell independent sources apart)."""
    q = select(Paper).join(RunPaper).where(RunPaper.run_id == run_id).order_by(RunPaper.rank)
    return list(session.exec(q).all())


def _passages_of(session: Session, *, paper_ids: list[str]) -> list[Passage]:
    """Every stored passage of the papers, in id order."""
    if not paper_ids:
        return []
    return list(session.exec(select(Passage).where(col(Passage.paper_id).in_(paper_ids)).order_by(Passage.id)).all())


def run_passages(session: Session, *, run_id: str) -> list[Passage]:
    """The passages a run reads: a paper's full text (prose and tables) when it has one (its own
    Abstract section included), else its abstract — never both, so no claim is read twice."""
    rows = _passages_of(session, paper_ids=run_paper_ids(session, run_id=run_id))
    with_fulltext = {p.paper_id for p in rows if p.kind == "fulltext"}
    # Once a paper is read with section kinds, a full-text row without one is from an older
    # split of the same text (rows are never deleted): reading it too would count claims twice.
    current = {p.paper_id for p in rows if p.kind == "fulltext" and p.section_kind}
    return [p for p in rows if (p.kind in ("fulltext", "table") and (p.section_kind or p.paper_id not in current))
            or p.paper_id not in with_fulltext]


def _add_to_run(session: Session, *, run_id: str, rows: Iterable[Any]) -> list[Any]:
    """Add `rows` (claims, facets) to the run, flushed so their ids are set."""
    stored = []
    for row in rows:
        row.run_id = run_id
        session.add(row)
        stored.append(row)
    session.flush()
    return stored


def replace_claims(session: Session, *, run_id: str, claims: Iterable[Claim]) -> list[Claim]:
    """Replace the run's claims (and the checks hanging off them) with `claims`."""
    clear_checks(session, run_id=run_id)
    session.exec(delete(Claim).where(Claim.run_id == run_id))
    return _add_to_run(session, run_id=run_id, rows=claims)


def _claim_ids(session: Session, run_id: str) -> list[int]:
    return list(session.exec(select(Claim.id).where(Claim.run_id == run_id)).all())


def clear_checks(session: Session, *, run_id: str, text: bool = True, empirical: bool = True) -> None:
    ids = _claim_ids(session, run_id)
    if not ids:
        return
    if text:
        session.exec(delete(TextCheck).where(col(TextCheck.claim_id).in_(ids)))
    if empirical:
        session.exec(delete(EmpiricalCheck).where(col(EmpiricalCheck.claim_id).in_(ids)))


def run_checks(session: Session, *, run_id: str) -> list[EmpiricalCheck]:
    ids = _claim_ids(session, run_id)
    if not ids:
        return []
    q = select(EmpiricalCheck).where(col(EmpiricalCheck.claim_id).in_(ids)).order_by(EmpiricalCheck.id)
    return list(session.exec(q).all())


def run_facets(session: Session, *, run_id: str) -> list[Facet]:
    return list(session.exec(select(Facet).where(Facet.run_id == run_id).order_by(Facet.ordinal)).all())


def facet_checks(session: Session, *, run_id: str) -> list[EmpiricalCheck]:
    """The experiments measured for the run's question (no claim states them)."""
    ids = [f.id for f in run_facets(session, run_id=run_id)]
    if not ids:
        return []
    q = select(EmpiricalCheck).where(col(EmpiricalCheck.facet_id).in_(ids)).order_by(EmpiricalCheck.id)
    return list(session.exec(q).all())


def clear_facet_checks(session: Session, *, run_id: str) -> None:
    ids = [f.id for f in run_facets(session, run_id=run_id)]
    if ids:
        session.exec(delete(EmpiricalCheck).where(col(EmpiricalCheck.facet_id).in_(ids)))


def replace_facets(session: Session, *, run_id: str, facets: Iterable[Facet]) -> list[Facet]:
    """Replace the run's facets (and the experiments measured for them)."""
    clear_facet_checks(session, run_id=run_id)
    session.exec(delete(Facet).where(Facet.run_id == run_id))
    return _add_to_run(session, run_id=run_id, rows=facets)


def save_reviews(session: Session, *, run_id: str, round: int, reviews: Iterable[ReviewFields]) -> None:
    """Replace the reviews of one round."""
    session.exec(delete(Review).where(Review.run_id == run_id, Review.round == round))
    for r in reviews:
        session.add(Review.model_validate(r, update={"run_id": run_id, "round": round}))


def save_report_version(
    session: Session, *, run_id: str, round: int, author: str, markdown: str, draft: dict[str, Any]
) -> ReportVersion:
    """Store a rendered draft. A drafter's version for a round replaces an earlier copy of the
    same round (a re-run stage); an owner's edit is always a new version."""
    if not author.startswith("owner"):
        session.exec(
            delete(ReportVersion).where(
                ReportVersion.run_id == run_id,
                ReportVersion.round == round,
                col(ReportVersion.author).not_like("owner%"),
            )
        )
        session.flush()
    last = session.exec(
        select(ReportVersion.version)
        .where(ReportVersion.run_id == run_id)
        .order_by(col(ReportVersion.version).desc())
    ).first()
    version = ReportVersion(
        run_id=run_id, round=round, version=(last or 0) + 1, author=author, markdown=markdown, draft=draft
    )
    session.add(version)
    session.flush()
    return version


def latest_report(session: Session, *, run_id: str) -> ReportVersion | None:
    q = (
        select(ReportVersion)
        .where(ReportVersion.run_id == run_id)
        .order_by(col(ReportVersion.version).desc())
    )
    return session.exec(q).first()


def report_versions(session: Session, *, run_id: str) -> list[ReportVersion]:
    """Every stored version of the run's report, oldest first."""
    q = select(ReportVersion).where(ReportVersion.run_id == run_id).order_by(col(ReportVersion.version))
    return list(session.exec(q).all())


def decisions(session: Session, *, run_id: str) -> list[Decision]:
    """The owner's decisions on the run, in the order they were made."""
    q = select(Decision).where(Decision.run_id == run_id).order_by(col(Decision.created_at), col(Decision.id))
    return list(session.exec(q).all())


def paper_count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.exec(select(func.count()).select_from(Paper)).one())


def papers_by_id(session: Session, *, ids: Iterable[str]) -> dict[str, Paper]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {p.id: p for p in session.exec(select(Paper).where(col(Paper.id).in_(wanted))).all()}


def add_decision(session: Session, *, run_id: str, owner: str, action: str, comment: str) -> Decision:
    decision = Decision(run_id=run_id, owner=owner, action=action, comment=comment)
    session.add(decision)
    session.flush()
    return decision


def load_run_data(session: Session, *, run_id: str) -> RunData:
    """Everything stored about a run, in the shape `reports` and `tribunal` read. Rows become
    domain types by validation (a row whose class extends the type is copied, never shared)."""
    run = get_run(session, run_id=run_id)
    rows = session.exec(
        select(RunPaper, Paper).join(Paper).where(RunPaper.run_id == run_id).order_by(RunPaper.rank)
    ).all()
    passages = _passages_of(session, paper_ids=[p.id for _, p in rows])
    has_fulltext = {p.paper_id for p in passages if p.kind == "fulltext"}
    claims = run_claims(session, run_id=run_id)
    text_checks = {t.claim_id: TextCheckFields.model_validate(t) for t in session.exec(
        select(TextCheck).where(col(TextCheck.claim_id).in_([c.id for c in claims]))).all()}
    empirical = {e.claim_id: e for e in run_checks(session, run_id=run_id)}
    reviews = session.exec(select(Review).where(Review.run_id == run_id).order_by(Review.round, Review.role)).all()
    decisions = session.exec(select(Decision).where(Decision.run_id == run_id).order_by(Decision.created_at)).all()
    return RunData.model_validate(run, update=dict(
        run_id=run.id,
        papers=[PaperData.model_validate(p, update={
            "year": p.published.year if p.published else None, "rank": rp.rank, "score": rp.score,
            "query": rp.query, "fulltext": p.id in has_fulltext}) for rp, p in rows],
        passages=passages,
        claims=[ClaimData.model_validate(c, update={"text_check": text_checks.get(c.id),
                                                    "empirical": empirical.get(c.id)}) for c in claims],
        facets=run_facets(session, run_id=run_id),
        question_checks=facet_checks(session, run_id=run_id),
        reviews=[ReviewFields.model_validate(r) for r in reviews],
        decisions=[DecisionData.model_validate(d, update={"created_at": d.created_at.isoformat()}) for d in decisions],
        round=max([r.round for r in reviews], default=1),
    ))
