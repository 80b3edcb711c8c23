"""From a dataset config to a folder of clips, labels and split lists.

Stages, each rerunnable from its files: plan (jobs.jsonl, templates/), bodies
(baked into the cache), render (clips/, labels/), manifest (classes.txt,
train.txt, val.txt).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from render_farm.bodies.cache import bake_bodies, missing_bodies
from render_farm.core.atomic import write_text_atomic
from render_farm.core.config import DatasetConfig
from render_farm.core.errors import RenderInterrupted, SynthActError
from render_farm.core.jobs import Job
from render_farm.core.manifest import write_manifest
from render_farm.core.planner import jobs_jsonl, plan
from render_farm.core.template import template_json
from render_farm.executors.local import JobOutcome, default_workers, run_local
from render_farm.executors.slurm import SlurmOptions, run_slurm
from render_farm.templates import find_template


@dataclass
class RenderSummary:
    planned: int
    skipped: int
    rendered: int
    failed: list[JobOutcome]
    counts: dict[str, int]


class ClipsPerHour(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 3600:.0f} clips/h" if speed else "- clips/h")


def _progress(console: Console, rate: bool = False) -> Progress:
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(ClipsPerHour())
    columns += [TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=console, transient=False)


def prepare(config: DatasetConfig, out_dir: Path) -> list[Job]:
    """Validate the actions, plan the jobs and write the plan and the templates it uses."""
    templates = [find_template(a, config.template_dirs) for a in config.actions]
    jobs = plan(config, templates)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for t in templates:
            write_text_atomic(out_dir / "templates" / f"{t.id}.json", template_json(t))
        write_text_atomic(out_dir / "jobs.jsonl", jobs_jsonl(jobs))
    except OSError as exc:
        raise SynthActError(f"{exc.filename or out_dir}: cannot write the output folder ({exc.strerror})") from None
    return jobs


def load_jobs(out_dir: Path) -> list[Job]:
    return load_jobs_file(out_dir / "jobs.jsonl")


def load_jobs_file(path: Path) -> list[Job]:
    jobs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                jobs.append(Job.model_validate(json.loads(line)))
            except ValueError as exc:
                raise SynthActError(f"{path}: line {n}: not a valid job ({str(exc).splitlines()[0]})") from None
    return jobs


def is_complete(out_dir: Path, job: Job) -> bool:
    """A clip counts once its label exists: the label is written after the MP4 is renamed into place."""
    return (out_dir / job.label_path).is_file() and (out_dir / job.clip_path).is_file()


def remove_stale_temporaries(out_dir: Path) -> int:
    """Temporary files a killed run left behind (hidden `.name.partial` / `.name.*.tmp`): never listed,
    never read, removed before rendering. One local run per output folder at a time."""
    removed = 0
    for folder in ("clips", "labels", "passes"):
        for path in (out_dir / folder).rglob(".*"):
            if path.is_file() and (path.name.endswith(".partial") or path.name.endswith(".tmp")):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def ensure_bodies(jobs: list[Job], body_dir: Path, console: Console) -> None:
    missing = missing_bodies(body_dir, [j.body for j in jobs])
    if not missing:
        return
    with _progress(console) as progress:
        task = progress.add_task("baking bodies", total=len(missing))
        bake_bodies(body_dir, missing, on_baked=lambda _b: progress.advance(task))


@dataclass(frozen=True)
class Backend:
    """Where jobs run: `local` (a process pool here), `ray` (a Ray cluster at `address`), `slurm` (job arrays)."""

    kind: str = "local"
    address: str | None = None
    slurm: SlurmOptions = SlurmOptions()
    device: str = "cpu"  # cpu, auto, optix, cuda (Cycles); a GPU device pins one GPU per worker

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise SynthActError(f"--backend: unknown backend {self.kind!r} (choose {', '.join(BACKENDS)})")
        if self.device not in DEVICES:
            raise SynthActError(f"--device: unknown device {self.device!r} (choose {', '.join(DEVICES)})")


BACKENDS = ("local", "ray", "slurm")
DEVICES = ("cpu", "auto", "optix", "cuda")  # render_farm.blender.devices.DEVICES, without importing bpy


def execute(
    jobs: list[Job], out_dir: Path, body_dir: Path, workers: int | None = None, console: Console | None = None,
    backend: Backend = Backend(),
) -> RenderSummary:
    console = console or Console(stderr=True)
    todo = [j for j in jobs if not is_complete(out_dir, j)]
    removed = remove_stale_temporaries(out_dir)
    if removed:
        console.print(f"removed {removed} temporary file(s) left by an interrupted run", highlight=False)
    ensure_bodies(todo, body_dir, console)
    failed: list[JobOutcome] = []
    interrupted = False
    with _progress(console, rate=True) as progress:
        task = progress.add_task("rendering clips", total=len(todo))

        fallback_told = False

        def on_done(outcome: JobOutcome) -> None:
            nonlocal fallback_told
            progress.advance(task)
            if outcome.ok and backend.device != "cpu" and outcome.stats.get("device") == "CPU" and not fallback_told:
                fallback_told = True
                progress.console.print(f"[yellow]--device {backend.device}: no usable GPU on the worker; rendering "
                                       "on the CPU[/yellow]", highlight=False)
            if not outcome.ok:
                failed.append(outcome)
                progress.console.print(f"[red]failed[/red] {outcome.job_id}: {outcome.error}")

        def submitted(job_id: str, how: str, shards: list[int]) -> None:
            progress.console.print(f"submitted Slurm array {job_id} ({how}): shards {shards} of "
                                   f"{backend.slurm.shards}", highlight=False)

        try:
            if backend.kind == "ray":
                from render_farm.executors.ray_cluster import run_ray

                run_ray(todo, out_dir, body_dir, backend.address, on_done, device=backend.device)
            elif backend.kind == "slurm":
                # The backend's device is the one setting; the Slurm options carry it to the array tasks.
                slurm = dataclasses.replace(backend.slurm, device=backend.device)
                run_slurm(jobs, todo, out_dir, body_dir, slurm, lambda j: is_complete(out_dir, j), on_done,
                          submitted)
            else:
                pool = min(workers or default_workers(backend.device), max(1, len(todo)))
                run_local(todo, out_dir, body_dir, pool, on_done, device=backend.device)
        except KeyboardInterrupt:
            # The executor has stopped its workers: tidy what they were writing, then list what is complete.
            interrupted = True
            remove_stale_temporaries(out_dir)
    complete = {j.job_id for j in jobs if is_complete(out_dir, j)}
    failures = out_dir / "failures.jsonl"
    try:
        counts = write_manifest(out_dir, jobs, complete)
        if failed:
            write_text_atomic(failures, "".join(json.dumps({"job_id": f.job_id, "error": f.error}) + "\n"
                                                for f in failed))
        else:
            failures.unlink(missing_ok=True)
    except OSError as exc:
        raise SynthActError(f"{exc.filename or out_dir}: cannot write the split lists ({exc.strerror}); "
                            f"{len(complete)} of {len(jobs)} clips are complete") from None
    if interrupted:
        raise RenderInterrupted(f"interrupted: {len(complete)} of {len(jobs)} clips are complete in {out_dir} "
                                "(the split lists name them); run the same command again to render the rest")
    return RenderSummary(len(jobs), len(jobs) - len(todo), len(todo) - len(failed), failed, counts)


def render(config: DatasetConfig, out_dir: Path, body_dir: Path, workers: int | None = None,
           console: Console | None = None, backend: Backend = Backend()) -> RenderSummary:
    jobs = prepare(config, out_dir)
    return execute(jobs, out_dir, body_dir, workers or config.workers, console, backend)


def render_plan(plan_file: Path, out_dir: Path | None, body_dir: Path, workers: int | None = None,
                console: Console | None = None, backend: Backend = Backend()) -> tuple[RenderSummary, Path]:
    """Render a plan written by `synthact plan`; its folder (with templates/) is the output folder."""
    plan_file = Path(plan_file)
    if not plan_file.is_file():
        raise SynthActError(f"{plan_file}: plan file not found")
    jobs = load_jobs_file(plan_file)
    source = plan_file.parent
    out_dir = Path(out_dir or source)
    for template_id in sorted({j.template_id for j in jobs}):
        src = source / "templates" / f"{template_id}.json"
        if not src.is_file():
            raise SynthActError(f"{src}: template of the plan not found (plan folders hold templates/)")
        if out_dir != source:
            write_text_atomic(out_dir / "templates" / src.name, src.read_text(encoding="utf-8"))
    if out_dir != source:
        write_text_atomic(out_dir / "jobs.jsonl", plan_file.read_text(encoding="utf-8"))
    return execute(jobs, out_dir, body_dir, workers, console, backend), out_dir
