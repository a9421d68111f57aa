"""Corpus: import an arXiv metadata snapshot (JSON lines), add your own papers (PDFs, text
sources), and search the papers stored."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kernel.errors import USER_ERRORS
from ui import access, backend
from ui.corpus_import import add_paper_files, import_files, save_uploads

st.title("Corpus")
settings = access.start_page()
st.caption(f"{backend.paper_count():,} papers stored. Offline runs search these.")

st.subheader("Import a snapshot")
upload = st.file_uploader("arXiv metadata snapshot (JSON lines)", type=["jsonl", "json"], key="corpus_upload")
server_path = st.text_input("…or a file path on this server", key="corpus_path")
if st.button("Import", type="primary", key="corpus_import"):
    paths: list[Path] = []
    if upload is not None:
        # Kept in the data home so the run's source ("corpus:<file>") names a file that exists.
        dest = settings.home / "corpora" / Path(upload.name).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(upload.getvalue())
        paths.append(dest)
    if server_path.strip():
        paths.append(Path(server_path.strip()).expanduser())
    if not paths:
        st.warning("Choose a file to upload or give a path on this server.")
    else:
        try:
            import_files(paths)
        except USER_ERRORS as exc:
            st.error(str(exc))

st.subheader("Add your own papers")
st.caption("PDFs and text sources (.txt, .md, .tex): each becomes a paper read in full by later runs, "
           "offline too. A file named by its arXiv id (2410.17954v2.pdf) joins that paper's record.")
paper_uploads = st.file_uploader("Papers (PDF, .txt, .md, .tex)", type=["pdf", "txt", "md", "tex"],
                                 accept_multiple_files=True, key="papers_upload")
papers_path = st.text_input("…or a folder of papers on this server", key="papers_path")
if st.button("Add papers", key="papers_add"):
    paper_paths = save_uploads(paper_uploads or [], settings.home)
    if papers_path.strip():
        paper_paths.append(Path(papers_path.strip()).expanduser())
    if not paper_paths:
        st.warning("Choose PDFs or text files to upload, or give a folder on this server.")
    else:
        try:
            add_paper_files(paper_paths, settings.cache_dir)
        except USER_ERRORS as exc:
            st.error(str(exc))

st.subheader("Search")
c1, c2 = st.columns([4, 1])
query = c1.text_input("Search the stored papers", placeholder="expert offloading cache", key="corpus_query")
k = c2.number_input("results", min_value=1, max_value=200, value=10, key="corpus_k")
if query.strip():
    from kernel.retrieval.index import search

    hits = search(backend.engine(), query, k=int(k))
    if not hits:
        st.info(f"No stored paper matches {query!r}.")
    found = backend.papers([h.paper_id for h in hits])
    st.dataframe(
        [
            {
                "arXiv id": h.paper_id,
                "title": found[h.paper_id].title if h.paper_id in found else "?",
                "year": (found[h.paper_id].published.year
                         if h.paper_id in found and found[h.paper_id].published else None),
                "score": round(h.score, 3),
                "source": found[h.paper_id].source if h.paper_id in found else "",
            }
            for h in hits
        ],
        hide_index=True,
        width="stretch",
    )
    for h in hits[:10]:
        paper = found.get(h.paper_id)
        if paper is not None:
            with st.expander(f"{paper.id} — {paper.title}"):
                st.caption(", ".join(paper.authors[:8]) + (" et al." if len(paper.authors) > 8 else ""))
                st.write(paper.abstract)
