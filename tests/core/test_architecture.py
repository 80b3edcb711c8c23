"""The import rules that keep the data path's layers apart, each checked in a fresh interpreter: what a
package pulls in when every one of its modules is imported."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

PROBE = """
import importlib, json, pkgutil, sys
roots = {roots!r}
for root in roots:
    package = importlib.import_module(root)
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), root + "."):
        if info.name in {skip!r}:
            continue
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {watch!r} or m in {watch!r})))
"""


def imported(roots: list[str], watch: list[str], skip: tuple[str, ...] = ()) -> set[str]:
    code = PROBE.format(roots=roots, watch=watch, skip=set(skip))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {m.split(".")[0] if not m.startswith("render_farm.") else ".".join(m.split(".")[:2])
            for m in json.loads(done.stdout.strip().splitlines()[-1])}


def test_core_imports_neither_blender_nor_torch():
    assert imported(["render_farm.core"], ["bpy", "torch", "anny", "mathutils"]) == set()


@pytest.mark.blender
def test_render_nodes_never_import_torch():
    """A render node runs the worker through the local pool, the Blender binary or a Slurm shard."""
    pulled = imported(["render_farm.blender", "render_farm.executors", "render_farm.bodies.baked.body",
                       "render_farm.dataset"], ["torch", "anny", "pytorchvideo"])
    assert pulled == set()


def test_training_never_imports_blender_or_the_render_side():
    """Training shares only the small `synthact` helpers (errors, YAML, atomic writes) with the farm."""
    assert imported(["training"], ["bpy", "mathutils", "render_farm"]) == set()


@pytest.mark.blender
def test_the_addon_imports_neither_the_farm_nor_torch():
    assert imported(["blender_addon"], ["render_farm", "torch", "training"]) == set()
