"""The Slurm executor: the plan is split into shards, one Slurm array task renders one shard.

Shard i of n is jobs[i::n] of the plan (jobs.jsonl), so the split never depends on what is
already done: a resubmission submits only the shards that still miss clips, and each task
skips the clips already there. Tasks use the local pool on their node (its CPUs), write
into the shared output folder, and leave no half-written files (temporary name, rename).

Submission goes through submitit when it is installed, or through an sbatch script that
synthact writes (`synthact slurm-script` writes the same script for submitting by hand).
The submitting command waits by polling squeue, which works without Slurm accounting.
"""

from __future__ import annotations

import itertools
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from render_farm.core.plan.jobs import Job
from render_farm.dataset.folder import OutputFolder
from render_farm.executors.base import JobOutcome, OnDone, RunLimits
from render_farm.executors.local import LocalExecutor
from synthact.errors import SynthActError


class ClipPaths(NamedTuple):
    label_path: str
    clip_path: str

POLL_S = 2.0
CANCEL_WAIT_S = 60.0  # after Ctrl-C: how long to wait for scancel to empty the array


@dataclass(frozen=True)
class SlurmOptions:
    shards: int = 16
    partition: str | None = None
    time_limit_min: int = 240
    cpus_per_task: int = 1
    array_parallelism: int | None = None  # most tasks running at once (sbatch --array=...%N)
    submit_with: str = "auto"  # auto (submitit when installed), submitit, sbatch
    device: str = "cpu"  # a GPU device asks Slurm for one GPU per task
    blender: str | None = None  # a Blender application's path on the nodes (else the bpy module renders)
    wait_timeout_s: float = 7 * 24 * 3600.0


def shard_of(jobs: Iterable[Job], shard: int, shards: int) -> Iterator[Job]:
    """Every `shards`-th job from `shard` on, read lazily."""
    if not 0 <= shard < shards:
        raise SynthActError(f"--shard {shard}: must be in 0..{shards - 1}")
    return itertools.islice(jobs, shard, None, shards)


def shards_to_submit(jobs: Iterable[Job], done: Callable[[Job], bool], shards: int) -> list[int]:
    return sorted({i % shards for i, j in enumerate(jobs) if not done(j)})


def shard_workers(options: SlurmOptions) -> int:
    """Worker processes per array task: one per CPU it asks for, on the CPU or sharing its one GPU
    (several workers keep a GPU busier than one: docs/farm.md). The sbatch and submitit paths both
    use this."""
    return options.cpus_per_task


def _synthact() -> str:
    exe = Path(sys.executable).parent / "synthact"
    return str(exe) if exe.exists() else (shutil.which("synthact") or "synthact")


def shard_command(out_dir: Path, body_dir: Path, options: SlurmOptions, limits: RunLimits,
                  shard: str = "$SLURM_ARRAY_TASK_ID") -> str:
    return (f"{shlex.quote(_synthact())} render-shard {shlex.quote(str(out_dir))} --shard {shard} "
            f"--of {options.shards} --workers {shard_workers(options)} --bodies {shlex.quote(str(body_dir))} "
            f"--device {options.device} --recycle-after {limits.recycle_after} --watchdog {limits.watchdog_s:g}"
            + (f" --blender {shlex.quote(options.blender)}" if options.blender else ""))


def sbatch_script(out_dir: Path, body_dir: Path, shard_ids: list[int], options: SlurmOptions,
                  limits: RunLimits = RunLimits()) -> str:
    """A job-array script: each task renders one shard of the plan in out_dir."""
    out_dir, body_dir = Path(out_dir).resolve(), Path(body_dir).resolve()
    array = ",".join(str(i) for i in shard_ids)
    if options.array_parallelism:
        array += f"%{options.array_parallelism}"
    lines = [
        "#!/bin/bash",
        "#SBATCH --job-name=synthact",
        f"#SBATCH --array={array}",
        "#SBATCH --ntasks=1",
        f"#SBATCH --cpus-per-task={options.cpus_per_task}",
        f"#SBATCH --time={options.time_limit_min}",
        f"#SBATCH --output={out_dir}/slurm/%A_%a.log",
    ]
    if options.partition:
        lines.append(f"#SBATCH --partition={options.partition}")
    if options.device != "cpu":
        lines.append("#SBATCH --gpus-per-task=1")
    lines += [
        "# Written by synthact: renders shard $SLURM_ARRAY_TASK_ID of the plan in the output folder.",
        "# Resubmitting renders only what is missing; afterwards `synthact render <out>/jobs.jsonl` writes the",
        "# split lists (it renders nothing that is already there).",
        "set -euo pipefail",
        f"exec {shard_command(out_dir, body_dir, options, limits)}",
        "",
    ]
    return "\n".join(lines)


def _run(cmd: list[str], ok_if: str | None = None) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError:
        raise SynthActError(f"--backend slurm: {cmd[0]} not found (is this a Slurm login node?)") from None
    if done.returncode != 0 and ok_if and ok_if in done.stderr:
        return ""
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SynthActError(f"{cmd[0]} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def submit_sbatch(out_dir: Path, body_dir: Path, shard_ids: list[int], options: SlurmOptions,
                  limits: RunLimits) -> str:
    script = Path(out_dir) / "slurm" / "render.sbatch"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(sbatch_script(out_dir, body_dir, shard_ids, options, limits), encoding="utf-8")
    return _run(["sbatch", "--parsable", str(script)]).strip().split(";")[0]


