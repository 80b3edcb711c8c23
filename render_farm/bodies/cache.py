"""The body cache: baked bodies by key, baked once and reused by every job and run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from render_farm.bodies.baked import body_key, load_body
from render_farm.core.jobs import BodyParams


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


def _quiet_child() -> None:
    """The baking child's native libraries (warp) print banners: keep them off the caller's stdout."""
    os.dup2(2, 1)


def _bake_one(provider: str, phenotype: dict[str, float], path: str) -> str:
    from render_farm.bodies import anny_provider

    if provider != anny_provider.PROVIDER:
        raise ValueError(f"unknown body provider {provider!r}")
    anny_provider.bake(phenotype).save(Path(path))
    return path


def bake_bodies(
    cache_dir: Path, bodies: list[BodyParams], on_baked: Callable[[BodyParams], None] | None = None
) -> None:
    """Bake bodies into the cache in a separate process.

    The baker imports torch (and through anny, triton); in a process that has imported bpy that
    import can crash (two LLVMs), so it never runs in the caller's process. One child bakes all.
    """
    if not bodies:
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_quiet_child) as pool:
        futures = [(b, pool.submit(_bake_one, b.provider, b.phenotype, str(body_path(cache_dir, b)))) for b in bodies]
        for b, fut in futures:
            fut.result()
            if on_baked:
                on_baked(b)
