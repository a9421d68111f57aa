"""What an experiment run for the question (no claim states it) measured, in one sentence, and
the figures it can vouch for."""

from __future__ import annotations

from domain.run_data import EmpiricalData
from reports import evidence as ev
from reports.model import Sentence
from reports.refs import check, fmt

SCALE_NAMES = {"small": "the small variant", "full": "the full-size model, simulated"}


def _scale_results(e: EmpiricalData) -> list[tuple[str, dict, dict]]:
    """(scale name, scale, measured summary) of each scale an experiment ran at."""
    out = []
    for v in e.measurements.get("scales") or []:
        if isinstance(v, dict) and isinstance(v.get("measured"), dict) and v["measured"].get("median") is not None:
            out.append((str(v.get("name", "")), v.get("scale") or {}, v["measured"]))
    return out


def _spans_parity(m: dict) -> bool:
    low, high = m.get("low"), m.get("high")
    return isinstance(low, (int, float)) and isinstance(high, (int, float)) and low <= 1.0 <= high


def question_check_numbers(e: EmpiricalData) -> list[float]:
    """Every figure an experiment measured for the question can vouch for."""
    nums = [x for _, _, m in _scale_results(e) for x in (m.get("median"), m.get("low"), m.get("high"))]
    nums += [x.get("measured") for x in ev.comparisons(e)] + [e.measurements.get("measured")]
    nums += list(e.measurements.get("interval") or []) + [e.spec.get("cache_size"), e.spec.get("batch_size")]
    for _, scale, _ in _scale_results(e):
        nums += [scale.get("budget"), scale.get("batch"), scale.get("num_experts"), scale.get("moe_layers")]
    return [float(x) for x in nums if isinstance(x, (int, float)) and not isinstance(x, bool)]


def question_check_sentence(e: EmpiricalData) -> Sentence:
    """One experiment run for the question (no claim states it): what ran and what it measured,
    at each scale, with the scale said."""
    spec = e.spec
    what = f"{spec.get('system')} ÷ {spec.get('baseline')} throughput"
    head = (f"Measured for this question ({spec.get('system')} vs {spec.get('baseline')} on {spec.get('model')}, "
            f"{spec.get('cache_size')} experts per layer cached, batch {spec.get('batch_size')} asked)")
    scales = _scale_results(e)
    if e.status != "done" or not (scales or ev.comparisons(e)):
        why = e.error or e.reason or e.status
        return Sentence(text=f"{head}: the experiment did not finish ({why}).", refs=[check(e.id)])
    if scales:
        parts = [f"{fmt(m['median'], '×')} (interval {fmt(m.get('low'))}–{fmt(m.get('high'))}) on "
                 f"{SCALE_NAMES.get(name, name)} {scale.get('preset', '')} ({scale.get('backend', '')}"
                 + (f", batch {scale['batch']}" if scale.get("batch") is not None else "") + ")"
                 + (", within noise: the interval includes parity" if _spans_parity(m) else "")
                 for name, scale, m in scales]
        text = f"{head}: {what} {' and '.join(parts)}"
    else:
        text = f"{head}: " + ", ".join(f"{x['label']} {fmt(x.get('measured'), x.get('unit'))}"
                                       for x in ev.comparisons(e) if x.get("measured") is not None)
    if ev.is_small_scale(e):
        text += f" — {ev.SCALE_CAVEAT}: the small variant and the simulation test the mechanism, not a GPU deployment"
    return Sentence(text=text + ".", refs=[check(e.id)])
