"""The empirical stage through its service functions and the check_runs node: one row per
checked claim, verdicts with claimed and measured numbers, retries, --no-empirical."""

from __future__ import annotations

from types import SimpleNamespace

from domain.empirical import CheckStatus
from kernel.empirical.checks import plan_checks, rerun_checks, run_empirical
from kernel.empirical.dispatch import run_in_process
from kernel.flow.context import StageContext
from kernel.flow.nodes.check_runs import check_runs
from kernel.storage import crud
from kernel.storage.db import make_engine, session_scope
from kernel.storage.models import EmpiricalCheck
from tests.kernel.empirical_fixtures import HIT_RATE, settings_for, stored_run


def checks(settings, run_id) -> list[EmpiricalCheck]:
    with session_scope(make_engine(settings.db_url)) as s:
        return crud.run_checks(s, run_id=run_id)


def test_a_run_gets_one_check_per_performance_claim_with_claimed_and_measured(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    summary = run_empirical(settings, run_id)
    rows = checks(settings, run_id)
    assert len(rows) == 4 and len({r.claim_id for r in rows}) == 4  # two hit rates, a speed-up, MMBench
    untestable = [r for r in rows if r.verdict == "NOT_TESTABLE"]
    assert len(untestable) == 1 and "accuracy" in untestable[0].reason and not untestable[0].spec
    measured = [r for r in rows if r.spec]
    for r in measured:
        assert r.status == CheckStatus.DONE and r.verdict in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
        assert r.backend == "simulated" and r.node and r.attempts == 1 and r.finished_at
        assert r.claimed["value"] and r.measurements["comparisons"][0]["measured"] is not None
        assert any("simulated" in c for c in r.caveats)
    assert summary.planned == 3 and summary.not_testable == 1
    assert "3 experiments" in summary.note("simulated", None)


def test_max_checks_caps_the_experiments_and_says_so(tmp_path):
    settings = settings_for(tmp_path, max_checks=1)
    run_id = stored_run(settings)
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    rows = checks(settings, run_id)
    assert len(items) == 1
    skipped = [r for r in rows if r.status == CheckStatus.NOT_RUN]
    assert len(skipped) == 2 and "max_checks" in skipped[0].reason


def test_planning_again_replaces_the_rows_instead_of_adding(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    engine = make_engine(settings.db_url)
    plan_checks(settings, engine, run_id)
    plan_checks(settings, engine, run_id)
    assert len(checks(settings, run_id)) == 4


def test_a_failing_experiment_is_retried_once_then_marked_failed_with_its_error(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    engine = make_engine(settings.db_url)
    (check_id, spec, backend), *_ = plan_checks(settings, engine, run_id)
    broken = spec | {"preset": "no-such-model"}
    run_in_process(settings, [(check_id, broken, backend)])
    row = next(r for r in checks(settings, run_id) if r.id == check_id)
    assert row.status == CheckStatus.FAILED and row.attempts == 2
    assert "no-such-model" in row.error and row.verdict is None


def test_rerun_runs_the_stored_specs_again_in_place(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    run_empirical(settings, run_id)
    before = {r.id: r.claim_id for r in checks(settings, run_id)}
    rows = rerun_checks(settings, run_id)
    assert {r.id: r.claim_id for r in rows} == before
    assert all(r.status == CheckStatus.DONE for r in rows)


def test_no_empirical_records_a_note_and_no_checks(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    run_empirical(settings, run_id)
    runtime = SimpleNamespace(context=StageContext(settings))
    update = check_runs({"run_id": run_id, "empirical": False}, runtime)
    assert update["notes"] == ["Empirical checks: not run — disabled with --no-empirical."]
    assert checks(settings, run_id) == []


def test_the_stage_notes_what_it_measured(tmp_path):
    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    runtime = SimpleNamespace(context=StageContext(settings))
    update = check_runs({"run_id": run_id, "empirical": True}, runtime)
    (note,) = update["notes"]
    assert note.startswith("Empirical checks (simulated backend): 3 experiments, 1 claims not testable")


# -- `sovereign checks ...` (the typer app the command line mounts) --------------------------

import json  # noqa: E402

import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from kernel.empirical.cli import app as checks_app  # noqa: E402
from kernel.errors import BadInput  # noqa: E402


def cli(home, *args):
    return CliRunner().invoke(checks_app, list(args), env={"SOVEREIGN_HOME": str(home)})


def test_checks_run_json_gives_not_testable_with_a_reason_for_a_benchmark_accuracy(tmp_path):
    done = cli(tmp_path, "run", "SMoES improves MMBench accuracy by 0.9%", "--json")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["verdict"] == "NOT_TESTABLE" and "accuracy" in doc["results"][0]["reason"]


def test_checks_run_json_puts_claimed_and_measured_side_by_side(tmp_path):
    claim = ("ExpertFlow reaches an expert hit rate of 85.91% versus 58.37% for LRU on Switch-32 "
             "with cache size 16 and batch size 4")
    done = cli(tmp_path, "run", claim, "--backend", "simulated", "--json")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    first = doc["results"][0]
    assert first["verdict"] in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
    pairs = {p["label"]: p for p in first["comparisons"]}
    assert pairs["ExpertFlow hit rate (landed)"]["claimed"] == 85.91
    assert pairs["Cache-MoE hit rate (landed)"]["claimed"] == 58.37
    assert all(p["measured"] is not None for p in pairs.values())
    assert first["backend"] == "simulated" and first["caveats"]
    low, high = first["interval"]
    assert first["repeats"] == 5 and low <= first["measured"] <= high
    assert [s["name"] for s in first["scales"]] == ["small", "full"] and first["rests_on"] == "full"
    assert any("in flight" in c for c in first["caveats"])


@pytest.mark.slow
def test_checks_run_gives_a_verdict_with_median_interval_and_both_scales_for_the_three_claims(tmp_path):
    verdicts = {}
    for claim in ("ExpertFlow is 7.5x faster than an LRU expert cache (Cache-MoE) on Mixtral-8x7B with batch size 4",
                  "LRU is 1.5x faster than ExpertFlow on Mixtral-8x7B with batch size 4",
                  "on-demand loading is the slowest policy on Mixtral-8x7B with batch size 4"):
        done = cli(tmp_path, "run", claim, "--backend", "simulated", "--json")
        assert done.exit_code == 0, done.output
        (result,) = json.loads(done.stdout)["results"]
        assert result["repeats"] == 5 and len(result["interval"]) == 2 and result["caveats"]
        assert {s["name"] for s in result["scales"]} == {"small", "full"}
        verdicts[claim.split()[0]] = result["verdict"]
        human = cli(tmp_path, "run", claim, "--backend", "simulated")
        assert "median" in human.stdout and "interval" in human.stdout and "full" in human.stdout
    assert verdicts["ExpertFlow"] == "NOT_REPRODUCED"
    assert verdicts["LRU"] in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}
    assert verdicts["on-demand"] in {"REPRODUCED", "PARTIAL", "NOT_REPRODUCED"}


def test_checks_run_rejects_an_unknown_backend_naming_the_valid_ones(tmp_path):
    done = cli(tmp_path, "run", "ExpertFlow is 2× faster than SE-MoE on Switch-32", "--backend", "tpu")
    assert isinstance(done.exception, BadInput) and "cpu, simulated, cuda" in str(done.exception)


def test_worker_command_needs_an_address_or_head():
    from kernel.empirical.worker import ray_start_command

    with pytest.raises(BadInput):
        ray_start_command(address=None, head=False, num_gpus=None, num_cpus=None)
    cmd = ray_start_command(address="10.0.0.1:6379", head=False, num_gpus=1, num_cpus=None)
    assert cmd[1:3] == ["start", "--block"] and "--address=10.0.0.1:6379" in cmd and "--num-gpus=1" in cmd


def test_an_unknown_backend_in_settings_is_bad_input_before_anything_runs(tmp_path):
    settings = settings_for(tmp_path, backend="tpu")
    run_id = stored_run(settings)
    with pytest.raises(BadInput, match="cpu, simulated, cuda"):
        run_empirical(settings, run_id)
    assert checks(settings, run_id) == []


def test_checks_that_need_no_small_model_run_first_while_the_others_wait_for_training(tmp_path):
    settings = settings_for(tmp_path, backend="cpu")
    speed_on_mixtral = "ExpertFlow achieves 1.99× higher throughput than Cache-MoE on Mixtral-8×7B."
    run_id = stored_run(settings, (speed_on_mixtral, HIT_RATE))
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    presets = [spec["preset"] for _, spec, _ in items]
    assert presets[-1] == "mixtral-8x7b" and presets[0] == "switch-base-32"  # claim order reversed


def test_claims_that_map_to_one_experiment_count_once_against_max_checks(tmp_path):
    from tests.kernel.empirical_fixtures import SPEEDUP

    settings = settings_for(tmp_path, max_checks=1)
    run_id = stored_run(settings, (SPEEDUP, SPEEDUP))
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    assert len(items) == 2 and all(r.status == CheckStatus.QUEUED for r in checks(settings, run_id))


def test_rerun_also_runs_the_experiments_measured_for_the_question(tmp_path):
    from kernel.empirical.question_checks import run_question_checks
    from kernel.flow.nodes.frame import frame_question
    from kernel.storage.models import Facet

    settings = settings_for(tmp_path)
    run_id = stored_run(settings)
    engine = make_engine(settings.db_url)
    facet = next(f for f in frame_question("Is ExpertFlow faster than an LRU expert cache on Mixtral-8x7B?")
                 if f.get("experiment"))
    facet["experiment"]["batch_sizes"] = [facet["experiment"]["batch_sizes"][0]]
    with session_scope(engine) as s:
        s.add(Facet(run_id=run_id, **facet))
    run_question_checks(settings, run_id, engine=engine)
    with session_scope(engine) as s:
        asked = [r.id for r in crud.facet_checks(s, run_id=run_id)]
    assert asked
    rows = rerun_checks(settings, run_id)
    again = [r for r in rows if r.id in asked]
    assert len(again) == len(asked) and all(r.status == CheckStatus.DONE and r.attempts == 1 for r in again)


def test_a_comparison_without_a_number_is_planned_as_an_ordering(tmp_path):
    """"On-demand loading is faster than LRU caching" states no figure but an order the runtime
    can measure: it gets an experiment (an ordering), not "no experiment maps to this claim"."""
    settings = settings_for(tmp_path)
    run_id = stored_run(settings, ("On-demand loading is faster than LRU caching in every setting we tried.",))
    items = plan_checks(settings, make_engine(settings.db_url), run_id)
    assert len(items) == 1
    spec = items[0][1]
    assert spec["claimed"]["quantity"] == "ordering" and spec["policy"] == "on-demand"
    assert spec["compared"] == ["lru"]
