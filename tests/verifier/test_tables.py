"""Table passages: rows become claims with their fields; a row bound to no metric gives none;
related-work sentences are about the system they name."""

from __future__ import annotations

import pytest

from verifier.attribution import attribute
from verifier.compare import PassageFacts
from verifier.extract import extract_claims
from verifier.tables import Table, parse, render, table_claims

SPEEDUP = Table("Table 3", "Speed-up of ExpertFlow over Cache-MoE at two cache sizes.",
                ["Model", "Cache", "Speed-up"],
                [["Mixtral-8×7B", "2/8", "1.99×"], ["Mixtral-8×7B", "4/8", "1.45×"]])


def test_render_and_parse_keep_caption_header_and_rows():
    text = render(SPEEDUP)
    assert text.splitlines()[0] == "Table 3: Speed-up of ExpertFlow over Cache-MoE at two cache sizes."
    row = text.splitlines()[2]
    assert row == "Table 3 row 1: Model = Mixtral-8×7B; Cache = 2/8; Speed-up = 1.99×."
    back = parse(text)
    assert back.header == SPEEDUP.header and back.rows == SPEEDUP.rows
    s, e = back.row_spans[1]
    assert text[s:e].startswith("Table 3 row 2:")


def test_a_row_is_a_claim_with_caption_baseline_row_model_and_cache_setting():
    first, second = table_claims(render(SPEEDUP))
    assert (first.system, first.metric, first.value, first.unit) == ("ExpertFlow", "speedup", 1.99, "×")
    assert first.baseline == "Cache-MoE" and first.model == "Mixtral-8x7B"
    assert first.setting == {"cache_size": 2} and second.setting == {"cache_size": 4}
    assert first.text.startswith("Table 3 row 1:") and first.direction == "higher"
    # extract_claims reads a table passage the same way (the read stage stores tables so)
    assert [c.value for c in extract_claims(render(SPEEDUP))] == [1.99, 1.45]


def test_units_from_headers_and_the_unit_row_is_the_baseline():
    table = Table("Table 2", "Decoding on Mixtral-8x7B at batch size 16.",
                  ["System", "Latency (ms)", "Speed-up", "Hit rate (%)"],
                  [["Cache-MoE", "120.5", "1.00×", "61.2"], ["ExpertFlow", "60.1", "2.00×", "88.5"]])
    claims = table_claims(render(table))
    got = {(c.system, c.metric): (c.value, c.unit, c.baseline) for c in claims}
    assert got[("ExpertFlow", "latency")] == (60.1, "ms", None)
    assert got[("ExpertFlow", "hit rate")] == (88.5, "%", None)
    assert got[("ExpertFlow", "speedup")] == (2.0, "×", "Cache-MoE")
    assert ("Cache-MoE", "speedup") not in got  # 1.00× over itself
    assert all(c.setting == {"batch_size": 16} and c.model == "Mixtral-8x7B" for c in claims)
    # each row line reads alone: the header's unit is written on the cell, and the claim's own
    # passage states every figure for the same quantity (the attribution check)
    text = render(table)
    assert "Table 2 row 2: System = ExpertFlow; Latency = 60.1 ms; Speed-up = 2.00×; Hit rate = 88.5%." in text
    own = PassageFacts.build(text)
    assert {attribute([c], c.text, own).label for c in claims} == {"ATTRIBUTED"}


def test_rows_that_bind_to_no_metric_give_no_claim():
    table = Table("Table 4", "Hyper-parameters.", ["Model", "Layers", "Experts"],
                  [["Mixtral-8x7B", "32", "8"], ["OLMoE-1B-7B", "16", "64"]])
    assert table_claims(render(table)) == []
    headless = Table("Table 5", "Results.", ["", "", ""], [["ExpertFlow", "9.0", "88.5"]])
    assert table_claims(render(headless)) == []


@pytest.mark.parametrize("related", [True, False])
def test_related_work_claims_are_about_the_system_they_name(related):
    text = ("MoE-Infinity traces expert activations per request. It reduces decoding latency by "
            "3.5x compared with DeepSpeed-Inference. Prior offloading systems cut GPU memory by 80%. "
            "Our approach improves throughput by 2.5x over MoE-Infinity.")
    claims = [c for c in extract_claims(text, section_kind="related_work" if related else "evaluation")
              if c.value is not None]
    by_value = {c.value: c.system for c in claims}
    assert by_value[3.5] == "MoE-Infinity"
    if related:
        assert set(by_value) == {3.5}  # the unnamed ones cannot be told: dropped
    else:
        assert {80, 2.5} <= set(by_value)


def test_a_related_work_section_is_known_by_its_heading_too():
    text = "Prior offloading systems cut GPU memory by 80%."
    assert extract_claims(text, source_section="2 Related Work") == []
    assert extract_claims(text, source_section="Evaluation")


def test_a_cell_with_a_spread_keeps_its_value_and_unit():
    table = Table("Table 1", "Throughput on Mixtral-8x7B.", ["Policy", "Throughput (tok/s)"],
                  [["LRU", "4.3±0.1"], ["ExpertFlow", "9.0±0.2"]])
    text = render(table)
    assert "Throughput = 9.0 tokens/s ±0.2." in text
    assert [(c.value, c.unit) for c in table_claims(text)] == [(4.3, "tokens/s"), (9.0, "tokens/s")]


def test_a_column_per_system_gives_each_figure_its_system():
    table = Table("Table 6", "Decoding throughput of ExpertFlow and Cache-MoE.",
                  ["Model", "ExpertFlow (tok/s)", "Cache-MoE (tok/s)"],
                  [["Mixtral-8x7B", "9.0", "4.3"]])
    claims = table_claims(render(table))
    assert [(c.system, c.value, c.unit, c.model) for c in claims] == [
        ("ExpertFlow", 9.0, "tokens/s", "Mixtral-8x7B"), ("Cache-MoE", 4.3, "tokens/s", "Mixtral-8x7B")]


def test_a_caption_naming_only_the_baseline_leaves_the_system_open():
    """"Speed-up over Cache-MoE (LRU) with 2 of 8 experts cached": Cache-MoE is the baseline, not
    the system (else every row would be the baseline's own and be dropped), and the cache holds
    2 experts, not 8."""
    from verifier.numbers import find_settings
    from verifier.tables import table_claims

    text = ("Table 2: Decoding throughput speedup over Cache-MoE (LRU) with 2 of 8 experts cached.\n"
            "Columns: Model; Cache; Speedup.\n"
            "Table 2 row 1: Model = Mixtral-8x7B; Cache = 2/8; Speedup = 6.00x.\n"
            "Table 2 row 2: Model = Qwen1.5-MoE; Cache = 16/60; Speedup = 4.50x.")
    claims = table_claims(text)
    assert [(c.system, c.baseline, c.value, c.model) for c in claims] == [
        (None, "Cache-MoE", 6.0, "Mixtral-8x7B"), (None, "Cache-MoE", 4.5, "Qwen1.5-MoE-A2.7B")]
    assert [s.value for s in find_settings("with 2 of 8 experts cached")] == [2.0]
