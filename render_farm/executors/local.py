"""The local executor: a pool of Blender worker processes on this machine."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from render_farm.core.jobs import Job


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


def _init_worker(log_dir: str) -> None:
    _drop_blender_script_paths()
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


def _run(job_json: str, out_dir: str, body_dir: str, threads: int) -> dict:
    # Imported here: bpy loads once per worker process, never in the parent.
    from render_farm.blender.worker import render_job

    return render_job(Job.model_validate_json(job_json), Path(out_dir), Path(body_dir), threads)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_local(
    jobs: list[Job], out_dir: Path, body_dir: Path, workers: int, on_done: Callable[[JobOutcome], None]
) -> list[JobOutcome]:
    """Render jobs with `workers` processes, one Blender thread each; report each outcome as it lands."""
    outcomes: list[JobOutcome] = []
    if not jobs:
        return outcomes
    ctx = multiprocessing.get_context("spawn")  # bpy is not fork-safe
    threads = max(1, (os.cpu_count() or 1) // workers)
    log_dir = str(Path(out_dir) / "logs")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(log_dir,)) as pool:
        futures = {
            pool.submit(_run, j.model_dump_json(), str(out_dir), str(body_dir), threads): j.job_id for j in jobs
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    outcome = _outcome(futures[fut], fut)
                    outcomes.append(outcome)
                    on_done(outcome)
        except KeyboardInterrupt:
            for fut in pending:
                fut.cancel()
            raise
    return outcomes


def _outcome(job_id: str, fut) -> JobOutcome:
    try:
        return JobOutcome(job_id, True, stats=fut.result())
    except BrokenProcessPool:
        return JobOutcome(job_id, False, "worker process died")
    except Exception as exc:  # the job failed; the others go on
        return JobOutcome(job_id, False, f"{type(exc).__name__}: {exc}")


