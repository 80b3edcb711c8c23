"""The local executor: a pool of Blender worker processes on this machine."""

from __future__ import annotations

import errno
import multiprocessing
import multiprocessing.util
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from render_farm.core.jobs import Job
from render_farm.executors.cores import available_cores, core_sets_for, pin_to_cores


@dataclass
class JobOutcome:
    job_id: str
    ok: bool
    error: str = ""
    stats: dict = field(default_factory=dict)


def _drop_blender_script_paths() -> None:
    """A parent that imported bpy hands its sys.path to spawned children; Blender's script folders in it
    hold a pure-Python `bpy` package that would shadow the bpy module ("No module named '_bpy'")."""
    marker = f"{os.sep}bpy{os.sep}"
    sys.path[:] = [p for p in sys.path if not (marker in p and f"{os.sep}scripts" in p)]


_slot = 0  # this worker's slot: the GPU it renders on, and the cores it is pinned to


def _claim_slot(slots) -> None:
    """Take the lowest free slot; give it back when the process exits (recycled workers)."""
    global _slot
    with slots.get_lock():
        free = [i for i in range(len(slots)) if not slots[i]]
        _slot = free[0] if free else os.getpid() % len(slots)
        slots[_slot] = 1

    def release() -> None:
        with slots.get_lock():
            slots[_slot] = 0

    multiprocessing.util.Finalize(None, release, exitpriority=10)


def _init_worker(log_dir: str, slots=None, core_sets: list[list[int]] | None = None) -> None:
    _drop_blender_script_paths()
    if slots is not None:
        _claim_slot(slots)
        pin_to_cores(core_sets[_slot] if core_sets else None)
    # One render thread per process; stop numeric libraries from oversubscribing the cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    # Blender prints a line per saved frame from C: send the worker's output to its own log
    # file so the progress bar stays readable and failures can be read afterwards.
    os.makedirs(log_dir, exist_ok=True)
    fd = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _run(job_json: str, out_dir: str, body_dir: str, threads: int, device: str = "cpu") -> dict:
    # Imported here: bpy loads once per worker process, never in the parent.
    from render_farm.blender.worker import render_job

    return render_job(Job.model_validate_json(job_json), Path(out_dir), Path(body_dir), threads, device, _slot)


STOP_WAIT_S = 10.0  # after Ctrl-C: how long a worker gets to die of SIGTERM before SIGKILL


def _stop_workers() -> None:
    """Stop every worker now, mid-clip (Ctrl-C): otherwise each finishes its clip and the jobs already
    queued to it. Once this returns no worker writes; what they leave is temporary files."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(STOP_WAIT_S)
        if child.is_alive():
            child.kill()
            child.join(STOP_WAIT_S)


# A full or read-only disk does not heal by rendering the clip again at once.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def visible_gpus() -> int:
    """NVIDIA GPUs this process may use, counted without loading CUDA: CUDA_VISIBLE_DEVICES when set
    (CUDA stops at the first negative id), else the driver's entries under /proc."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = []
        for gpu in (v.strip() for v in visible.split(",")):
            if not gpu or gpu.startswith("-"):
                break
            ids.append(gpu)
        return len(ids)
    gpus = Path("/proc/driver/nvidia/gpus")
    return len(list(gpus.iterdir())) if gpus.is_dir() else 0


# Workers sharing one GPU. Measured on an H200 (16 cores, 224x224 x 32 frames, 16 samples): one
# worker leaves the GPU idle most of the time (18% busy with two; Blender's per-frame work on the CPU,
# by all signs), and the farm rendered 1500, 2400-2800 and 3200 clips/hour with 1, 2 and 4 workers.
WORKERS_PER_GPU = 4


def default_workers(device: str = "cpu") -> int:
    """One worker per core; with a GPU device, WORKERS_PER_GPU per GPU (worker i renders on GPU
    i mod GPUs) but no more than the cores, or one per core when there is no GPU (the workers fall
    back to the CPU)."""
    if device != "cpu" and (gpus := visible_gpus()):
        return max(gpus, min(gpus * WORKERS_PER_GPU, available_cores()))
    return max(1, available_cores())


RETRIES = 2  # a job is tried at most 1 + RETRIES times
RECYCLE_AFTER = 50  # jobs per worker process before it is replaced (bounds memory growth)


def run_local(
    jobs: list[Job], out_dir: Path, body_dir: Path, workers: int, on_done: Callable[[JobOutcome], None],
    retries: int = RETRIES, recycle_after: int = RECYCLE_AFTER, device: str = "cpu",
) -> list[JobOutcome]:
    """Render jobs with `workers` processes, one Blender thread each; report each final outcome as it lands.

    With a GPU device each worker pins one GPU (worker i renders on GPU i mod GPUs), so several
    workers share each GPU when there are more workers than GPUs.

    A failed job is tried again up to `retries` times (not when the disk is full or read-only). A
    worker that dies (killed, out of memory, crashed) breaks the pool: the jobs in flight count an
    attempt, a new pool starts, and they are resubmitted. Each worker process is replaced after
    `recycle_after` jobs.
    """
    outcomes: list[JobOutcome] = []
    if not jobs:
        return outcomes
    ctx = multiprocessing.get_context("spawn")  # bpy is not fork-safe
    threads = max(1, available_cores() // workers)
    slots = ctx.Array("b", workers)
    core_sets = core_sets_for(workers)
    log_dir = str(Path(out_dir) / "logs")
    by_id = {j.job_id: j for j in jobs}
    attempts = dict.fromkeys(by_id, 0)
    queue = list(by_id)

    def settle(job_id: str, outcome: JobOutcome, retry: bool = True) -> None:
        attempts[job_id] += 1
        if outcome.ok or attempts[job_id] > retries or not retry:
            outcomes.append(outcome)
            on_done(outcome)
        else:
            queue.append(job_id)

    while queue:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(log_dir, slots, core_sets), max_tasks_per_child=recycle_after) as pool:
            futures = {pool.submit(_run, by_id[j].model_dump_json(), str(out_dir), str(body_dir), threads, device): j
                       for j in queue}
            queue = []
            pending = set(futures)
            broken = False
            try:
                while pending and not broken:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        try:
                            settle(futures[fut], JobOutcome(futures[fut], True, stats=fut.result()))
                        except BrokenProcessPool:
                            broken = True
                            settle(futures[fut], JobOutcome(futures[fut], False, "worker process died"))
                        except Exception as exc:  # the job failed; the others go on
                            settle(futures[fut], JobOutcome(futures[fut], False, f"{type(exc).__name__}: {exc}"),
                                   retry=not is_storage_error(exc))
                if broken:  # every job still in the broken pool goes round again
                    for fut in pending:
                        settle(futures[fut], JobOutcome(futures[fut], False, "worker process died"))
            except KeyboardInterrupt:
                # No future is cancelled here: the stopped workers break the pool, which fails every
                # future itself (cancelling first races with that, and Python 3.11 then raises).
                _stop_workers()
                raise
    return outcomes
