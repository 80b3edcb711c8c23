"""Which cores a render worker runs on.

Blender sizes its task scheduler (TBB) to every core a process may use, so a worker that evaluates
the scene outside rendering (annotation's deformed mesh and ray casts) spins threads on the cores
of its neighbours: measured, two unpinned workers rendered their frames 20-40% slower than two
pinned ones. Each worker is therefore pinned to cores of its own, before bpy is imported. The
local pool hands out equal shares; a Ray worker, whose scheduler gives no core ids, claims a free
core of its node through a lock file that the OS releases when the process dies.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

PIN_ENV = "SYNTHACT_PIN_CORES"  # "0": never pin (a machine shared with other work)

_claim_fd: int | None = None  # held open for the life of the process: the claim


def pinning_enabled() -> bool:
    return os.environ.get(PIN_ENV, "1") != "0" and hasattr(os, "sched_setaffinity")


def available_cores() -> int:
    """Cores this process may run on (a Slurm task's allocation, a container's limit), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def core_sets_for(workers: int) -> list[list[int]] | None:
    """The cores each worker slot is pinned to: an equal share of the cores this process may use,
    or None (no pinning) when there are more workers than cores or the platform cannot pin."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    if workers > len(cores):
        return None
    share = len(cores) // workers
    return [cores[i * share:(i + 1) * share] for i in range(workers)]


def pin_to_cores(cores: list[int] | None) -> None:
    """Keep this process on `cores`. Must run before bpy is imported."""
    if cores and pinning_enabled():
        os.sched_setaffinity(0, cores)


def claim_core(lock_dir: Path | None = None) -> int | None:
    """Pin this process to one core of the node that no other live claimant holds; returns the core,
    or None when every core is taken (more workers than cores: left unpinned) or pinning is off.
    Idempotent: a process keeps its first claim."""
    global _claim_fd
    if not pinning_enabled():
        return None
    if _claim_fd is not None:
        return sorted(os.sched_getaffinity(0))[0]
    folder = lock_dir or Path(tempfile.gettempdir()) / f"synthact-cores-{os.getuid()}"
    folder.mkdir(parents=True, exist_ok=True)
    for core in sorted(os.sched_getaffinity(0)):
        fd = os.open(folder / f"core-{core}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _claim_fd = fd
        os.sched_setaffinity(0, {core})
        return core
    return None
