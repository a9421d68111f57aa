"""The Report page's claim functions: filters, evidence highlighting, claimed-vs-measured pairs."""

from __future__ import annotations

from domain.run_data import ClaimData, EmpiricalData, RunData
from domain.verdicts import TextCheckFields
from ui.claims_view import claim_rows, comparison_figure, comparisons, displayable, filter_claims, highlight


def claim(i: int, paper: str, independent: str | None) -> ClaimData:
    verdict = {"CORROBORATED": "SUPPORTED", "CONTRADICTED": "CONTRADICTED"}.get(independent or "", "UNVERIFIED")
    check = TextCheckFields(verdict=verdict, confidence=0.5, independent=independent,
                            attribution="ATTRIBUTED") if independent else None
    return ClaimData(id=i, paper_id=paper, passage_id=i, text=f"claim {i}", text_check=check)


CLAIMS = [claim(1, "A", "CORROBORATED"), claim(2, "A", "CONTRADICTED"), claim(3, "B", "CORROBORATED"),
          claim(4, "B", None), claim(5, "B", "NONE")]


def test_filters_combine_verdict_and_paper():
    assert [c.id for c in filter_claims(CLAIMS, verdicts=["SUPPORTED"])] == [1, 3]
    assert [c.id for c in filter_claims(CLAIMS, papers=["B"])] == [3, 4, 5]
    assert [c.id for c in filter_claims(CLAIMS, verdicts=["SUPPORTED"], papers=["B"])] == [3]
    assert [c.id for c in filter_claims(CLAIMS, verdicts=["NOT CHECKED"])] == [4]
    assert len(filter_claims(CLAIMS)) == 5


def test_rows_show_the_status_beside_the_three_verdicts():
    data = RunData(run_id="r", question="q", claims=CLAIMS)
    rows = claim_rows(data, CLAIMS)
    assert [r["verdict"] for r in rows] == ["SUPPORTED", "CONTRADICTED", "SUPPORTED", "NOT CHECKED", "UNVERIFIED"]
    assert [r["independent evidence"] for r in rows] == ["CORROBORATED", "CONTRADICTED", "CORROBORATED", "NONE", "NONE"]
    assert rows[4]["why"] == "only its authors' word" and rows[4]["attribution"] == "ATTRIBUTED"
    assert rows[3]["confidence"] is None and rows[4]["confidence"] is None and rows[0]["empirical"] == ""


def test_a_claim_its_own_passage_states_is_not_supported_for_that():
    own_only = ClaimData(id=9, paper_id="A", passage_id=9, text="claim 9", text_check=TextCheckFields(
        verdict="SUPPORTED", confidence=0.99, independent="NONE", attribution="ATTRIBUTED"))
    row = claim_rows(RunData(run_id="r", question="q", claims=[own_only]), [own_only])[0]
    assert row["verdict"] == "UNVERIFIED" and row["confidence"] is None


def test_the_claim_is_bolded_in_its_passage_only_where_it_occurs():
    assert highlight("We find X is 2x faster. Done.", "X is 2x faster.") == "We find **X is 2x faster.** Done."
    assert highlight("Nothing here.", "X is 2x faster.") == "Nothing here."


def test_stored_verifier_pairs_are_plotted_and_incomplete_ones_left_out():
    check = EmpiricalData(id=1, status="done", claimed={"quantity": "speedup", "value": 2.0, "unit": "×"},
                          measurements={"measured": 1.4, "comparisons": [
                              {"label": "speed-up over LRU", "unit": "×", "claimed": 2.0, "measured": 1.4},
                              {"label": "LRU", "unit": "tok/s", "claimed": None, "measured": 10.0}]})
    pairs = comparisons(check)
    assert [(p.label, p.claimed, p.measured, p.unit) for p in pairs] == [("speed-up over LRU", 2.0, 1.4, "×")]
    fig = comparison_figure(pairs, "t")
    assert list(fig.data[0].y) == [2.0] and list(fig.data[1].y) == [1.4]


def test_without_stored_pairs_the_claimed_value_meets_the_measured_one():
    check = EmpiricalData(id=1, status="done", claimed={"quantity": "hit_rate", "value": 85.9, "unit": "%"},
                          measurements={"measured": 61.0})
    assert [(p.label, p.claimed, p.measured) for p in comparisons(check)] == [("hit_rate", 85.9, 61.0)]
    nothing = EmpiricalData(id=2, status="failed", claimed={"quantity": "hit_rate", "value": 85.9})
    assert comparisons(nothing) == []


def test_report_anchors_are_removed_and_other_markup_is_left_for_escaping():
    md = '## Claims <a id="s-claims"></a>\n| <a id="c3"></a>C3 | x |\n<script>alert(1)</script>'
    assert displayable(md) == "## Claims \n| C3 | x |\n<script>alert(1)</script>"
