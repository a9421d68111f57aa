"""`sovereign worker`: start or join a Ray node that serves empirical checks.

A GPU machine joins the cluster of the machine that runs `sovereign` (or starts one as head);
checks dispatched with `--cluster ray` ask for a GPU, so Ray places them on such a node. The
node must have this package installed (the task imports `kernel.empirical.dispatch`) and, for results to
be written back while running, reach the database (PostgreSQL, or the same SQLite file).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kernel.errors import BadInput, SovereignError


def ray_start_command(*, address: str | None, head: bool, num_gpus: float | None,
                      num_cpus: int | None, port: int = 6379) -> list[str]:
    """The `ray start` command line for a worker (``address``) or a head node (``head``)."""
    if head == bool(address):
        raise BadInput("give exactly one of --address HOST:PORT (join a cluster) or --head (start one)")
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray is None:
        raise SovereignError("the `ray` command is not installed; install the package with its "
                             "dependencies (pip install 'ray[default]')")
    cmd = [ray, "start", "--block"]
    cmd += ["--head", f"--port={port}", "--include-dashboard=false"] if head else [f"--address={address}"]
    if num_gpus is not None:
        if num_gpus < 0:
            raise BadInput(f"--num-gpus {num_gpus} is negative; give 0 or more")
        cmd.append(f"--num-gpus={num_gpus:g}")
    if num_cpus is not None:
        if num_cpus < 1:
            raise BadInput(f"--num-cpus {num_cpus} must be at least 1")
        cmd.append(f"--num-cpus={num_cpus}")
    return cmd


def serve(**kw) -> int:
    """Run `ray start --block` in the foreground until interrupted; its exit status."""
    cmd = ray_start_command(**kw)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
