"""Packaging the Blender add-on: its canonical-skeleton data file and the installable extension zip."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

from render_farm.core.geometry.skeleton import END_BONES, JOINT_NAMES, PARENTS, PRIMARY_CHILD, REFERENCE_REST_JOINTS
from synthact.atomic import replaced_on_success, write_text_atomic
from synthact.errors import SynthActError

SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def addon_dir() -> Path:
    spec = importlib.util.find_spec("blender_addon")  # located, never imported: it needs bpy
    if spec is None or not spec.submodule_search_locations:
        raise SynthActError("blender_addon: package not found (install synthact from its source tree)")
    return Path(next(iter(spec.submodule_search_locations)))


def skeleton_json() -> str:
    """The canonical skeleton as the add-on reads it (it cannot import render_farm inside Blender)."""
    data = {
        "joint_names": list(JOINT_NAMES),
        "parents": list(PARENTS),
        "primary_child": dict(PRIMARY_CHILD),
        "end_bones": {k: [list(d), length] for k, (d, length) in END_BONES.items()},
        "reference_rest_joints": [[round(float(c), 6) for c in p] for p in REFERENCE_REST_JOINTS],
    }
    return json.dumps(data, indent=1) + "\n"


def manifest_version(folder: Path) -> str:
    text = (folder / "blender_manifest.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise SynthActError(f"{folder / 'blender_manifest.toml'}: version: missing")
    return match.group(1)


def build_addon(out_dir: Path) -> Path:
    """Write dist/synthact-<version>.zip: the manifest at the zip's root, as Blender's extension installer expects."""
    folder = addon_dir()
    write_text_atomic(folder / "skeleton.json", skeleton_json())
    target = Path(out_dir) / f"synthact-{manifest_version(folder)}.zip"
    with replaced_on_success(target, binary=True) as f, zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_dir() or SKIP_PARTS & set(rel.parts) or path.suffix in SKIP_SUFFIXES:
                continue
            z.write(path, rel.as_posix())
    return target
