"""From a dataset config to a folder of clips, labels and split lists.

Stages, each rerunnable from its files: plan (jobs.jsonl, templates/), bodies
(baked into the cache), render (clips/, labels/), manifest (classes.txt,
train.txt, val.txt).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
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

from render_farm.bodies.baked.cache import missing_bodies
from render_farm.bodies.baking.bake import bake_bodies
from render_farm.core.plan.config import DatasetConfig
from render_farm.core.plan.jobs import Job, job_line
from render_farm.core.plan.plan_lines import plan_text
from render_farm.core.plan.planner import PlanSummary
from render_farm.core.plan.record import PlanRecord, plan_record
from render_farm.core.template.model import load_template, template_json
from render_farm.dataset.folder import OutputFolder, read_jobs, remove_orphaned_scratch
from render_farm.executors import executor_for
from render_farm.executors.base import EXECUTORS, Executor, JobOutcome, RunLimits
from render_farm.executors.slurm import SlurmExecutor, SlurmOptions
from render_farm.templates import find_template
from synthact.errors import RenderInterrupted, SynthActError


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


def write_plan(config: DatasetConfig, out_dir: Path, summary: PlanSummary | None = None,
               on_written: Callable[[int], None] | None = None, processes: int | None = None) -> int:
    """Validate the actions, then plan the jobs and write them chunk by chunk to OUT/jobs.jsonl (memory
    does not grow with the job count), with the templates they use; returns the number of jobs.
    `summary` accumulates every job; `on_written(n)` is told of each chunk of n jobs written; `processes`
    plan in parallel (default: one per core for large plans, see plan_lines)."""
    templates = [find_template(a, config.template_dirs) for a in config.actions]
    folder = OutputFolder(out_dir)
    folder.claim(plan_record(config), templates)  # before anything is written
    for t in templates:
        folder.write_template(f"{t.id}.json", template_json(t))
    text = plan_text(config, templates, summary, processes)
    if on_written is not None:
        text = _told(text, on_written)
    return folder.write_plan(text)


def _told(text: Iterable[str], on_written: Callable[[int], None]) -> Iterator[str]:
    for lines in text:
        yield lines
        on_written(lines.count("\n"))


def prepare(config: DatasetConfig, out_dir: Path) -> list[Job]:
    """write_plan, then the jobs as a list: for small plans (tests, benchmarks, previews)."""
    write_plan(config, out_dir)
    return load_jobs(out_dir)


def load_jobs(out_dir: Path) -> list[Job]:
    """Every job of OUT/jobs.jsonl in a list: for small plans; large ones are read with OutputFolder.jobs()."""
    return list(OutputFolder(out_dir).jobs())


def is_complete(out_dir: Path, job: Job) -> bool:
    """A clip counts once its label exists (written after the MP4 is renamed into place), is this job's, and
    records the clip that is there (dataset.folder.clip_problem). For one job; a run checks a whole plan
    with OutputFolder."""
    return job in OutputFolder(out_dir).complete(check=True)


def ensure_bodies(jobs: Iterable[Job], body_dir: Path, console: Console) -> None:
    missing = missing_bodies(body_dir, (b for j in jobs for b in j.bodies()))
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
    blender: str | None = None  # a Blender application to render with (on every node); None: the bpy module

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise SynthActError(f"--backend: unknown backend {self.kind!r} (choose {', '.join(EXECUTORS)})")
        if self.device not in DEVICES:
            raise SynthActError(f"--device: unknown device {self.device!r} (choose {', '.join(DEVICES)})")

    def check(self) -> None:
        """Refuse, in one line, a Blender application that cannot run the worker (before any job starts). On a
        cluster this checks the path here, on the machine that submits: nodes must have the same Blender."""
        if self.blender is not None:
            from render_farm.executors.blender_process import check_blender

            check_blender(self.blender)
        elif self.kind == "local" and importlib.util.find_spec("bpy") is None:  # cluster nodes have their own
            version = ".".join(map(str, sys.version_info[:2]))
            raise SynthActError(f"no bpy module in this Python {version} (bpy has wheels for CPython 3.11 and 3.13 "
                                "only): render with a Blender application (--blender PATH, or SYNTHACT_BLENDER), "
                                "or install SynthAct under Python 3.11 or 3.13")

    def executor(self, workers: int | None) -> Executor:
        if self.kind == "ray":
            return executor_for("ray", address=self.address, device=self.device, blender=self.blender)
        if self.kind == "slurm":
            # The backend's device and Blender are the settings; the Slurm options carry them to the array tasks.
            return executor_for("slurm", options=dataclasses.replace(self.slurm, device=self.device,
                                                                     blender=self.blender))
        return executor_for("local", workers=workers, device=self.device, blender=self.blender)


DEVICES = ("cpu", "auto", "optix", "cuda")  # render_farm.blender.devices.DEVICES, without importing bpy


def execute(out_dir: Path, body_dir: Path, workers: int | None = None, console: Console | None = None,
            backend: Backend = Backend(), limits: RunLimits = RunLimits()) -> RenderSummary:
    """Render the jobs of OUT/jobs.jsonl whose clips are missing, then write the split lists."""
    console = console or Console(stderr=True)
    backend.check()
    folder = OutputFolder(out_dir)
    removed = folder.remove_stale_temporaries() + remove_orphaned_scratch()
    if removed:
        console.print(f"removed {removed} temporary file(s) left by an interrupted run", highlight=False, markup=False)
    # One pass over the plan counts what is missing before anything renders. A job whose journal entry
    # matches its files is complete as it is; every other line is validated and its clip, if there, checked
    # against its label and the label against its job: a clip cut short or written over, or a label that is
    # broken or another job's, is removed and rendered again. The executor then reads only the lines of the
    # jobs to render, lazily, by their offsets in the plan.
    scan = folder.scan()
    planned, todo = scan.planned, len(scan.todo)
    for job, problem in scan.broken:
        folder.remove_clip(job)
        console.print(f"{job.clip_path}: {problem}; rendering it again", highlight=False, markup=False)
    pending = lambda: folder.jobs_at(scan.todo)  # noqa: E731
    ensure_bodies(pending(), body_dir, console)
    failed: list[JobOutcome] = []
    interrupted = False
    with _progress(console, rate=True) as progress:
        task = progress.add_task("rendering clips", total=todo)

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
                progress.console.print(f"[red]failed[/red] {escape(outcome.job_id)}: {escape(outcome.error)}",
                                       highlight=False)

        executor = backend.executor(workers)
        if isinstance(executor, SlurmExecutor):
            executor.on_submitted = lambda job_id, how, shards: progress.console.print(
                f"submitted Slurm array {job_id} ({how}): shards {shards} of {backend.slurm.shards}", highlight=False,
                markup=False)
        try:
            executor.run(pending(), todo, folder, body_dir, limits, on_done)
        except KeyboardInterrupt:
            # The executor has stopped its workers: tidy what they were writing, then list what is complete.
            interrupted = True
            folder.remove_stale_temporaries()
        finally:
            remove_orphaned_scratch()  # of workers killed in this run (watchdog, crashes, stop)
    try:
        counts, done, planned = folder.write_split_lists()
        folder.write_failures(failed)
    except OSError as exc:
        raise SynthActError(f"{exc.filename or out_dir}: cannot write the split lists ({exc.strerror}); the "
                            "complete clips are in place: run the same command again to write them") from None
    if interrupted:
        raise RenderInterrupted(f"interrupted: {done} of {planned} clips are complete in {out_dir} "
                                "(the split lists name them); run the same command again to render the rest")
    return RenderSummary(planned, planned - todo, todo - len(failed), failed, counts)


def render(config: DatasetConfig, out_dir: Path, body_dir: Path, workers: int | None = None,
           console: Console | None = None, backend: Backend = Backend(),
           limits: RunLimits | None = None) -> RenderSummary:
    if backend.blender is None and config.blender is not None:
        backend = dataclasses.replace(backend, blender=config.blender)
    backend.check()  # before the plan is written: a Blender that cannot render leaves nothing behind
    write_plan(config, out_dir)
    limits = limits or RunLimits.given(config.recycle_after, config.watchdog_s)
    return execute(out_dir, body_dir, workers or config.workers, console, backend, limits)


def render_plan(plan_file: Path, out_dir: Path | None, body_dir: Path, workers: int | None = None,
                console: Console | None = None, backend: Backend = Backend(),
                limits: RunLimits = RunLimits()) -> tuple[RenderSummary, Path]:
    """Render a plan written by `synthact plan`; its folder (with templates/) is the output folder."""
    plan_file = Path(plan_file)
    if not plan_file.is_file():
        raise SynthActError(f"{plan_file}: plan file not found")
    source = plan_file.parent
    out_dir = Path(out_dir or source)
    folder = OutputFolder(out_dir)
    classes: dict[int, str] = {}
    template_ids: set[str] = set()
    for job in read_jobs(plan_file):
        classes.setdefault(job.class_index, job.action_id)
        template_ids.add(job.template_id)
    sources = {}
    for template_id in sorted(template_ids):
        src = source / "templates" / f"{template_id}.json"
        if not src.is_file():
            raise SynthActError(f"{src}: template of the plan not found (plan folders hold templates/)")
        sources[src] = load_template(src)
    templates = list(sources.values())
    if out_dir != source or plan_file != folder.plan_file:
        first = next(read_jobs(plan_file), None)
        if first is not None and first.plan_id:
            recorded = OutputFolder(source).recorded_plan() if plan_file == OutputFolder(source).plan_file else None
            folder.claim(recorded or PlanRecord(plan_id=first.plan_id, classes=[classes[i] for i in sorted(classes)]),
                         templates)
        for src in sources:
            folder.write_template(src.name, src.read_text(encoding="utf-8"))
        folder.write_plan(job_line(j) for j in read_jobs(plan_file))
    return execute(out_dir, body_dir, workers, console, backend, limits), out_dir