def _render_shard_task(out_dir: str, body_dir: str, shard: int, shards: int, workers: int,
                       device: str = "cpu", limits: RunLimits = RunLimits(), blender: str | None = None) -> int:
    return render_shard(Path(out_dir), Path(body_dir), shard, shards, workers, device, limits, blender)


def submit_submitit(out_dir: Path, body_dir: Path, shard_ids: list[int], options: SlurmOptions,
                    limits: RunLimits) -> str:
    import submitit

    executor = submitit.AutoExecutor(folder=Path(out_dir).resolve() / "slurm" / "%j", cluster="slurm")
    params = {"timeout_min": options.time_limit_min, "cpus_per_task": options.cpus_per_task, "name": "synthact"}
    if options.partition:
        params["slurm_partition"] = options.partition
    if options.array_parallelism:
        params["slurm_array_parallelism"] = options.array_parallelism
    if options.device != "cpu":
        params["gpus_per_node"] = 1
    executor.update_parameters(**params)
    n = len(shard_ids)
    jobs = executor.map_array(_render_shard_task, [str(Path(out_dir).resolve())] * n,
                              [str(Path(body_dir).resolve())] * n, shard_ids, [options.shards] * n,
                              [shard_workers(options)] * n, [options.device] * n, [limits] * n,
                              [options.blender] * n)
    return str(jobs[0].job_id).split("_")[0]


def submit(out_dir: Path, body_dir: Path, shard_ids: list[int], options: SlurmOptions,
           limits: RunLimits = RunLimits()) -> tuple[str, str]:
    how = options.submit_with
    if how == "auto":
        try:
            import submitit  # noqa: F401

            how = "submitit"
        except ImportError:
            how = "sbatch"
    if how == "submitit":
        return submit_submitit(out_dir, body_dir, shard_ids, options, limits), how
    if how == "sbatch":
        return submit_sbatch(out_dir, body_dir, shard_ids, options, limits), how
    raise SynthActError(f"--submit-with: unknown {how!r} (choose auto, submitit or sbatch)")


def array_tasks_left(job_id: str) -> int:
    # Once Slurm has purged a finished job, squeue calls its id invalid: nothing left either.
    out = _run(["squeue", "--noheader", "--array", "--jobs", job_id, "--format", "%i"], ok_if="Invalid job id")
    return len([ln for ln in out.splitlines() if ln.strip()])


class SlurmExecutor:
    """Submit the shards that miss clips, wait until the array has left the queue, report each job."""

    def __init__(self, options: SlurmOptions = SlurmOptions()):
        self.options = options
        self.on_submitted: Callable[[str, str, list[int]], None] = lambda *_: None

    def run(self, jobs: Iterable[Job], total: int, folder: OutputFolder, body_dir: Path, limits: RunLimits,
            on_done: OnDone) -> None:
        if total <= 0:
            return
        complete = folder.complete()
        shard_ids = shards_to_submit(folder.jobs(), lambda j: j in complete, self.options.shards)
        # Only the paths of the jobs waited for are kept, not the jobs.
        waiting = {j.job_id: ClipPaths(j.label_path, j.clip_path) for j in jobs}
        job_id, how = submit(folder.root, body_dir, shard_ids, self.options, limits)
        self.on_submitted(job_id, how, shard_ids)
        start = time.monotonic()

        def collect() -> None:
            complete = folder.complete()
            for jid in [jid for jid, paths in waiting.items() if paths in complete]:
                on_done(JobOutcome(jid, True))
                del waiting[jid]

        try:
            while waiting and array_tasks_left(job_id) > 0:
                if time.monotonic() - start > self.options.wait_timeout_s:
                    raise SynthActError(f"Slurm array {job_id} still queued after {self.options.wait_timeout_s:.0f} s")
                collect()
                time.sleep(POLL_S)
        except KeyboardInterrupt:
            # Stop the array and wait (bounded) until it has left the queue: no task writes once this returns.
            subprocess.run(["scancel", job_id], check=False, timeout=60)
            deadline = time.monotonic() + CANCEL_WAIT_S
            while time.monotonic() < deadline and array_tasks_left(job_id) > 0:
                time.sleep(POLL_S)
            raise
        collect()
        for jid in list(waiting):
            on_done(JobOutcome(jid, False, f"not rendered by Slurm array {job_id} (task cancelled, failed or timed "
                                           f"out; logs in {folder.root / 'slurm'})"))


def render_shard(out_dir: Path, body_dir: Path, shard: int, shards: int, workers: int = 1, device: str = "cpu",
                 limits: RunLimits = RunLimits(), blender: str | None = None) -> int:
    """What one array task runs: render the missing clips of its shard with the local pool; returns the
    number of clips that failed (their errors go to failures-<shard>.jsonl)."""
    if blender is not None:  # this node's Blender, refused in one line before any job starts
        from render_farm.executors.blender_process import check_blender

        check_blender(blender)
    folder = OutputFolder(out_dir)
    complete = folder.complete()
    total = sum(1 for j in shard_of(folder.jobs(), shard, shards) if j not in complete)
    todo = (j for j in shard_of(folder.jobs(), shard, shards) if j not in complete)
    failed: list[JobOutcome] = []
    LocalExecutor(workers, device, blender).run(todo, total, folder, body_dir, limits,
                                       lambda o: failed.append(o) if not o.ok else None)
    folder.write_failures(failed, shard)
    return len(failed)
