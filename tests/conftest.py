"""Shared fixtures. Tests use real Blender (bpy), real ffmpeg, real PyAV and real anny bodies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Before torch or numpy libraries start threads: 2 threads on 2 busy cores run far slower than 1.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("SYNTHACT_CACHE", str(REPO / ".cache" / "synthact"))

# The files whose tests take minutes (renders, training runs, a cluster), longest first, as measured in a
# whole-suite run (README, "Tests"). The two pytest processes take whole files in collection order (`make
# test` passes --dist loadfile --no-loadscope-reorder): starting the longest files first leaves short files for
# the end, so neither process runs a long file alone while the other waits. (xdist's own order, by number of
# tests, put the cluster scenarios and the garment checks among the last files.)
LONGEST_FILES_FIRST = (
    "tests/executors/test_cluster.py",
    "tests/test_pipeline_cli.py",
    "tests/training/test_training.py",
    "tests/bodies/test_garment_fit.py",
    "tests/executors/test_farm_scale.py",
    "tests/templates/test_templates.py",
    "tests/templates/test_vocabulary.py",
    "tests/blender/test_blender_binary.py",
    "tests/blender/test_blender_worker.py",
    "tests/dataset/test_dataset_integrity.py",
    "tests/addon/test_addon.py",
    "tests/test_hostile_input.py",
    "tests/blender/test_bpy_lines.py",
)


def file_order(path: str) -> int:
    """Where a test file goes in the run: a listed file by its place in the list, any other after them all."""
    try:
        return LONGEST_FILES_FIRST.index(path)
    except ValueError:
        return len(LONGEST_FILES_FIRST)


def pytest_collection_modifyitems(config, items) -> None:
    # A stable sort: the tests of a file keep their order, and unlisted files keep theirs.
    items.sort(key=lambda item: file_order(item.path.relative_to(REPO).as_posix()))


DEFAULT_PHENOTYPE = {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5}


@pytest.fixture(scope="session")
def body_dir() -> Path:
    """The shared body cache (bodies are baked once per machine and reused)."""
    from render_farm.bodies.baked.cache import default_cache_dir

    path = default_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def default_body(body_dir):
    """anny's default phenotype, baked (the first bake on a machine builds the anny model)."""
    from render_farm.bodies.baked.body import load_body
    from render_farm.bodies.baked.cache import body_path, missing_bodies
    from render_farm.bodies.baking.bake import bake_bodies
    from render_farm.core.plan.jobs import BodyParams

    params = BodyParams(phenotype=DEFAULT_PHENOTYPE)
    bake_bodies(body_dir, missing_bodies(body_dir, [params]))
    return load_body(body_path(body_dir, params))


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 900):
    """Run the installed `synthact` command as a user would."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("synthact")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd or REPO, timeout=timeout)


def session_processes(sid: int) -> list[str]:
    """Command lines of the live processes in session `sid` (zombies and exiting processes excluded): what a run
    left behind."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        # An empty command line is a process in the middle of exiting (its memory already released, not yet a
        # zombie): a Blender killed a moment before takes a while to tear down on a busy machine.
        if int(fields[3]) == sid and fields[0] != "Z" and cmdline:
            found.append(cmdline)
    return found
