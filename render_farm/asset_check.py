"""The asset source: every third-party file the farm uses (HDRIs, hair node assets, the body model's data) is
reached by its id in assets_manifest.yaml through `vetted_path`, which finds it on this machine and checks it
against its vetted checksum, with nothing but the standard library: the worker inside a Blender application
(whose Python has neither PyYAML nor pydantic) uses it too.

There the vetted entries come from the host, which reads assets_manifest.yaml (`vetted_entries`) and hands
them over as JSON through VETTED_ENV (`handed_over`); elsewhere `vetted_path` reads the manifest itself.
Locations are symbolic so the manifest holds on any machine:
- `repo:PATH`: a file in this repository;
- `python:PACKAGE/PATH`: a file or folder inside an installed Python package (found without importing it);
- `blender:PATH`: a file in Blender's datafiles folder (the running Blender's, else the bpy module's).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from synthact.errors import SynthActError

VETTED_ENV = "SYNTHACT_WORKER_ASSETS"  # a JSON file: {asset id: {"sha256": ..., "source": ..., "location": ...}}
REPO_ROOT = Path(__file__).resolve().parent.parent


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SynthActError(f"Python package {name!r} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def blender_datafiles() -> Path:
    """Inside Blender (an application or the bpy module), its own datafiles; elsewhere the bpy module's,
    found without importing it."""
    bpy = sys.modules.get("bpy")
    if bpy is not None and hasattr(bpy, "utils"):
        return Path(bpy.utils.system_resource("DATAFILES"))
    root = package_dir("bpy")
    found = sorted(root.glob("*/datafiles"))
    if not found:
        raise SynthActError(f"{root}: no datafiles folder in the bpy module")
    return found[-1]


def locate(location: str) -> Path:
    """A manifest location as a path on this machine."""
    scheme, _, rest = location.partition(":")
    if scheme == "repo":
        return REPO_ROOT / rest
    if scheme == "python":
        package, _, sub = rest.partition("/")
        return package_dir(package) / sub
    if scheme == "blender":
        return blender_datafiles() / rest
    raise SynthActError(f"unknown asset location scheme in {location!r}")


def sha256_of(path: Path) -> str:
    if path.is_dir():
        lines = [f"{p.relative_to(path).as_posix()} {sha256_of(p)}\n" for p in sorted(path.rglob("*")) if p.is_file()]
        return hashlib.sha256("".join(lines).encode()).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.cache
def handed_over() -> dict[str, dict] | None:
    """Asset id -> {"sha256", "source"} as the host handed them over (VETTED_ENV), else None."""
    given = os.environ.get(VETTED_ENV)
    return json.loads(Path(given).read_text(encoding="utf-8")) if given else None


def verify_file(asset_id: str, path: Path, entry: dict | None, manifest_name: str = "assets_manifest.yaml") -> Path:
    """The file (or folder) at `path`, checked against its manifest entry before a worker uses it: one line
    naming the asset and the file if it is missing or is not the vetted file (another Blender's copy, say)."""
    if entry is None:
        raise SynthActError(f"{manifest_name}: no entry for asset {asset_id!r}")
    if not path.exists():
        raise SynthActError(f"{asset_id}: {path} does not exist ({entry['source']})")
    if entry.get("sha256") and sha256_of(path) not in (entry["sha256"], *entry.get("other_sha256", ())):
        raise SynthActError(f"{asset_id}: {path} does not match its sha256 in {manifest_name} "
                            f"(vetted: {entry['source']})")
    return path


def vetted_entries(manifest_path: Path | None = None) -> dict[str, dict]:
    """Asset id -> {"sha256", "other_sha256", "source", "location"}: where a file is found and what it is checked
    against (any of its checksums), read from the manifest (PyYAML: the host and the bpy module; a Blender
    application gets them handed over). render_farm.assets validates the whole manifest (`assets check`)."""
    import yaml

    path = manifest_path or REPO_ROOT / "assets_manifest.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {a["id"]: {"sha256": a.get("sha256"), "other_sha256": a.get("other_sha256", []), "source": a["source"],
                      "location": a["location"]} for a in data["assets"]}


@functools.cache
def vetted_path(asset_id: str) -> Path:
    """Where the asset `asset_id` of the manifest is on this machine, checked against its vetted checksum
    (once per process): one line naming it when it is unknown, missing or not the vetted file."""
    entries = handed_over()
    if entries is None:  # not inside a Blender application: the manifest itself
        entries = vetted_entries()
    entry = entries.get(asset_id)
    if entry is None:
        raise SynthActError(f"assets_manifest.yaml: no entry for asset {asset_id!r}")
    return verify_file(asset_id, locate(entry["location"]), entry)
