"""Every page of the app through Streamlit's AppTest, on runs written straight into the database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.ui.seed import seed_run


def sign_in(at, password: str):
    at.sidebar.text_input(key="owner_password").input(password)
    at.sidebar.button[0].click()  # the form's submit button
    return at.run()


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def test_the_app_opens_on_the_ask_page_for_a_guest(app):
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Ask a research question"
    assert at.text_area(key="question") is not None
    assert "guest" in texts(at.sidebar.caption)


def test_runs_page_lists_runs_and_filters_by_status_and_text(app, seeded):
    other = seed_run(status="approved", question="Which systems prefetch experts for Mixtral?")
    at = app()
    at.switch_page("views/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["run"]) == {seeded.run_id, other.run_id}
    assert set(table["panel score"]) == {6.2}
    at.multiselect(key="runs_status").set_value(["approved"]).run()
    assert list(at.dataframe[0].value["run"]) == [other.run_id]
    at.multiselect(key="runs_status").set_value([]).run()
    at.text_input(key="runs_text").input("ExpertFlow").run()
    assert list(at.dataframe[0].value["run"]) == [seeded.run_id]
    at.text_input(key="runs_text").input("nothing like this").run()
    assert "No runs match" in texts(at.info)


def test_report_page_shows_draft_claims_evidence_checks_reviews_and_downloads(app, seeded):
    at = app()
    at.switch_page("views/report.py")
    at.query_params["run"] = seeded.run_id
    at.run()
    assert not at.exception
    assert "Draft body about expert caching." in texts(at.markdown)
    claims = at.dataframe[0].value
    assert set(claims["verdict"]) == {"SUPPORTED", "UNVERIFIED"}
    # Each claim opens onto its passage, the claim in bold inside it.
    assert any("**ExpertFlow reduces GPU memory usage by up to 93.72%**" in m.value for m in at.markdown)
    # Filters by verdict and by paper.
    at.multiselect(key="claims_verdict").set_value(["UNVERIFIED"]).run()
    assert list(at.dataframe[0].value["claim"]) == [seeded.unverified_claim]
    at.multiselect(key="claims_verdict").set_value([]).run()
    at.multiselect(key="claims_paper").set_value(["2410.17954"]).run()
    assert list(at.dataframe[0].value["claim"]) == [seeded.supported_claim]
    # Claimed vs measured, from the EmpiricalCheck row.
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert "93.72" in spec and "71.5" in spec
    # The three reviews.
    assert {m.label for m in at.metric} >= {"Skeptic", "Validator", "Synthesizer"}
    # Downloads in all three formats.
    labels = {d.proto.label for d in at.get("download_button")}
    assert labels == {"Markdown", "HTML", "JSON"}


def test_report_of_an_unknown_run_falls_back_to_a_listed_one(app, seeded):
    at = app()
    at.switch_page("views/report.py")
    at.query_params["run"] = "nosuchrun"
    at.run()
    assert not at.exception
    assert at.selectbox(key="report_run").value == seeded.run_id


def test_a_guest_is_refused_the_review_queue(app, seeded, owner_password):
    at = app()
    at.switch_page("views/review.py").run()
    assert "owner only" in texts(at.error)
    assert not [b for b in at.button if b.label == "Approve"]
    assert seeded.run_id not in texts(at.markdown) + texts(at.selectbox)


def test_a_wrong_password_does_not_open_the_review_queue(app, seeded, owner_password):
    at = app().run()
    sign_in(at, "not the password")
    assert "Wrong password" in texts(at.sidebar.error)
    at.switch_page("views/review.py").run()
    assert "owner only" in texts(at.error)


def test_wrong_passwords_are_rate_limited_across_reloads(app, seeded, owner_password):
    at = app().run()
    for _ in range(5):
        sign_in(at, "guess")
    assert "Too many wrong passwords" in texts(at.sidebar.error)
    fresh = app().run()  # a reload: a new session, same data home
    sign_in(fresh, owner_password)
    assert "Too many wrong passwords" in texts(fresh.sidebar.error)
    assert "Signed in" not in texts(fresh.sidebar.success)


@dataclass
class RecordingService:
    """Stands in for `Service.decide` only: records what the page asked for."""

    calls: list[dict] = field(default_factory=list)

    def decide(self, run_id, **kw):
        from kernel.storage.models import Run

        self.calls.append({"run_id": run_id, **kw})
        return Run(id=run_id, question="q", status={"approve": "approved"}.get(kw["action"], kw["action"]))


@pytest.mark.parametrize("button, action",
                         [("Approve", "approve"), ("Request changes", "request_changes"), ("Reject", "reject")])
def test_the_owner_decides_with_a_comment_and_an_edit(app, seeded, owner_password, monkeypatch, button, action):
    from ui import backend

    svc = RecordingService()
    monkeypatch.setattr(backend, "service", lambda settings=None: svc)
    at = app().run()
    sign_in(at, owner_password)  # on the first page; the session stays signed in
    assert "Signed in as owner **ada**" in texts(at.sidebar.success)
    at.switch_page("views/review.py").run()
    assert at.selectbox(key="review_run").value == seeded.run_id
    draft = at.text_area(key=f"draft-{seeded.run_id}")
    assert "Draft body about expert caching." in draft.value
    draft.input(draft.value + "\n\nOwner's note: the 93.72% figure is memory, not latency.")
    at.text_area(key=f"comment-{seeded.run_id}").input("checked the memory figure")
    next(b for b in at.button if b.label == button).click()
    at.run()
    assert not at.exception
    assert svc.calls == [
        {
            "run_id": seeded.run_id,
            "action": action,
            "owner": "ada",
            "comment": "checked the memory figure",
            "edited": svc.calls[0]["edited"],
        }
    ]
    assert svc.calls[0]["edited"].endswith("the 93.72% figure is memory, not latency.")
    assert f"{action.replace('_', ' ')} recorded by ada" in texts(at.success)


def test_an_unedited_draft_is_not_saved_as_a_new_version(app, seeded, owner_password, monkeypatch):
    from ui import backend

    svc = RecordingService()
    monkeypatch.setattr(backend, "service", lambda settings=None: svc)
    at = app().run()
    sign_in(at, owner_password)
    at.switch_page("views/review.py").run()
    next(b for b in at.button if b.label == "Approve").click()
    at.run()
    assert svc.calls[0]["edited"] is None


def test_checks_page_lists_the_runs_checks(app, seeded):
    at = app()
    at.switch_page("views/checks.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["check"]) == [seeded.check_id]
    assert list(table["verdict"]) == ["PARTIAL"]
    rerun = {b.label: b for b in at.button}
    assert {"Re-run on this machine", "Re-run on the Ray cluster"} <= set(rerun)


def test_corpus_page_imports_a_file_and_searches_it(app, tmp_path):
    import json

    snapshot = tmp_path / "tiny.jsonl"
    records = [
        {"id": "2410.17954", "title": "ExpertFlow: Optimized Expert Activation and Token Allocation",
         "abstract": "Expert offloading with a routing path predictor.", "authors": "X. He, Y. Li",
         "categories": "cs.LG", "versions": [{"version": "v1", "created": "Wed, 23 Oct 2024 10:00:00 GMT"}]},
        {"id": "2101.03961", "title": "Switch Transformers", "abstract": "Scaling to trillion parameter models.",
         "authors": "W. Fedus", "categories": "cs.LG",
         "versions": [{"version": "v1", "created": "Mon, 11 Jan 2021 10:00:00 GMT"}]},
    ]
    snapshot.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    at = app()
    at.switch_page("views/corpus.py").run()
    at.text_input(key="corpus_path").input(str(snapshot))
    at.button(key="corpus_import").click()
    at.run()
    assert not at.exception
    assert "Imported 2 new papers" in texts(at.success)
    assert "1 malformed" in texts(at.success)
    at.text_input(key="corpus_query").input("routing path predictor").run()
    hits = at.dataframe[0].value
    assert hits["arXiv id"].iloc[0] == "2410.17954"


def test_corpus_page_names_a_missing_file(app, tmp_path):
    at = app()
    at.switch_page("views/corpus.py").run()
    at.text_input(key="corpus_path").input(str(tmp_path / "absent.jsonl"))
    at.button(key="corpus_import").click()
    at.run()
    assert "absent.jsonl" in texts(at.error)


def test_an_empty_question_is_refused_on_the_ask_page_and_no_run_is_made(app):
    from ui import backend

    at = app().run()
    at.text_area(key="question").input("   ")
    next(b for b in at.button if b.label == "Ask").click()
    at.run()
    assert "the question is empty" in texts(at.error)
    assert backend.list_runs() == []


def test_asking_offline_without_a_corpus_says_how_to_give_one(app):
    at = app().run()
    at.text_area(key="question").input("How does ExpertFlow cache experts?")
    at.checkbox(key="offline").check()
    next(b for b in at.button if b.label == "Ask").click()
    at.run()
    assert "--corpus" in texts(at.error)


def test_asking_imports_the_corpus_and_hands_the_run_to_a_background_worker(app):
    import os
    import signal

    from tests.shared import need_shared_corpus
    from ui import backend, worker

    corpus = need_shared_corpus() / "moe-inference.jsonl"
    at = app().run()
    at.text_area(key="question").input("How does ExpertFlow cache experts?")
    at.checkbox(key="offline").check()
    at.checkbox(key="empirical").uncheck()
    at.text_area(key="corpus_paths").input(str(corpus))
    next(b for b in at.button if b.label == "Ask").click()
    at.run()
    assert not at.exception and not at.error
    assert "Imported 41 new papers" in texts(at.success)
    run_id = at.query_params["run"]
    settings = backend.settings()
    try:
        run = backend.get_run(run_id)
        assert run.offline and run.settings["run"] == {"offline": True, "empirical": False}
        assert worker.is_alive(settings, "run", run_id)  # the page's script run is over; the run is not
        assert f"Run {run_id}" in texts(at.markdown).replace("`", "")
    finally:
        pid = int((settings.runtime_dir / "workers" / f"run-{run_id}.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # the pipeline itself is tested in tests/kernel


def test_a_rerun_of_checks_goes_to_a_worker_whose_outcome_the_page_shows(app, seeded):
    import time

    from ui import backend, worker

    at = app()
    at.switch_page("views/checks.py").run()
    at.button(key="rerun_local").click()
    at.run()
    settings = backend.settings()
    deadline = time.time() + 90
    while worker.is_alive(settings, "checks", seeded.run_id) and time.time() < deadline:
        time.sleep(0.2)
    assert not worker.is_alive(settings, "checks", seeded.run_id)
    at.run()
    # The seeded check has no experiment spec, so the re-run refuses, and says why on the page.
    log = texts(at.code)
    assert f"checks {seeded.run_id}" in log and "no empirical experiments to re-run" in log


def test_a_failed_run_shows_its_error_and_offers_a_retry(app, sovereign_home):
    from kernel.settings import Settings
    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import Run

    failed = seed_run(status="failed")
    with session_scope(make_engine(Settings().db_url)) as s:
        run = s.get(Run, failed.run_id)
        run.error, run.stage = "RetrievalError: arXiv unreachable and no corpus", "retrieve"
        s.add(run)
    at = app()
    at.switch_page("views/report.py")
    at.query_params["run"] = failed.run_id
    at.run()
    assert "arXiv unreachable and no corpus" in texts(at.error)
    assert any(b.label == "Retry from the last checkpoint" for b in at.button)


def test_report_page_opens_on_the_answer_with_its_facets_and_gaps(app, seeded):
    from sqlmodel import select

    from kernel.settings import Settings
    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import Facet, ReportVersion

    with session_scope(make_engine(Settings().db_url)) as s:
        pope = Facet(run_id=seeded.run_id, ordinal=1, kind="dataset", text="POPE", terms=["POPE"],
                     answerable_by=["literature"], status="gap",
                     status_reason="POPE is a model-quality benchmark; the runtime measures serving speed")
        s.add_all([Facet(run_id=seeded.run_id, ordinal=0, kind="system", text="ExpertFlow", terms=["ExpertFlow"],
                         answerable_by=["literature", "experiment"], status="answered"), pope])
        version = s.exec(select(ReportVersion).where(ReportVersion.run_id == seeded.run_id)).one()
        version.draft = {"answer": [
            {"facet": "ExpertFlow", "kind": "system", "status": "answered", "gap": "",
             "sentences": [{"text": "ExpertFlow (2410.17954) reports a 93.72% memory saving.", "refs": ["C1"]}]},
            {"facet": "POPE", "kind": "dataset", "status": "gap", "gap": pope.status_reason,
             "sentences": [{"text": "Not answered.", "refs": []}]}]}
        s.add(version)
    at = app()
    at.switch_page("views/report.py")
    at.query_params["run"] = seeded.run_id
    at.run()
    assert not at.exception
    assert at.tabs[0].label == "Answer"
    shown = [m.value for m in at.tabs[0].markdown]
    assert any("2 facets" in m and "answers **1**" in m for m in shown)
    assert any("**ExpertFlow** (system)" in m and "answered" in m for m in shown)
    assert any("93.72% memory saving" in m and "`C1`" in m for m in shown)
    assert any("model-quality benchmark" in w.value for w in at.tabs[0].warning)
