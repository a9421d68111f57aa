"""The discrete-event simulator: link priorities, overlap, cost model, and the simulate CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from expertflow_runtime.errors import BadInput
from expertflow_runtime.plan import ExpertKey
from expertflow_runtime.policies import make_policy
from expertflow_runtime.presets import from_name, profile_from_name
from expertflow_runtime.simulator.cli import app
from expertflow_runtime.simulator.core import Link, simulate
from expertflow_runtime.simulator.cost import CostModel
from expertflow_runtime.simulator.workload import map_trace, synthetic_trace


def test_a_miss_jumps_queued_prefetches_but_not_the_copy_in_progress():
    link = Link(transfer_s=1.0)
    for e in range(3):
        link.prefetch(ExpertKey(0, e), now=0.0)
    link.advance(0.5)  # prefetch 0 started at 0
    link.load(ExpertKey(1, 0), now=0.5)
    assert link.landing[ExpertKey(1, 0)] == 2.0  # after the copy in progress
    assert link.land_time(ExpertKey(0, 1)) == 3.0  # queued prefetches moved behind the miss


@pytest.fixture(scope="module")
def mixtral():
    preset = from_name("mixtral-8x7b")
    trace = synthetic_trace(preset.with_layers(4), sequences=8, prompt_len=4, gen_len=5, seed=2)
    return preset, trace, CostModel.from_preset(preset, profile_from_name("a40-pcie4"))


def _tps(name, mixtral, capacity, cost=None, **kw):
    _, trace, c = mixtral
    return simulate(make_policy(name, **kw), trace, cost or c, capacity=capacity, batch=4, groups=2,
                    policy_time="none")


def test_on_time_hit_rate_leaves_out_hits_that_waited_for_their_copy(mixtral):
    # the A40 link is ~28x slower than one expert's compute: prefetches cannot all land in time
    prefetching = _tps("expertflow-oracle", mixtral, 4 * 2, oracle_trace=mixtral[1])
    assert 0 < prefetching.on_time_hit_rate < prefetching.hit_rate <= 1
    lru = _tps("lru", mixtral, 4 * 2)  # never prefetches: every hit was resident already
    assert lru.on_time_hit_rate == lru.hit_rate
    resident = _tps("all-resident", mixtral, 4 * 8)
    assert resident.on_time_hit_rate == resident.hit_rate == 1.0


def test_offloading_costs_what_the_link_says(mixtral):
    preset, trace, cost = mixtral
    full = _tps("all-resident", mixtral, 4 * 8)
    lru = _tps("lru", mixtral, 4 * 2)
    on_demand = _tps("on-demand", mixtral, 4 * 2)
    assert full.stall_s == 0 and full.experts_loaded == 0
    assert full.tokens_per_s > lru.tokens_per_s >= on_demand.tokens_per_s
    assert lru.hit_rate > on_demand.hit_rate
    # a free link makes offloading free
    free = _tps("lru", mixtral, 4 * 2, cost=cost.with_transfer(0.0))
    assert free.tokens_per_s == pytest.approx(full.tokens_per_s, rel=0.05)


def test_one_mixtral_expert_copy_takes_about_14ms_on_pcie4():
    cost = CostModel.from_preset(from_name("mixtral-8x7b"), profile_from_name("a40-pcie4"))
    assert cost.transfer_s == pytest.approx(0.0141, rel=0.02)  # 352 MB / 25 GB/s (DESIGN.md)


def test_tiny_trace_maps_onto_the_full_shape_only_when_experts_match():
    tiny = synthetic_trace(from_name("mixtral-tiny"), sequences=2, prompt_len=2, gen_len=2)
    mapped = map_trace(tiny, from_name("mixtral-8x7b"))
    assert mapped.experts.shape[1] == 32
    assert (mapped.experts[:, 4] == tiny.experts[:, 0]).all()
    with pytest.raises(ValueError, match="synthetic"):
        map_trace(tiny, from_name("qwen1.5-moe-a2.7b"))


def test_simulate_cli_prints_one_json_document_and_rejects_bad_names():
    runner = CliRunner()
    res = runner.invoke(app, ["simulate", "--preset", "switch-base-32", "--policies",
                              "all-resident,lru,expertflow", "--budget", "8", "--batch", "4",
                              "--prompt-len", "2", "--gen-len", "3", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [r["policy"] for r in doc["results"]] == ["all-resident", "lru", "expertflow"]
    assert doc["results"][0]["vs_all_resident"] == 1.0
    bad = runner.invoke(app, ["simulate", "--preset", "nope", "--json"])
    assert bad.exit_code == 2 and "mixtral-8x7b" in bad.stderr
    bad = runner.invoke(app, ["simulate", "--preset", "mixtral-8x7b", "--budget", "9"])
    assert bad.exit_code == 2 and "outside [1, 8]" in bad.stderr


def test_expertflow_streams_a_prefill_that_needs_more_experts_than_the_whole_table():
    # Switch-128 at cache 4, batch 32 (the paper's 9.99x setting): one prefill layer routes to
    # more distinct experts than the 4 x L slot table holds, so slots must be reused in the layer.
    from expertflow_runtime.simulator.run import SimConfig, run_simulation

    doc = run_simulation(SimConfig(preset="switch-base-128", policies=["lru", "expertflow-oracle"],
                                   budget=4, batch=32, prompt_len=8, gen_len=2))
    rows = {r["policy"]: r for r in doc["results"]}
    assert set(rows) >= {"lru", "expertflow-oracle"}
    assert all(r["peak_slots"] <= doc["config"]["capacity"] for r in rows.values())
    assert rows["expertflow-oracle"]["tokens_per_s"] > 0


def test_simulated_memory_counts_occupied_slots_at_the_full_size_shape(mixtral):
    preset, trace, cost = mixtral
    full = _tps("all-resident", mixtral, 4 * 8)
    od = _tps("on-demand", mixtral, 4 * 8)  # could hold everything; frees after each layer
    assert full.peak_device_bytes == full.resident_bytes_all
    assert full.resident_bytes_all == 4 * 8 * preset.expert_bytes + cost.non_expert_bytes
    assert od.peak_expert_bytes == od.peak_slots * preset.expert_bytes
    assert od.peak_slots < 4 * 8 and od.peak_device_bytes < full.peak_device_bytes


ROUTES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "routing" / "mixtral-8x7b"


@pytest.mark.skipif(not ROUTES.is_dir(), reason="../shared/data/routing is absent")
def test_real_mixtral_routes_become_a_full_size_workload():
    from expertflow_runtime.simulator.workload import real_routes, trace_from_routes

    routes = real_routes(ROUTES)
    assert len(routes) == 4 and all(r.shape[1:] == (32, 2) for r in routes)
    trace = trace_from_routes(routes, from_name("mixtral-8x7b"), sequences=8)
    ids, ex = trace.sequence(3)
    assert ex.shape[1:] == (32, 2) and (ex >= -1).all() and (ex < 8).all()
    with pytest.raises(BadInput, match="layers"):
        trace_from_routes(routes, from_name("qwen1.5-moe-a2.7b"), sequences=8)


def test_simulated_predictor_recall_is_measured_or_says_it_is_assumed(tmp_path, monkeypatch):
    from expertflow_runtime.simulator.run import SimConfig, resolve_recall

    monkeypatch.setenv("SOVEREIGN_HOME", str(tmp_path))
    recall, source = resolve_recall(SimConfig(preset="mixtral-8x7b"))
    assert recall == 0.9 and source.startswith("ASSUMED") and "train-predictor" in source
    assert resolve_recall(SimConfig(preset="mixtral-8x7b", recall=0.5)) == (0.5, "given by the caller")


def test_layers_cut_the_simulated_stack_like_bench_does():
    """``--layers 4`` simulates the first four blocks: four MoE layers, a four-layer cost model,
    and half the per-token time of eight (the copies are per layer)."""
    runner = CliRunner()
    docs = {}
    for layers in (4, 8):
        res = runner.invoke(app, ["simulate", "--preset", "mixtral-8x7b", "--layers", str(layers),
                                  "--policies", "on-demand", "--policy-time", "none", "--json"])
        assert res.exit_code == 0, res.output
        docs[layers] = json.loads(res.stdout)
    assert docs[4]["config"]["moe_layers"] == 4 and docs[8]["config"]["moe_layers"] == 8
    t4, t8 = (docs[n]["results"][0]["tpot_s"] for n in (4, 8))
    assert t8 == pytest.approx(2 * t4, rel=0.1)
    bad = runner.invoke(app, ["simulate", "--preset", "mixtral-8x7b", "--layers", "99", "--json"])
    assert bad.exit_code == 2 and "layers 99" in bad.output


def test_host_cost_fit_recovers_known_per_operation_costs(mixtral):
    """Timings made with known host costs per copy issued and per blocking wait: the fit,
    started from zero on a policy that waits for every copy and one that prefetches, finds
    them again."""
    from dataclasses import replace

    from expertflow_runtime.simulator.cost import fit_host_costs

    _, trace, cost = mixtral
    # copies about as long as a layer's compute, as on the emulated link: a copy's issue time
    # then shows in the run time (on the A40 link it hides behind the copies in flight)
    cost = cost.with_transfer(1e-3)
    truth = replace(cost, copy_issue_s=2e-3, wait_resume_s=5e-3)

    def run(c, name):
        kw = {"oracle_trace": trace} if name == "expertflow-oracle" else {}
        return simulate(make_policy(name, **kw), trace, c, capacity=4 * 2, batch=4, groups=2,
                        policy_time="none").wall_s

    measured = {n: run(truth, n) for n in ("on-demand", "expertflow-oracle")}
    fit = fit_host_costs(cost, run, measured, prefetching="expertflow-oracle")
    assert fit.cost.copy_issue_s == pytest.approx(2e-3, rel=0.05)
    assert fit.cost.wait_resume_s == pytest.approx(5e-3, rel=0.05)
    assert fit.simulated_s["expertflow-oracle"] == pytest.approx(measured["expertflow-oracle"],
                                                                 rel=0.01)
    # without a second run, the first run's whole time per copy goes to the wait term
    alone = fit_host_costs(cost, run, measured, prefetching=None).cost
    assert alone.copy_issue_s == 0.0 and alone.wait_resume_s > 0.0
    assert run(alone, "on-demand") == pytest.approx(measured["on-demand"], rel=0.01)


def test_compute_scale_fit_meets_a_measured_all_resident_time(mixtral):
    from expertflow_runtime.simulator.cost import fit_compute_scale

    _, trace, cost = mixtral

    def wall(c):
        return simulate(make_policy("all-resident"), trace, c, capacity=4 * 8, batch=4, groups=2,
                        policy_time="none").wall_s

    fitted = fit_compute_scale(cost, wall, wall(cost.scaled_compute(1.3)))
    assert fitted.expert_fixed_s == pytest.approx(1.3 * cost.expert_fixed_s, rel=0.01)
    assert fitted.transfer_s == cost.transfer_s  # copies are not compute
