"""Sentences, numbers, settings and names: the pieces extraction stands on."""

from verifier.aliases import canonical_hardware, canonical_model, canonical_system, find_mentions
from verifier.numbers import find_quantities, find_settings, values_agree
from verifier.sentences import split_sentences


def _sentences(text):
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_survives_numbers_and_abbreviations():
    text = ("ExpertFlow is 1.99× faster than Cache-MoE (Fig. 3), e.g. on Mixtral-8×7B. "
            "Eliseev et al. use an LRU cache. See Sec. 4 for details.")
    assert _sentences(text) == [
        "ExpertFlow is 1.99× faster than Cache-MoE (Fig. 3), e.g. on Mixtral-8×7B.",
        "Eliseev et al. use an LRU cache.",
        "See Sec. 4 for details.",
    ]


def test_flattened_table_rows_are_their_own_sentences():
    text = "Results follow.\nModel | speedup\nSwitch-32 | 2.01x\nSwitch-64 | 3.19x\n"
    assert _sentences(text)[1:] == ["Model | speedup", "Switch-32 | 2.01x", "Switch-64 | 3.19x"]


def test_quantities_units_and_ranges():
    q = find_quantities("up to 93.72% less memory, 2-10× faster, 12 ms, 30 tokens/s, 5.86 times, 352 MB")
    got = [(x.value, x.value_high, x.unit) for x in q]
    assert got == [(93.72, None, "%"), (2.0, 10.0, "×"), (12.0, None, "ms"), (30.0, None, "tokens/s"),
                   (5.86, None, "×"), (352.0, None, "MB")]


def test_figure_numbers_and_years_are_not_values():
    assert find_quantities("As Fig. 3 and Table 2 show, in 2024 nothing changed [12].") == []
    # a decade is not a duration in seconds (Climate-FEVER: "warming reached a peak in the late 1990s")
    assert find_quantities("Sea level has risen since the 1920s, and warming peaked in the late 1990s.") == []
    assert [(q.value, q.unit) for q in find_quantities("a step takes 30s")] == [(30.0, "s")]


def test_settings_are_read_and_results_are_not_settings():
    got = {s.key: s.value for s in find_settings("with a cache size of 16 and batch size 32")}
    assert got == {"cache_size": 16.0, "batch_size": 32.0}
    assert find_settings("the speed-up over the LRU cache is 2.12×") == []


def test_values_agree_at_written_precision():
    assert values_agree(2.0, 0, 1.99, 2)  # "2×" rounds 1.99×
    assert not values_agree(2.04, 2, 2.01, 2)  # the kernel's error
    assert values_agree(93.72, 2, 93.72, 2)


def test_aliases_normalise_names():
    assert canonical_model("Mixtral-8×7B") == canonical_model("Mixtral-8") == "Mixtral-8x7B"
    assert canonical_model("mixtral 8x22B") == "Mixtral-8x22B"
    assert canonical_model("switch-base-128") == canonical_model("Switch-128") == "Switch-Base-128"
    assert canonical_model("Qwen1.5-MoE") == "Qwen1.5-MoE-A2.7B"
    assert canonical_model("DeepSeekMoE") == "DeepSeek-MoE-16B"
    assert canonical_system("per-layer LRU cache") == canonical_system("Cache-MoE") == "Cache-MoE"
    assert canonical_system("mixtral-offloading") == "mixtral-offloading"
    assert canonical_hardware("free Colab") == "T4"
    assert canonical_model("no such model") is None


def test_slash_lists_name_each_model():
    names = [m.name for m in find_mentions("on Switch-32/64/128") if m.kind == "model"]
    assert names == ["Switch-Base-32", "Switch-Base-64", "Switch-Base-128"]


def _q(text):
    return [(x.value, x.value_high, x.unit, x.bound, text[x.start:x.end]) for x in find_quantities(text)]


def test_latex_spreads_and_word_scales():
    assert _q("up to $3.93\\times$ more, 14\\% less") == [(3.93, None, "×", "upper", "3.93\\times"),
                                                          (14.0, None, "%", None, "14\\%")]
    assert _q("ranging from 85 million to 1.2 billion parameters") == [
        (0.085, 1.2, "B params", None, "85 million to 1.2 billion parameters")]
    assert _q("1.6 trillion parameters on 5 trillion tokens") == [(1600.0, None, "B params", None, "1.6 trillion"),
                                                                   (5.0, None, None, None, "5 trillion")]
    assert [v for v, *_ in _q("92.5% +/- 6.1% accuracy")] == [92.5]


def test_bounds_and_changes():
    assert [b for *_, b, _ in _q("at most 2.34x, beyond 600B parameters, 9x")] == ["upper", "lower", None]
    assert _q("from 35.21 GB to 6.52 GB") == [(35.21, None, "GB", None, "35.21 GB"),
                                              (6.52, None, "GB", None, "6.52 GB")]


def test_sized_family_names_and_library_names():
    text = "DeepSeekMoE 2B matches GShard 2.9B and LLaMA2 7B; DeepSeekMoE 16B"
    names = [(m.kind, m.name) for m in find_mentions(text)]
    assert names == [("model", "DeepSeekMoE-2B"), ("model", "GShard-2.9B"), ("model", "LLaMA2-7B"),
                     ("model", "DeepSeek-MoE-16B")]
    names = [m.name for m in find_mentions("DeepSpeed-MoE, part of the DeepSpeed library")]
    assert names == ["DeepSpeed-MoE", "DeepSpeed"]
    names = [m.name for m in find_mentions("4.5x faster and 9x cheaper, 20% FLOPs")]
    assert names == ["speedup", "cost", "computation"]
