"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

One served app (module fixture) with the shared MoE corpus imported through the Corpus page.
The test asks a question offline, closes the browser while the run is going, reopens the app
and finds the run continuing or done, waits for the report, signs in as the owner, approves,
checks the database, and leaves a screenshot of the report page in artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.shared import need_shared_corpus

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "artifacts"
PASSWORD = "owner password for the browser test"
QUESTION = "How does ExpertFlow's predictive expert caching compare to LRU expert caches for MoE inference?"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
RUN_LIMIT_S = 420
# Generous: CI shares two cores with the rest of the suite, and a page may wait on a first import.
UI_WAIT_MS = 90_000


def _playwright():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (scripts/install-browser.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright; no browser download needed)")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base url, data home): `streamlit run ui/app.py` on a free localhost port."""
    sync_playwright = _playwright()
    from ui.auth import hash_password

    home = tmp_path_factory.mktemp("browser-home")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
    env.update(
        SOVEREIGN_HOME=str(home),
        SOVEREIGN_OWNER__NAME="ada",
        SOVEREIGN_OWNER__PASSWORD_HASH=hash_password(PASSWORD, iterations=1000),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    log = open(home / "streamlit.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.time() > deadline:
            pytest.fail(f"streamlit did not start: {(home / 'streamlit.log').read_text()[-2000:]}")
        time.sleep(0.3)
    with sync_playwright() as pw:
        yield base, home, pw
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _browser(pw):
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def _run_row(home: Path, run_id: str):
    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import Run

    with session_scope(make_engine(f"sqlite:///{home / 'sovereign.sqlite'}")) as s:
        return s.get(Run, run_id)


def _wait_status(home: Path, run_id: str, wanted: tuple[str, ...], limit: float) -> str:
    deadline = time.time() + limit
    while time.time() < deadline:
        run = _run_row(home, run_id)
        if run.status in wanted:
            return run.status
        if run.status == "failed":
            pytest.fail(f"run {run_id} failed: {run.error}")
        time.sleep(1)
    pytest.fail(f"run {run_id} not in {wanted} after {limit}s (status {run.status}, stage {run.stage})")


@pytest.fixture
def shots(request):
    """Pages to photograph if the test fails (artifacts/browser-failure-N.png)."""
    pages: list = []
    yield pages
    if request.session.testsfailed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"browser-failure-{i}.png"))
            except Exception:  # the browser may be closed already; the failure itself is reported
                pass


