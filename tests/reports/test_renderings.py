"""The Markdown, HTML and JSON renderings of one run agree on every claim, verdict
and number; every reference is a working link; the HTML carries its plots."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

import reports
from reports.refs import numbers_in
from reports.sample_runs import sample_run


@pytest.fixture(scope="module")
def rendered():
    run = sample_run(3)
    d = reports.draft(run)
    return run, d, reports.render_markdown(d), reports.render_html(d, plotlyjs="none"), reports.render_json(d)


def _md_rows(md: str) -> dict[str, list[str]]:
    rows = {}
    for line in md.splitlines():
        m = re.match(r'\| <a id="([ce]\d+)"></a>', line)
        if m:
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            cells[0] = re.sub(r"<a id=\"[^\"]+\"></a>", "", cells[0])
            rows[m.group(1)] = cells
    return rows


def _html_rows(html: str) -> dict[str, list[str]]:
    rows = {}
    for m in re.finditer(r'<tr id="([ce]\d+)">(.*?)</tr>', html):
        rows[m.group(1)] = [unescape(c) for c in re.findall(r"<td>(.*?)</td>", m.group(2))]
    return rows


def _floats(text: str) -> list[float]:
    return sorted(float(n.replace(",", "")) for n in numbers_in(text))


def test_every_claim_verdict_and_number_agrees(rendered):
    run, d, md, html, js = rendered
    md_rows, html_rows = _md_rows(md), _html_rows(html)
    assert md_rows == html_rows  # every cell of the claims and empirical tables
    json_claims = {f"c{c['claim_id']}": c for c in js["claims"]}
    assert {k for k in md_rows if k.startswith("c")} == set(json_claims) == {f"c{c.id}" for c in run.claims}
    for key, c in json_claims.items():
        assert md_rows[key][4] == c["verdict"]
        shown = " ".join(md_rows[key])
        fact = [f"{c[k]:g}" for k in ("value", "value_high") if c[k] is not None] + [c["model"] or ""]
        stored = " ".join([c["paper_id"], c["text"], c["empirical"], c["evidence"], str(c["confidence"]), *fact])
        assert _floats(shown) == _floats(stored)
    for e in js["empirical"]:
        cells = md_rows[f"e{e['check_id']}"]
        assert float(cells[3].rstrip("×% ")) == pytest.approx(e["claimed"], rel=5e-3)
        assert float(cells[4].rstrip("×% ")) == pytest.approx(e["measured"], rel=5e-3)
        assert cells[5] == e["verdict"]


def test_every_sentence_appears_in_all_three(rendered):
    run, d, md, html, js = rendered
    text_html = unescape(re.sub(r"<[^>]+>", "", html))
    for name in d.PROSE:
        for i, s in enumerate(getattr(d, name)):
            assert s.text in md and s.text in text_html
            assert js[name][i]["text"] == s.text and js["numbers"][name][i] == numbers_in(s.text)


def test_numbers_in_prose_carry_references_that_resolve(rendered):
    run, d, md, html, js = rendered
    for name, s in d.prose():
        if numbers_in(s.text):
            assert s.refs, f"unreferenced number in {name}: {s.text}"
    targets_md = set(re.findall(r'id="([a-z0-9-]+)"', md))
    targets_html = set(re.findall(r'id="([a-z0-9-]+)"', html))
    links = set(re.findall(r"\]\(#([a-z0-9-]+)\)", md))
    assert links and links <= targets_md and links <= targets_html


def test_html_embeds_plots_inline_or_from_cdn():
    d = reports.draft(sample_run(0))
    assert d.figures
    inline = reports.render_html(d)
    cdn = reports.render_html(d, plotlyjs="cdn")
    assert f'id="{d.figures[0].id}"' in inline and "Plotly.newPlot" in inline
    assert len(inline) > 1_000_000 and 'src="https://cdn.plot.ly' not in inline  # works offline
    assert 'src="https://cdn.plot.ly' in cdn and len(cdn) < 200_000
    json.dumps(reports.render_json(d))  # the JSON rendering is plain JSON


def test_bad_plotlyjs_option_names_the_valid_ones():
    with pytest.raises(reports.ReportError, match="inline"):
        reports.render_html(reports.draft(sample_run(0)), plotlyjs="web")


def test_paper_ids_are_names_not_numbers():
    """A paper added from a file (local:<hash>) or an arXiv id never counts as a figure, so the
    tribunal's number checks do not flag the citation of a person's own paper."""
    text = "SwiftExpert (local:17af149420c4) is 6.0x faster than LRU [2410.17954v2; hep-th/9901001]."
    assert numbers_in(text) == ["6.0"]


def test_a_name_is_mentioned_as_whole_words_only():
    """"TPU" is not named by "output"; "Mixtral-8x7B" is by "Mixtral 8x7B"; a plural counts."""
    from reports.evidence import mentions

    assert not mentions("time per output token (TPOT)", "TPU")
    assert mentions("on Google TPU v5e pods", "TPU") and mentions("eight TPUs", "TPU")
    assert mentions("the Mixtral 8x7B model", "Mixtral-8x7B") and mentions("LRU-based caches", "LRU")
