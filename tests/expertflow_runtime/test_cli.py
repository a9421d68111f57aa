"""`sovereign runtime bench | train` through the command line: exit codes and one JSON document."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from expertflow_runtime.cli import app

ROOT = Path(__file__).resolve().parents[2]


def run(args, **kw):
    return subprocess.run([sys.executable, "-m", "expertflow_runtime.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, **kw)


@pytest.mark.parametrize("args, names", [
    (["--preset", "mixtral-huge"], "mixtral-tiny"),
    (["--preset", "mixtral-tiny", "--policies", "lru,no-such-policy"], "on-demand"),
    (["--preset", "mixtral-tiny", "--budget", "9"], "1..8"),
    (["--preset", "mixtral-tiny", "--budget", "0"], "1..8"),
    (["--preset", "mixtral-tiny", "--checkpoint", "/nonexistent/ckpt"], "runtime train"),
    (["--preset", "mixtral-tiny", "--link", "pcie9"], "emulated:a40-pcie4"),
])
def test_bad_input_exits_2_with_one_line_naming_the_valid_values(args, names):
    result = CliRunner().invoke(app, ["bench", *args])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and names in lines[0]
    assert result.stdout == ""


def test_bench_json_is_one_document_with_the_contract_fields(tmp_path, monkeypatch):
    monkeypatch.setenv("SOVEREIGN_HOME", str(tmp_path))
    result = CliRunner().invoke(app, [
        "bench", "--preset", "switch-tiny", "--policies", "all-resident,on-demand,lru",
        "--budget", "1", "--batch", "2", "--prompt-len", "8", "--new-tokens", "3",
        "--weights", "random", "--link", "emulated:a40-pcie4", "--repeats", "1",
        "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one document: extra output would not parse
    assert doc["config"]["preset"] == "switch-tiny" and doc["config"]["weights"] == "random"
    rows = {r["policy"]: r for r in doc["results"]}
    assert list(rows) == ["all-resident", "on-demand", "lru"]
    for r in rows.values():
        for key in ("tokens_per_s", "hit_rate", "ttft_s", "tpot_s", "experts_loaded",
                    "bytes_moved", "stall_s", "peak_slots", "identical_to_all_resident"):
            assert key in r
        assert r["identical_to_all_resident"] is True
    assert rows["on-demand"]["peak_slots"] <= doc["config"]["capacity"]
    for r in rows.values():  # measured memory and landed-copy hit rates beside the hit rate
        assert r["peak_device_bytes"] <= r["resident_bytes_all"]
        assert r["on_time_hit_rate"] <= r["hit_rate"] and len(r["tokens_per_s_runs"]) == 1
    assert doc["comparison"]["strongest_non_predictive"] in ("on-demand", "lru")
    assert rows["on-demand"]["stall_s"] > 0 and rows["all-resident"]["stall_s"] == 0


@pytest.mark.slow
def test_train_writes_a_loadable_checkpoint_with_traces(tmp_path):
    out = tmp_path / "ckpt"
    proc = run(["train", "--preset", "olmoe-tiny", "--max-seconds", "2", "--batch", "4",
                "--seq-len", "32", "--trace-sequences", "4", "--out", str(out), "--json"])
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["steps"] >= 1 and report["out_dir"] == str(out)
    assert (out / "config.json").is_file() and (out / "runtime.json").is_file()
    from expertflow_runtime.trace import RoutingTrace

    trace = RoutingTrace.load(out / "traces" / "heldout.npz")
    assert trace.preset == "olmoe-tiny" and trace.num_sequences == 4
    from expertflow_runtime.bench import bench

    doc = bench("olmoe-tiny", ["lru"], checkpoint=out, batch=2, prompt_len=8, new_tokens=2,
                link="none")
    assert doc["config"]["weights"] == "checkpoint"
    assert doc["results"][0]["identical_to_all_resident"]


def test_training_a_full_size_preset_is_refused():
    result = CliRunner().invoke(app, ["train", "--preset", "mixtral-8x7b"])
    assert result.exit_code == 2 and "mixtral-tiny" in result.stderr


def test_budget_in_gib_is_converted_to_experts_per_layer():
    from expertflow_runtime.bench import parse_budget
    from expertflow_runtime.errors import BudgetError
    from expertflow_runtime.presets import from_name

    mixtral = from_name("mixtral-8x7b")  # 352 MB experts, 32 MoE layers
    assert parse_budget("3", mixtral, 32) == 3
    assert parse_budget("22GiB", mixtral, 32) == 2  # 22 GiB / (32 x 336 MiB) = 2.1
    with pytest.raises(BudgetError, match="below one expert"):
        parse_budget("1GiB", mixtral, 32)
    with pytest.raises(BudgetError, match="larger than the model"):
        parse_budget("400GB", mixtral, 32)


def test_exit_status_survives_a_parent_cli_without_standalone_mode():
    # kernel/cli.py mounts this app and runs click with standalone_mode=False
    with pytest.raises(SystemExit) as exc:
        app(["bench", "--preset", "mixtral-huge"], standalone_mode=False)
    assert exc.value.code == 2
