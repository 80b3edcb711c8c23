"""The baker: bodies baked into the cache by a child process, so that torch is never imported where Blender
is (two LLVMs in one process can crash)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from render_farm.bodies.baked.cache import body_path
from render_farm.core.lifetime import die_with_parent
from render_farm.core.plan.jobs import BodyParams
from synthact.errors import SynthActError


def _bake_all(conn, parent: int, jobs: list[tuple[str, dict[str, float], str]]) -> None:
    """The baking child: bake each body, report each as it lands. Its native libraries (warp) print
    banners: keep them off the caller's stdout."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C: the parent stops this process
    os.dup2(2, 1)
    from render_farm.bodies.baking import anny_provider

    for provider, phenotype, path in jobs:
        try:
            if provider != anny_provider.PROVIDER:
                raise ValueError(f"unknown body provider {provider!r}")
            anny_provider.bake(phenotype).save(Path(path))
        except Exception as exc:
            conn.send(("failed", path, f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("baked", path))


STOP_WAIT_S = 5.0


def bake_bodies(
    cache_dir: Path, bodies: list[BodyParams], on_baked: Callable[[BodyParams], None] | None = None
) -> None:
    """Bake bodies into the cache in a separate process.

    The baker imports torch (and through anny, triton); in a process that has imported bpy that
    import can crash (two LLVMs), so it never runs in the caller's process. One child bakes all; on
    Ctrl-C or SIGTERM (KeyboardInterrupt) it is stopped at once, mid-body (a body file is written under
    a temporary name, so none is left half-written).
    """
    if not bodies:
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    by_path = {str(body_path(cache_dir, b)): b for b in bodies}
    child = ctx.Process(target=_bake_all, args=(theirs, os.getpid(), [(b.provider, b.phenotype, p)
                                                                      for p, b in by_path.items()]), daemon=True)
    child.start()
    theirs.close()
    try:
        for _ in range(len(by_path)):
            try:
                message = ours.recv()
            except EOFError:
                child.join(STOP_WAIT_S)
                raise SynthActError(f"baking bodies into {cache_dir}: the baking process died "
                                    f"(exit code {child.exitcode})") from None
            if message[0] == "failed":
                raise SynthActError(f"{message[1]}: cannot bake the body ({message[2]})")
            if on_baked:
                on_baked(by_path[message[1]])
        child.join(STOP_WAIT_S)
    finally:
        if child.is_alive():
            child.terminate()
            child.join(STOP_WAIT_S)
        if child.is_alive():
            child.kill()
            child.join()
        ours.close()
