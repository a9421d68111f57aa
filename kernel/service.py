"""The service API that the command line and the app both call: submit, run, status, resume,
decide, show. It owns the run's lifecycle in the database; the graph owns the stages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langgraph.types import Command
from sqlmodel import Session

from domain.runs import RunStatus
from kernel.errors import BadInput, NoSourcesError
from kernel.flow.context import Progress, StageContext, quiet
from kernel.flow.graph import build_graph, open_checkpointer
from kernel.settings import Settings
from kernel.storage import crud
from kernel.storage.db import session_scope, transact
from kernel.storage.models import Run

MAX_QUESTION_CHARS = 2000
DECISION_ACTIONS = ("approve", "reject", "request_changes")
FORMATS = ("md", "html", "json")


def validate_question(question: str) -> str:
    """The question, stripped; BadInput when it is empty, too long or has no words."""
    q = (question or "").strip()
    if not q:
        raise BadInput('the question is empty; ask one, e.g. sovereign ask "How does ExpertFlow cache experts?"')
    if len(q) > MAX_QUESTION_CHARS:
        raise BadInput(
            f"the question is {len(q):,} characters; keep it under {MAX_QUESTION_CHARS:,} "
            "(ask one research question, not a document)"
        )
    if sum(ch.isalpha() for ch in q) < 3:
        raise BadInput(f"the question {q[:40]!r} has no words to search for; ask in words")
    return q


class Service:
    def __init__(self, settings: Settings | None = None, progress: Progress = quiet) -> None:
        self.settings = settings or Settings()
        self.settings.ensure_home()
        self.ctx = StageContext(self.settings, progress)

    @property
    def engine(self):
        return self.ctx.engine

    # -- lifecycle --------------------------------------------------------------------------

    def submit(
        self,
        question: str,
        *,
        offline: bool | None = None,
        corpora: Sequence[Path | str] = (),
        empirical: bool | None = None,
        papers: Sequence[Path | str] = (),
    ) -> str:
        """Validate, import the given corpora, add the person's own papers (files, folders),
        create the run (status queued); its id. The added papers are kept among the run's
        papers whatever their rank (`kernel.flow.nodes.retrieve`)."""
        q = validate_question(question)
        offline = self.settings.offline if offline is None else offline
        empirical = self.settings.empirical.enabled if empirical is None else empirical
        if corpora:
            self.import_corpora(corpora)
        chosen = self.add_papers(papers).paper_ids if papers else []
        if offline:
            from kernel.retrieval import has_local_papers

            if not has_local_papers(self.engine):
                raise NoSourcesError(
                    "offline and nothing to search: no papers are cached or imported; give a corpus "
                    "with --corpus FILE (arXiv metadata snapshot JSON lines) or run "
                    "`sovereign corpus import FILE`, or drop --offline"
                )
        run_opts: dict[str, Any] = {"offline": offline, "empirical": empirical}
        if chosen:
            run_opts["papers"] = chosen
        settings = self.settings.public() | {"run": run_opts}

        def create(s: Session) -> str:
            run = Run(question=q, offline=offline, settings=settings, status=RunStatus.QUEUED)
            s.add(run)
            s.flush()
            return run.id

        return transact(self.engine, create)

    def import_corpora(self, paths: Sequence[Path | str]) -> Any:
        from kernel.retrieval.corpus import import_snapshot

        shown: dict[str, int] = {}

        def progress(done: int, total: int, name: str) -> None:
            pct = int(100 * done / total) if total else 100
            if pct // 25 != shown.get(name, -1):  # a line per quarter, not per batch
                shown[name] = pct // 25
                self.ctx.progress("import", f"{name}: {pct}%")

        report = import_snapshot(self.engine, [Path(p) for p in paths], progress=progress)
        self.ctx.progress(
            "import", f"{report.read:,} records read, {report.imported:,} new, {report.updated:,} updated, "
            f"{report.malformed:,} malformed lines skipped"
        )
        return report

    def add_papers(self, paths: Sequence[Path | str]) -> Any:
        """Add the person's own papers (`sovereign corpus add`); one progress line per file that
        was skipped, then the summary. NothingReadable (exit 2) when no file could be read."""
        from kernel.retrieval.fulltext import FulltextStore
        from kernel.retrieval.local_papers import NothingReadable, add_papers

        shown: set[int] = set()

        def progress(done: int, total: int, name: str) -> None:
            if (tenth := 10 * done // total) not in shown:  # a line per tenth, not per file
                shown.add(tenth)
                self.ctx.progress("papers", f"{done}/{total} files")

        try:
            report = add_papers(self.engine, FulltextStore(self.settings.cache_dir), paths,
                                progress=progress)
        except NothingReadable as exc:
            for f in exc.report.files:
                self.ctx.progress("papers", f.line())
            raise
        for f in report.files:
            if f.status == "skipped":
                self.ctx.progress("papers", f.line())
        self.ctx.progress("papers", report.summary())
        return report

    def run(self, run_id: str) -> Run:
        """Run (or continue) a submitted run until it finishes or waits for the owner."""
        run = self.status(run_id)
        if run.status in RunStatus.FINISHED and run.status != RunStatus.FAILED:
            return run
        if run.status == RunStatus.WAITING_OWNER:
            raise BadInput(
                f"run {run_id} waits for the owner's decision: "
                f"sovereign review {run_id} --approve|--reject|--request-changes"
            )
        opts = run.settings.get("run", {})
        first = {
            "run_id": run.id,
            "question": run.question,
            "offline": bool(opts.get("offline", run.offline)),
            "empirical": bool(opts.get("empirical", True)),
            "notes": [],
            "round": 1,
        }
        return self._invoke(run_id, first)

    def ask(self, question: str, **kw: Any) -> Run:
        return self.run(self.submit(question, **kw))

    def resume(self, run_id: str) -> Run:
        """Continue a run from its last checkpoint (after a crash or a kill)."""
        return self.run(run_id)

    def decide(
        self, run_id: str, *, action: str, owner: str | None = None, comment: str = "", edited: str | None = None
    ) -> Run:
        """Record the owner's decision (and edited report, if any) and resume the run with it."""
        if action not in DECISION_ACTIONS:
            raise BadInput(f"unknown action {action!r}; valid: {', '.join(DECISION_ACTIONS)}")
        run = self.status(run_id)
        if run.status != RunStatus.WAITING_OWNER:
            raise BadInput(f"run {run_id} is {run.status}, not waiting for the owner; nothing to decide")
        who = owner or self.settings.owner.name

        def record(s: Session) -> None:
            crud.add_decision(s, run_id=run_id, owner=who, action=action, comment=comment)
            if edited is not None:
                last = crud.latest_report(s, run_id=run_id)
                crud.save_report_version(
                    s,
                    run_id=run_id,
                    round=last.round if last else 1,
                    author=f"owner:{who}",
                    markdown=edited,
                    draft=last.draft if last else {},
                )

        transact(self.engine, record)
        return self._invoke(run_id, Command(resume={"action": action, "owner": who, "comment": comment}))

    def _invoke(self, run_id: str, payload: Any) -> Run:
        self._set(run_id, status=RunStatus.RUNNING, error=None)
        config = {"configurable": {"thread_id": run_id}}
        try:
            with open_checkpointer(self.settings) as saver:
                graph = build_graph(self.settings, saver)
                snapshot = graph.get_state(config)
                if payload is not None and not isinstance(payload, Command) and snapshot.next:
                    payload = None  # a checkpoint exists: continue it instead of starting over
                graph.invoke(payload, config=config, context=self.ctx)
                waiting = bool(graph.get_state(config).next)
        except BadInput:
            self._set(run_id, status=RunStatus.QUEUED)
            raise
        except BaseException as exc:
            self._set(run_id, status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
            raise
        run = self.status(run_id)
        if waiting:
            return self._set(run_id, status=RunStatus.WAITING_OWNER)
        if run.status == RunStatus.RUNNING:  # ended without the owner: READY or REJECT
            final = RunStatus.REJECTED if run.outcome == "REJECT" else RunStatus.READY
            return self._set(run_id, status=final)
        return run

    def _set(self, run_id: str, **fields: Any) -> Run:
        def write(s: Session) -> Run:
            return crud.update_run(s, run_id=run_id, **fields)

        return transact(self.engine, write)

    # -- reading ----------------------------------------------------------------------------

    def status(self, run_id: str) -> Run:
        with session_scope(self.engine) as s:
            return crud.get_run(s, run_id=run_id)

    def runs(self, status: str | None = None) -> list[Run]:
        if status is not None and status not in RunStatus.ALL:
            raise BadInput(f"unknown status {status!r}; valid: {', '.join(RunStatus.ALL)}")
        with session_scope(self.engine) as s:
            return crud.list_runs(s, status=status)

    def report_path(self, run_id: str, fmt: str = "md") -> Path:
        return self.settings.reports_dir / run_id / f"report.{fmt}"

    def show(self, run_id: str, fmt: str = "md") -> str:
        """The run's report as Markdown or HTML, or the whole run as one JSON document."""
        if fmt not in FORMATS:
            raise BadInput(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
        if fmt == "json":
            return json.dumps(self.document(run_id), indent=2, default=str)
        with session_scope(self.engine) as s:
            crud.get_run(s, run_id=run_id)
            last = crud.latest_report(s, run_id=run_id)
        if last is None:
            raise BadInput(f"run {run_id} has no report yet; see `sovereign runs` for its status")
        if fmt == "md":
            return last.markdown
        path = self.report_path(run_id, "html")
        if not path.is_file():
            raise BadInput(f"run {run_id} has no HTML rendering at {path}; re-run with `sovereign resume`")
        return path.read_text(encoding="utf-8")

    def document(self, run_id: str) -> dict[str, Any]:
        """One JSON-able document: the run, its papers, claims, checks, reviews and decisions."""
        with session_scope(self.engine) as s:
            run = crud.get_run(s, run_id=run_id)
            data = crud.load_run_data(s, run_id=run_id)
            last = crud.latest_report(s, run_id=run_id)
            decisions = crud.decisions(s, run_id=run_id)
        doc = data.model_dump(mode="json")
        doc["run"] = run.model_dump(mode="json", exclude={"settings"})
        doc["decision_status"] = {
            "status": run.status,
            "outcome": run.outcome,
            "waiting_for_owner": run.status == RunStatus.WAITING_OWNER,
            "last_decision": decisions[-1].model_dump(mode="json") if decisions else None,
        }
        doc["report"] = {"version": last.version, "round": last.round, "author": last.author} if last else None
        # The Answer of the latest draft: one entry per facet, its sentences with the rows they
        # cite (claim_ids, check_ids, refs), or the gap and its reason.
        doc["answer"] = list((last.draft or {}).get("answer", [])) if last else []
        return doc
