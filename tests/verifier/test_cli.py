"""The `claims` sub-app through typer's CliRunner: exit codes, --json, one-line errors."""

import json

from typer.testing import CliRunner

from verifier.cli import app

runner = CliRunner()
TEXT = "ExpertFlow is 1.99× faster than Cache-MoE on Mixtral-8x7B (Fig. 3). It cuts GPU memory by up to 93.72%.\n"


def test_extract_json_is_one_document(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(TEXT)
    res = runner.invoke(app, ["extract", str(f), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["count"] == 2 and doc["claims"][0]["baseline"] == "Cache-MoE"
    assert doc["claims"][1]["system"] == "ExpertFlow"  # "It" carried over


def test_extract_reads_stdin_and_handles_empty_input():
    res = runner.invoke(app, ["extract", "-", "--json"], input="")
    assert res.exit_code == 0 and json.loads(res.stdout)["count"] == 0


def test_bad_inputs_exit_2_with_one_line(tmp_path):
    res = runner.invoke(app, ["extract", str(tmp_path / "missing.txt")])
    assert res.exit_code == 2 and "no such file" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    b = tmp_path / "b.bin"
    b.write_bytes(b"\x89PNG\x00\x00\x00\x0d" * 64)
    res = runner.invoke(app, ["extract", str(b)])
    assert res.exit_code == 2 and "binary" in res.stderr


def test_check_json_gives_verdict_and_reasons(tmp_path, checker):
    f = tmp_path / "ev.txt"
    f.write_text(TEXT)
    res = runner.invoke(app, ["check", "ExpertFlow is 2.04x faster than Cache-MoE on Mixtral-8x7B.",
                              "--evidence", str(f), "--json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["verdict"] == "CONTRADICTED" and doc["independent"] == "CONTRADICTED"
    assert any("value 2.04× vs 1.99× for the same quantity" in r for r in doc["reasons"])


def test_check_takes_many_claims_in_one_process(tmp_path, checker):
    ev = tmp_path / "ev.txt"
    ev.write_text(TEXT)
    claims = tmp_path / "claims.jsonl"
    claims.write_text('ExpertFlow is 1.99x faster than Cache-MoE on Mixtral-8x7B.\n\n'
                      '{"text": "ExpertFlow is 2.04x faster than Cache-MoE on Mixtral-8x7B.", "id": 7}\n')
    res = runner.invoke(app, ["check", "--claims", str(claims), "--evidence", str(ev), "--json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["count"] == 2 and [r["verdict"] for r in doc["results"]] == ["SUPPORTED", "CONTRADICTED"]
    assert doc["results"][1]["claim"].startswith("ExpertFlow is 2.04x")
    res = runner.invoke(app, ["check", "--claims", "-", "--evidence", str(ev)],
                        input="ExpertFlow is 2.5x faster than Cache-MoE on Mixtral-8x7B.\n")
    assert res.exit_code == 0 and res.stdout.startswith("ExpertFlow is 2.5x") and "CONTRADICTED" in res.stdout


def test_bad_claims_files_exit_2_with_one_line(tmp_path):
    ev = tmp_path / "ev.txt"
    ev.write_text(TEXT)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"claim": "no text field"}\n')
    for args, says in ((["check", "--claims", str(bad), "--evidence", str(ev)], 'no "text" string'),
                       (["check", "A claim.", "--claims", str(bad), "--evidence", str(ev)], "either one CLAIM"),
                       (["check", "--claims", "-", "--evidence", "-"], "both read stdin")):
        res = runner.invoke(app, args, input="")
        assert res.exit_code == 2 and says in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_check_with_empty_evidence_exits_2(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("")
    res = runner.invoke(app, ["check", "ExpertFlow is fast.", "--evidence", str(f)])
    assert res.exit_code == 2 and "evidence text is empty" in res.stderr