def test_ask_close_reopen_read_sign_in_and_approve(served, shots):
    base, home, pw = served
    corpus = need_shared_corpus() / "moe-inference.jsonl"

    browser = _browser(pw)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # Import the corpus through the Corpus page.
    page.goto(f"{base}/corpus")
    page.get_by_label("…or a file path on this server").fill(str(corpus))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported 41 new papers").wait_for(timeout=60_000)

    # Ask offline, without empirical checks (they train models; not this test's subject).
    page.goto(base)
    page.get_by_role("textbox", name="Question", exact=True).fill(QUESTION)
    offline = page.get_by_role("checkbox", name="Offline (never contact arXiv; use imported corpora and the cache)")
    if not offline.is_checked():
        offline.check(force=True)
    empirical = page.get_by_role("checkbox", name="Re-measure performance claims (empirical checks)")
    if empirical.is_checked():
        empirical.uncheck(force=True)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url("**?run=*", timeout=60_000)
    run_id = page.url.split("run=")[1].split("&")[0]
    page.get_by_text(f"Run {run_id}").first.wait_for(timeout=UI_WAIT_MS)

    # Close the browser mid-run: the run lives in its worker, not in the page.
    status_at_close = _run_row(home, run_id).status
    browser.close()
    assert status_at_close in ("queued", "running"), f"the run had already ended ({status_at_close}) before the close"
    time.sleep(2)

    browser = _browser(pw)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    shots.append(page)
    page.goto(f"{base}/?run={run_id}")
    page.get_by_text(f"Run {run_id}").first.wait_for(timeout=UI_WAIT_MS)
    shown = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert any(s in shown for s in ("running", "queued", "waiting for the owner", "ready", "rejected")), shown[:500]
    assert _run_row(home, run_id).status != "failed"

    # The report: wait for the run, then the live fragment says so without a reload.
    status = _wait_status(home, run_id, ("waiting_owner", "ready", "rejected"), RUN_LIMIT_S)
    assert status == "waiting_owner", f"decide.always_escalate is on by default, the run ended {status}"
    page.get_by_text("waiting for the owner's review").first.wait_for(timeout=UI_WAIT_MS)
    page.get_by_role("link", name="Open the report").click()
    page.get_by_role("tab", name="Claims").wait_for(timeout=UI_WAIT_MS)
    # The Answer comes first: the question's facets (ExpertFlow, the LRU cache it is compared with,
    # the comparison the runtime measured for the question), each answered or a gap with its reason.
    page.get_by_role("tab", name="Answer", selected=True).wait_for(timeout=UI_WAIT_MS)
    page.get_by_text("The question has").first.wait_for(timeout=UI_WAIT_MS)
    answer = page.locator("[data-testid='stMain']").inner_text()
    assert "ExpertFlow (system)" in answer and "Cache-MoE (baseline)" in answer, answer[:1500]
    assert "answered" in answer, answer[:1500]
    page.get_by_role("tab", name="Report").click()
    page.get_by_role("heading", name="References").first.wait_for(timeout=UI_WAIT_MS)

    # Sign in as the owner and approve.
    page.get_by_label("Owner password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as owner").wait_for(timeout=UI_WAIT_MS)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("button", name="Approve").wait_for(timeout=UI_WAIT_MS)
    page.get_by_role("textbox", name="Comment", exact=True).fill("Approved in the browser test")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("approve recorded by ada").wait_for(timeout=120_000)
    assert _run_row(home, run_id).status == "approved"

    from sqlmodel import select

    from kernel.storage.db import make_engine, session_scope
    from kernel.storage.models import Decision

    with session_scope(make_engine(f"sqlite:///{home / 'sovereign.sqlite'}")) as s:
        decision = s.exec(select(Decision).where(Decision.run_id == run_id)).one()
    assert (decision.owner, decision.action, decision.comment) == ("ada", "approve", "Approved in the browser test")

    # A screenshot of the approved report, kept as the test's artifact.
    page.set_viewport_size({"width": 1400, "height": 2400})  # the app scrolls inside its main pane
    page.goto(f"{base}/report?run={run_id}")
    page.get_by_text("approved by the owner").first.wait_for(timeout=UI_WAIT_MS)
    page.locator("[data-testid='stMetricValue']").first.wait_for(timeout=UI_WAIT_MS)
    page.get_by_role("tab", name="Decisions").click()
    page.get_by_text("Approved in the browser test").first.wait_for(timeout=UI_WAIT_MS)
    page.get_by_role("tab", name="Report").click()
    page.wait_for_timeout(1500)  # let the draft's Markdown finish laying out
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    browser.close()


def test_corpus_page_uploads_papers_and_names_a_bad_one(served, shots, tmp_path):
    """Runs after the asking test (file order), so the papers it adds do not change that run."""
    from tests.kernel.retrieval.paper_pdfs import TITLE, image_only_pdf, paper_pdf

    base, _, pw = served
    good = paper_pdf(tmp_path / "cacheflow.pdf")
    scan = image_only_pdf(tmp_path / "scan.pdf")
    browser = _browser(pw)
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    shots.append(page)
    page.goto(f"{base}/corpus")
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Papers (PDF")
    uploader.locator("input[type='file']").set_input_files([str(good), str(scan)])
    page.get_by_text("scan.pdf").first.wait_for(timeout=UI_WAIT_MS)  # both uploaded
    page.get_by_role("button", name="Add papers").click()
    page.get_by_text("1 added, 0 merged with an arXiv record, 0 already present, 1 skipped").wait_for(
        timeout=UI_WAIT_MS)
    shown = page.locator("[data-testid='stMain']").inner_text()
    assert "scan.pdf: no text layer" in shown and "run OCR first" in shown, shown[-1500:]
    assert TITLE in shown, shown[-1500:]
    browser.close()
