"""Corpus import: counts, idempotence, malformed lines, missing files, the snapshot quirks."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from kernel.errors import BadInput
from kernel.retrieval import has_local_papers, index
from kernel.retrieval.corpus import MissingCorpusFile, import_snapshot
from kernel.storage.models import Paper

from .conftest import MOE, SAMPLE, need_corpus


def _count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Paper)).one()


def test_import_both_files_then_again_is_idempotent(engine):
    need_corpus()
    assert not has_local_papers(engine)
    first = import_snapshot(engine, [MOE, SAMPLE])
    assert (first.read, first.imported, first.updated, first.malformed) == (241, 241, 0, 0)
    again = import_snapshot(engine, [MOE, SAMPLE])
    assert (again.imported, again.updated) == (0, 241)
    assert _count(engine) == 241 and has_local_papers(engine)
    # The index follows the table: the ExpertFlow paper is found by its name, once.
    hits = [h.paper_id for h in index.search(engine, "ExpertFlow predictive caching", 5)]
    assert hits[0] == "2410.17954" and len(set(hits)) == len(hits)


def test_snapshot_quirks_become_clean_papers(engine):
    need_corpus()
    import_snapshot(engine, [MOE, SAMPLE])
    with Session(engine) as s:
        raw = s.get(Paper, "0704.0001")  # raw dump: hard line breaks, leading spaces
        assert "\n" not in raw.title and not raw.abstract.startswith(" ")
        assert raw.authors[0] == "C. Balázs" or raw.authors[0].endswith("Bal\\'azs")
        assert raw.published.year == 2007 and raw.version == "v2"
        dated = s.get(Paper, "2308.12066")  # date-only version
        assert dated.published.date().isoformat() == "2023-08-23"
        undated = s.get(Paper, "2310.18859")  # created: null
        assert undated.published is None and undated.title
        nocat = s.get(Paper, "2202.08906")  # categories: null
        assert nocat.categories == [] and nocat.source == "corpus:moe-inference.jsonl"


def test_malformed_lines_are_counted_with_line_numbers_and_the_rest_imports(engine, tmp_path):
    need_corpus()
    lines = MOE.read_text().splitlines()
    bad = tmp_path / "mixed.jsonl"
    bad.write_text("\n".join([lines[0], "{not json", lines[1], '{"title": "no id"}',
                              '{"id": "banana", "title": "x"}', lines[2]]) + "\n")
    report = import_snapshot(engine, [bad])
    f = report.files[0]
    assert (f.read, f.imported, f.malformed) == (6, 3, 3)
    assert [n for n, _ in f.malformed_lines] == [2, 4, 5]
    assert "banana" in f.malformed_lines[2][1]


def test_missing_file_names_it_and_the_other_files_still_import(engine, tmp_path):
    need_corpus()
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(MissingCorpusFile) as caught:
        import_snapshot(engine, [missing, MOE])
    assert isinstance(caught.value, BadInput)
    assert str(missing) in str(caught.value)
    assert caught.value.report.imported == 41 and _count(engine) == 41


def test_cli_import_and_search(settings, tmp_path):
    need_corpus()
    from typer.testing import CliRunner

    from kernel.retrieval.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["search", "MoE", "--lexical"])
    assert res.exit_code == 2 and "corpus import" in res.output
    res = runner.invoke(app, ["import", str(MOE), "--json"])
    assert res.exit_code == 0, res.output
    assert '"imported": 41' in res.stdout
    res = runner.invoke(app, ["import", str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 2 and "missing.jsonl" in res.output
    res = runner.invoke(app, ["search", "Pre-gated MoE", "-k", "3", "--lexical", "--json"])
    assert res.exit_code == 0, res.output
    assert '"id": "2308.12066"' in res.stdout
