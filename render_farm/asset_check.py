"""Checking an asset file against its vetted checksum, with nothing but the standard library: the worker inside
a Blender application (whose Python has neither PyYAML nor pydantic) checks Blender's own asset files too.

There the vetted entries come from the host, which reads assets_manifest.yaml (render_farm.assets) and hands
them over as JSON through VETTED_ENV (`handed_over`); with the bpy module render_farm.assets reads the manifest.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from synthact.errors import SynthActError

VETTED_ENV = "SYNTHACT_WORKER_ASSETS"  # a JSON file: {asset id: {"sha256": ..., "source": ...}}


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
    """The file at `path`, checked against its manifest entry before a worker uses it: one line naming the
    asset and the file if it is missing or is not the vetted file (another Blender's copy, say)."""
    if entry is None:
        raise SynthActError(f"{manifest_name}: no entry for asset {asset_id!r}")
    if not path.is_file():
        raise SynthActError(f"{asset_id}: {path} does not exist ({entry['source']})")
    if entry.get("sha256") and sha256_of(path) != entry["sha256"]:
        raise SynthActError(f"{asset_id}: {path} does not match its sha256 in {manifest_name} "
                            f"(vetted: {entry['source']})")
    return path

