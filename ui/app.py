"""The SOVEREIGN app: `sovereign ui` runs `streamlit run ui/app.py`.

A thin shell over `kernel.service`: every page reads the database or calls the service; runs
execute in background workers (`ui.worker`), never in a page's script run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ on sys.path, not the repository root that holds the packages.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from ui import access, backend  # noqa: E402

st.set_page_config(page_title="SOVEREIGN", page_icon=":material/balance:", layout="wide")

settings = backend.settings()
owner = access.current_owner(settings)
pages = [
    st.Page("views/ask.py", title="Ask", icon=":material/help:", default=True),
    st.Page("views/runs.py", title="Runs", icon=":material/list:"),
    st.Page("views/report.py", title="Report", icon=":material/description:"),
    st.Page("views/review.py", title="Review queue", icon=":material/gavel:" if owner else ":material/lock:"),
    st.Page("views/checks.py", title="Checks", icon=":material/science:"),
    st.Page("views/corpus.py", title="Corpus", icon=":material/library_books:"),
]
st.navigation(pages).run()
