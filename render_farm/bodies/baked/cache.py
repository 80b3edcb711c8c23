"""The body cache: baked bodies by key, baked once (render_farm.bodies.baking.bake) and reused by every job
and run."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from render_farm.bodies.baked.body import body_key, load_body
from render_farm.core.plan.jobs import BodyParams


def default_cache_dir() -> Path:
    root = os.environ.get("SYNTHACT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "synthact")
    return Path(root) / "bodies"


def body_path(cache_dir: Path, body: BodyParams) -> Path:
    return Path(cache_dir) / f"{body_key(body.provider, body.phenotype)}.npz"


def missing_bodies(cache_dir: Path, bodies: Iterable[BodyParams]) -> list[BodyParams]:
    """Distinct bodies with no readable file in the cache (a corrupt file counts as missing)."""
    seen: dict[str, BodyParams] = {}
    for b in bodies:
        seen.setdefault(body_key(b.provider, b.phenotype), b)
    missing = []
    for b in seen.values():
        path = body_path(cache_dir, b)
        try:
            load_body(path)
        except ValueError:
            missing.append(b)
    return missing
