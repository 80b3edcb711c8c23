"""The local executor: a pool of Blender worker processes on this machine, managed here.

Not concurrent.futures: Python 3.11's ProcessPoolExecutor(max_tasks_per_child=N) stops replacing
workers that exit at their limit (CPython gh-115634), and a 420-job run stalled for ever once every
worker had rendered N clips; multiprocessing.Pool replaces them but never notices a killed one.
Here the parent owns each worker: a pipe per worker, one job in flight per worker, and

- recycling: after `recycle_after` jobs the parent tells the worker to exit and starts another in
  its slot (same cores, same GPU), always;
- a crash: a worker that dies (killed, out of memory) fails its job, which is retried, and its slot
  gets a new worker;
- a watchdog: every finished frame is reported; a worker that finishes no frame for `watchdog_s`
  is killed and its job retried like a crash;
- Ctrl-C or SIGTERM of the run (KeyboardInterrupt here): every worker gets SIGTERM, which unwinds
  its clip (encoder killed, temporary files removed), then SIGKILL after STOP_WAIT_S.

Jobs are pulled from the plan's iterator only when a worker is free, so a plan of any length costs
the same memory.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from render_farm.core.lifetime import die_with_parent
from render_farm.core.plan.jobs import Job
from render_farm.dataset.folder import OutputFolder, scratch_name
from render_farm.executors.base import JobOutcome, OnDone, RunLimits, is_storage_error
from render_farm.executors.cores import available_cores, core_sets_for, pin_to_cores
from synthact.errors import SynthActError

STOP_WAIT_S = 5.0  # after SIGTERM: how long a worker gets to unwind its clip before SIGKILL
RETIRE_WAIT_S = 30.0  # a worker told to exit (recycling, end of run) that has not after this is killed
TICK_S = 1.0  # the parent looks at the watchdog at least this often
# A worker starting (importing bpy, loading caches) reports no frames; it gets at least this long before
# the watchdog counts it hung, whatever --watchdog says: a short watchdog is for jobs, and a start on a
# busy machine took longer than a 4 s one. Tests shorten it (STARTUP_LIMIT_ENV) to cross it in seconds.
STARTUP_LIMIT_ENV = "SYNTHACT_TEST_STARTUP_LIMIT_S"
STARTUP_LIMIT_S = float(os.environ.get(STARTUP_LIMIT_ENV, "120"))
STARTUP_DEATHS = 3  # workers dying before they are ready, in a row: the run stops with their exit code
# Tests: a marker path; the first SYNTHACT_TEST_HANG_COUNT jobs (default 1) to create a marker of their own
# (the path, then path.1, path.2, ...) sleep in their worker, for the watchdog to find.
HANG_ENV, HANG_COUNT_ENV = "SYNTHACT_TEST_HANG_ONCE", "SYNTHACT_TEST_HANG_COUNT"


def _drop_blender_script_paths() -> None:
    """A parent that imported bpy hands its sys.path to spawned children; Blender's script folders in it
    hold a pure-Python `bpy` package that would shadow the bpy module ("No module named '_bpy'")."""
    marker = f"{os.sep}bpy{os.sep}"
    sys.path[:] = [p for p in sys.path if not (marker in p and f"{os.sep}scripts" in p)]


def _unwind(_signum, _frame) -> None:
    raise SystemExit(143)  # finally blocks run: the clip's encoder is killed, its temporaries removed


def _hang_if_asked() -> None:
    marker = os.environ.get(HANG_ENV)
    if not marker:
        return
    for k in range(int(os.environ.get(HANG_COUNT_ENV, "1"))):
        try:
            os.close(os.open(f"{marker}.{k}" if k else marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        time.sleep(3600)


def _serve(conn: Connection, parent: int, slot: int, cores: list[int] | None, log_dir: str, out_dir: str,
           body_dir: str, threads: int, device: str, blender: str | None = None) -> None:
    """A worker process: render the jobs its pipe brings until it brings None."""
    # SIGTERM is held until the private folder below exists and its removal is armed: a signal between
    # tempfile's steps (its first call probes the folder with a file) left a file behind once, in a test
    # that stops a run while a replacement worker starts.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    die_with_parent(parent, signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C: the parent decides what stops
    signal.signal(signal.SIGTERM, _unwind)
    # Every temporary file of this process (Blender's session folder, a clip's frames) in one folder
    # named after it: removed on the way out, or by the run when this process was killed.
    private = tempfile.mkdtemp(prefix=scratch_name())
    os.environ["TMPDIR"] = tempfile.tempdir = private
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # a SIGTERM held until now unwinds here
        _render_jobs(conn, slot, cores, log_dir, out_dir, body_dir, threads, device, blender)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _render_jobs(conn: Connection, slot: int, cores: list[int] | None, log_dir: str, out_dir: str,
                 body_dir: str, threads: int, device: str, blender: str | None = None) -> None:
    _drop_blender_script_paths()
    pin_to_cores(cores)
    # One render thread per process; stop numeric libraries from oversubscribing the cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    # Blender prints a line per saved frame from C: send the worker's output to its own log file so the
    # progress bar stays readable and failures can be read afterwards.
    os.makedirs(log_dir, exist_ok=True)
    fd = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        if blender is None:
            from render_farm.blender.worker import render_job  # bpy loads once per worker process
        else:  # a Blender application beside this process renders; it starts now, not at the first job
            from render_farm.executors.blender_process import close_blenders, keep_blender, render_job_in_blender

            keep_blender(blender)
            render_job = functools.partial(render_job_in_blender, blender)
    except Exception as exc:  # a broken install: every worker would fail the same way
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    try:
        _serve_jobs(conn, render_job, out_dir, body_dir, threads, device, slot)
    finally:
        if blender is not None:
            close_blenders()


def _serve_jobs(conn: Connection, render_job, out_dir: str, body_dir: str, threads: int, device: str,
                slot: int) -> None:
    try:
        while (message := conn.recv()) is not None:
            job = Job.model_validate_json(message)
            _hang_if_asked()
            try:
                stats = render_job(job, Path(out_dir), Path(body_dir), threads, device, slot,
                                   on_frame=lambda k: conn.send(("frame", k)))
                conn.send(("done", stats))
            except Exception as exc:  # the job failed; this worker goes on with the next
                conn.send(("failed", f"{type(exc).__name__}: {exc}", is_storage_error(exc)))
    except (EOFError, BrokenPipeError):  # the parent is gone
        pass


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


@dataclass(eq=False)  # identity: a replaced worker is never equal to its successor
class _Worker:
    slot: int
    process: multiprocessing.process.BaseProcess
    conn: Connection
    since: float = field(default_factory=time.monotonic)  # started, or its job's last sign of progress
    ready: bool = False
    job: Job | None = None
    jobs_done: int = 0
    retiring: bool = False

    @property
    def idle(self) -> bool:
        return self.ready and self.job is None and not self.retiring


class WorkerPool:
    """`workers` Blender processes in slots 0..workers-1 (slot: the cores it is pinned to, its GPU)."""

    def __init__(self, workers: int, folder: OutputFolder, body_dir: Path, limits: RunLimits, device: str = "cpu",
                 blender: str | None = None):
        self.size, self.folder, self.body_dir, self.limits, self.device = workers, folder, body_dir, limits, device
        self.blender = blender  # a Blender application's path: each worker renders through one beside it
        self.ctx = multiprocessing.get_context("spawn")  # bpy is not fork-safe
        self.threads = max(1, available_cores() // workers)
        self.core_sets = core_sets_for(workers)
        self.workers: list[_Worker] = []
        self.retry: deque[Job] = deque()
        self.attempts: dict[str, int] = {}  # jobs in flight or waiting for a retry only: bounded
        self.startup_deaths = 0
        self.exhausted = False  # every job of the plan has been handed out (retries aside)

    def _start(self, slot: int) -> _Worker:
        ours, theirs = self.ctx.Pipe()
        process = self.ctx.Process(
            target=_serve, name=f"synthact-worker-{slot}", daemon=True,
            args=(theirs, os.getpid(), slot, self.core_sets[slot] if self.core_sets else None,
                  str(self.folder.logs), str(self.folder.root), str(self.body_dir), self.threads, self.device,
                  self.blender))
        process.start()
        theirs.close()
        return _Worker(slot, process, ours)

    def run(self, jobs: Iterable[Job], on_done: OnDone) -> None:
        source: Iterator[Job] = iter(jobs)
        try:
            self.workers = [self._start(slot) for slot in range(self.size)]
            while True:
                for w in self.workers:
                    if not w.idle:
                        continue
                    job = self.retry.popleft() if self.retry else (None if self.exhausted else next(source, None))
                    if job is None:
                        self.exhausted = True
                        break
                    self._assign(w, job)
                if self.exhausted and not self.retry and not any(w.job for w in self.workers):
                    break
                self._wait(on_done)
        except BaseException:  # Ctrl-C, SIGTERM, a broken install: stop every worker now
            self._stop_all(graceful=False)
            raise
        self._stop_all(graceful=True)  # every job settled: the idle workers are told to exit

    def _assign(self, w: _Worker, job: Job) -> None:
        w.job, w.since = job, time.monotonic()
        try:
            w.conn.send(job.model_dump_json())
        except OSError:
            pass  # the worker just died: its sentinel says so next, and the job is settled then

    def _settle(self, job: Job, outcome: JobOutcome, on_done: OnDone, retry: bool = True) -> None:
        tries = self.attempts.get(job.job_id, 0) + 1
        if outcome.ok or tries > self.limits.retries or not retry:
            self.attempts.pop(job.job_id, None)
            on_done(outcome)
        else:
            self.attempts[job.job_id] = tries
            self.retry.append(job)

    def _wait(self, on_done: OnDone) -> None:
        now = time.monotonic()
        deadlines = [w.since + self._limit(w) - now for w in self.workers if w.job or not w.ready]
        timeout = max(0.0, min([TICK_S, *deadlines]))
        by_handle = {}
        for w in self.workers:
            by_handle[w.conn] = w
            by_handle[w.process.sentinel] = w
        for handle in wait(list(by_handle), timeout):
            w = by_handle[handle]
            if w not in self.workers:
                continue  # replaced while handling an earlier handle of this round
            if handle is w.conn:
                self._read(w, on_done)
            if not w.process.is_alive():
                self._read(w, on_done)  # what it sent before exiting (its last clip, say)
                self._replace(w, on_done)
        now = time.monotonic()
        for w in list(self.workers):
            if now - w.since > self._limit(w) and (w.job or not w.ready):
                what = "no frame finished" if w.job else "not ready"
                self._kill(w)
                self._replace(w, on_done, f"{what} for {self._limit(w):g} s (watchdog); worker killed")
            elif w.retiring and now - w.since > RETIRE_WAIT_S:  # told to exit, still there: its slot is needed
                self._kill(w)
                self._replace(w, on_done)

    def _limit(self, w: _Worker) -> float:
        return self.limits.watchdog_s if w.ready else max(self.limits.watchdog_s, STARTUP_LIMIT_S)

    def _read(self, w: _Worker, on_done: OnDone) -> None:
        try:
            while w.conn.poll():
                message = w.conn.recv()
                kind = message[0]
                if kind == "ready":
                    w.ready, w.since, self.startup_deaths = True, time.monotonic(), 0
                elif kind == "frame":
                    w.since = time.monotonic()
                elif kind == "broken":
                    raise SynthActError(f"worker processes cannot start: {message[1]} "
                                        f"(see {self.folder.logs})")
                elif kind in ("done", "failed") and w.job is not None:
                    job, w.job = w.job, None
                    if kind == "done":
                        self._settle(job, JobOutcome(job.job_id, True, stats=message[1]), on_done)
                    else:
                        self._settle(job, JobOutcome(job.job_id, False, message[1]), on_done, retry=not message[2])
                    w.jobs_done += 1
                    if w.jobs_done >= self.limits.recycle_after:
                        self._retire(w)
        except (EOFError, OSError):
            pass  # the pipe closed: the process is exiting, and its sentinel is handled next

    def _retire(self, w: _Worker) -> None:
        w.retiring, w.since = True, time.monotonic()
        try:
            w.conn.send(None)
        except OSError:
            pass

    def _replace(self, w: _Worker, on_done: OnDone, why: str | None = None) -> None:
        """`w` has exited (or was killed): settle its job, start a new worker in its slot (unless it retired
        with nothing left to hand out)."""
        w.process.join(STOP_WAIT_S)
        code = w.process.exitcode
        if why is None:
            why = f"worker process died ({_exit_text(code)})"
        if w.job is not None:
            job, w.job = w.job, None
            self._settle(job, JobOutcome(job.job_id, False, why), on_done)
        elif not w.ready and not w.retiring:
            self.startup_deaths += 1
            if self.startup_deaths >= STARTUP_DEATHS:
                raise SynthActError(f"worker processes keep dying before they are ready (last: {why}; "
                                    f"see {self.folder.logs})")
        w.conn.close()
        if w.retiring and self.exhausted and not self.retry:
            self.workers.remove(w)
        else:
            self.workers[self.workers.index(w)] = self._start(w.slot)

    def _kill(self, w: _Worker) -> None:
        """SIGTERM (the worker unwinds: encoder killed, temporaries removed), then SIGKILL."""
        if w.process.is_alive():
            w.process.terminate()
            w.process.join(STOP_WAIT_S)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(STOP_WAIT_S)

    def _stop_all(self, graceful: bool) -> None:
        """Once this returns no worker of this pool is alive, so nothing writes into the output folder."""
        for w in self.workers:
            if graceful:
                self._retire(w)
            elif w.process.is_alive():
                w.process.terminate()
        deadline = time.monotonic() + (RETIRE_WAIT_S if graceful else STOP_WAIT_S)
        for w in self.workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.process.is_alive():
                w.process.kill()
                w.process.join(STOP_WAIT_S)
            w.conn.close()
        self.workers = []


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class LocalExecutor:
    """`workers` processes here (default: one per core, or WORKERS_PER_GPU per GPU with a GPU device)."""

    def __init__(self, workers: int | None = None, device: str = "cpu", blender: str | None = None):
        self.workers, self.device, self.blender = workers, device, blender

    def run(self, jobs: Iterable[Job], total: int, folder: OutputFolder, body_dir: Path, limits: RunLimits,
            on_done: OnDone) -> None:
        if total <= 0:
            return
        size = min(self.workers or default_workers(self.device), total)
        WorkerPool(size, folder, body_dir, limits, self.device, self.blender).run(jobs, on_done)


def run_local(jobs: list[Job], out_dir: Path, body_dir: Path, workers: int, on_done: OnDone,
              limits: RunLimits = RunLimits(), device: str = "cpu", blender: str | None = None) -> list[JobOutcome]:
    """A list of jobs through the pool, every outcome returned too: for benchmarks and tests."""
    outcomes: list[JobOutcome] = []

    def done(outcome: JobOutcome) -> None:
        outcomes.append(outcome)
        on_done(outcome)

    LocalExecutor(workers, device, blender).run(jobs, len(jobs), OutputFolder(out_dir), body_dir, limits, done)
    return outcomes
