"""The commands that only read or write the database start without any ML library: `--help`,
`runs`, `show`, `review` and `resume` each run in a fresh interpreter (the CLI called in-process
there), and torch, transformers, sentence-transformers, scikit-learn and streamlit must not be
loaded afterwards."""

import json
import subprocess
import sys

import pytest

ML = ("torch", "transformers", "sentence_transformers", "sklearn", "streamlit")

PROBE = """
import json, sys
from kernel.cli import main
sys.argv = ["sovereign"] + json.loads(sys.argv[1])
try:
    main()
except SystemExit:
    pass
print("LOADED=" + json.dumps([m for m in {ml} if m in sys.modules]), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["runs"], ["show", "nope"],
                                  ["review", "nope", "--approve"], ["resume", "nope"]])
def test_database_commands_load_no_ml_library(args, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(ml=repr(ML)), json.dumps(args)],
                          capture_output=True, text=True, timeout=120,
                          env={"SOVEREIGN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    line = [x for x in proc.stderr.splitlines() if x.startswith("LOADED=")]
    assert line, proc.stderr[-2000:]
    assert json.loads(line[0][len("LOADED="):]) == [], f"{args} loaded ML libraries"
