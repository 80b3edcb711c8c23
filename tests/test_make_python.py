"""Which Python `make demo` and `make test` build with (scripts/python-for-bpy.sh): one with a bpy wheel (3.11 or
3.13), else one line and exit 2 before anything is installed. Each case runs with a PATH of its own holding
only the tools make needs and the Pythons the case has (real interpreters of this machine's pyenv)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

PYENV = Path.home() / ".pyenv" / "versions"


def interpreter(minor: str) -> Path:
    found = sorted(PYENV.glob(f"3.{minor}.*/bin/python3.{minor}"))
    if not found:  # CI's machine has them (pyenv): there a missing one fails instead of skipping
        assert not os.environ.get("CI"), f"no Python 3.{minor} under {PYENV}"
        pytest.skip(f"no Python 3.{minor} under {PYENV} to stand in for a machine's python")
    return found[-1]


def machine(tmp_path: Path, pythons: dict[str, Path]) -> dict:
    """A PATH with make, bash and the coreutils the Makefile uses, `pythons` (name -> interpreter), and a
    dpkg and apt-get that only record that they were called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sh", "env", "grep", "touch", "cat", "id", "dirname", "rm"):
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    for name, path in pythons.items():
        (bin_dir / name).symlink_to(path)
    for fake in ("dpkg", "apt-get", "sudo"):
        (bin_dir / fake).write_text(f"#!/bin/sh\necho {fake} >> {tmp_path / 'installed'}\nexit 1\n")
        (bin_dir / fake).chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path), "LANG": "C.UTF-8"}


def test_only_python_3_12_stops_make_demo_in_one_line_before_installing_anything(tmp_path):
    env = machine(tmp_path, {"python3": interpreter("12")})
    done = subprocess.run(["make", "-C", str(REPO), "demo", f"VENV={tmp_path / 'venv'}"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 2
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1 and ours[0].startswith("error: no Python with a bpy wheel on PATH (found Python 3.12): "
                                                 "bpy exists for CPython 3.11 and 3.13 only"), done.stderr
    assert "make demo PYTHON=python3 BLENDER=/path/to/blender" in ours[0]
    assert not (tmp_path / "venv").exists() and not (tmp_path / "installed").exists()


def test_python_3_13_is_chosen_when_there_is_no_3_11(tmp_path):
    py313 = interpreter("13")
    env = machine(tmp_path, {"python3": interpreter("12"), "python3.13": py313})
    chosen = subprocess.run(["bash", str(REPO / "scripts" / "python-for-bpy.sh")], capture_output=True, text=True,
                            env=env, timeout=60)
    assert chosen.returncode == 0 and chosen.stdout.strip() == str(tmp_path / "bin" / "python3.13")
    planned = subprocess.run(["make", "-n", "-C", str(REPO), "demo", f"VENV={tmp_path / 'venv'}"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert f"{tmp_path / 'bin' / 'python3.13'} -m venv {tmp_path / 'venv'}" in planned.stdout, planned.stdout


def test_a_python_that_does_not_run_is_passed_over(tmp_path):
    """A pyenv shim for a version that is installed but not active exists on PATH and fails when run."""
    env = machine(tmp_path, {"python3": interpreter("11")})
    shim = tmp_path / "bin" / "python3.11"
    shim.write_text("#!/bin/sh\necho \"pyenv: python3.11: command not found\" >&2\nexit 127\n")
    shim.chmod(0o755)
    chosen = subprocess.run(["bash", str(REPO / "scripts" / "python-for-bpy.sh")], capture_output=True, text=True,
                            env=env, timeout=60)
    assert chosen.returncode == 0 and chosen.stdout.strip() == str(tmp_path / "bin" / "python3")

