"""The Corpus page adds the person's own papers through `local_papers.add_papers`, the function
behind `sovereign corpus add`, and shows the same one-line results (AppTest drives the folder
path; the browser test drives the upload)."""

from __future__ import annotations

from tests.kernel.retrieval.paper_pdfs import TITLE, image_only_pdf, paper_pdf


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def add_folder(app, folder):
    """The Corpus page with `folder` given to "Add papers"; the AppTest after the click."""
    at = app()
    at.switch_page("views/corpus.py").run()
    at.text_input(key="papers_path").input(str(folder))
    at.button(key="papers_add").click()
    at.run()
    return at


def test_corpus_page_adds_a_folder_of_papers_and_names_each_bad_file(app, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    paper_pdf(folder / "cacheflow.pdf")
    image_only_pdf(folder / "scan.pdf")
    at = add_folder(app, folder)
    assert not at.exception
    assert "1 added, 0 merged with an arXiv record, 0 already present, 1 skipped" in texts(at.success)
    (warning,) = at.warning
    assert warning.value.startswith(f"skipped {folder / 'scan.pdf'}: no text layer")
    assert "run OCR first" in warning.value
    assert any(TITLE in t.value and "added" in t.value for t in at.text)
    # The paper is stored and searchable like the imported ones.
    at.text_input(key="corpus_query").input("predictive expert caching offloaded").run()
    hits = at.dataframe[0].value
    assert hits["source"].iloc[0] == "file:cacheflow.pdf"
    # Adding the folder again changes nothing.
    at.button(key="papers_add").click()
    at.run()
    assert "0 added, 0 merged with an arXiv record, 1 already present, 1 skipped" in texts(at.success)


def test_corpus_page_says_when_nothing_could_be_read(app, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    image_only_pdf(folder / "scan.pdf")
    at = add_folder(app, folder)
    assert not at.exception
    assert "none of the 1 files could be read" in texts(at.error)
    assert "no text layer" in texts(at.warning)
