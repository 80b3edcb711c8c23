"""Run the worker inside a Blender executable: `blender -b --python worker.py -- ...`.

For machines where Blender is installed as an application (a render node image, a
cluster module) rather than as the `bpy` Python module. The Blender's own Python
must be the same minor version as this environment, whose site-packages are put
on its path for pydantic, numpy and ffmpeg-python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

from synthact.errors import SynthActError

WORKER = Path(__file__).resolve().parent.parent / "blender" / "worker.py"


def blender_worker_command(
    jobs: Path, out_dir: Path, body_dir: Path, job_ids: list[str] | None = None, blender: str = "blender",
    threads: int = 1,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that render jobs in a Blender executable."""
    exe = shutil.which(blender)
    if exe is None:
        raise SynthActError(f"Blender executable {blender!r} not found on PATH")
    cmd = [exe, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(WORKER), "--",
           "--jobs", str(jobs), "--out", str(out_dir), "--bodies", str(body_dir), "--threads", str(threads)]
    for job_id in job_ids or []:
        cmd += ["--job", job_id]
    env = dict(os.environ)
    env["SYNTHACT_SITE_PACKAGES"] = sysconfig.get_paths()["purelib"]
    return cmd, env


def run_blender_process(jobs: Path, out_dir: Path, body_dir: Path, job_ids: list[str] | None = None,
                        blender: str = "blender", timeout: float | None = None) -> subprocess.CompletedProcess:
    cmd, env = blender_worker_command(jobs, out_dir, body_dir, job_ids, blender)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
