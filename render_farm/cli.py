"""The `synthact` command: thin, it parses arguments and delegates."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from synthact.errors import RenderInterrupted, SynthActError
from training.cli import app as train_app

app = typer.Typer(help="SynthAct: synthetic human-action video datasets.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
templates_app = typer.Typer(help="The action template library.", no_args_is_help=True)
assets_app = typer.Typer(help="Third-party assets and their licences.", no_args_is_help=True)
addon_app = typer.Typer(help="The Blender add-on for artists.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
app.add_typer(assets_app, name="assets")
app.add_typer(addon_app, name="addon")
# The training commands check for the `train` extra themselves (one line naming what is missing).
app.add_typer(train_app, name="train")

console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    # Messages carry user text (paths, action names) and pip extras: never read them as rich markup.
    console.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _passing_bar(*columns):
    """A progress bar that is gone when its work is: shown on a terminal only, so that piped output and
    one-line errors carry no blank line where it was."""
    from rich.progress import Progress

    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


def _print_summary(summary: dict) -> None:
    table = Table(title=f"{summary['clips']} clips")
    table.add_column("action")
    table.add_column("train")
    table.add_column("val")
    for action, n in summary["per_action"].items():
        table.add_row(escape(action), str(n["train"]), str(n["val"]))
    Console().print(table)
    params = Table(title="sampled parameters")
    params.add_column("parameter")
    params.add_column("range or counts")
    for name, p in summary["parameters"].items():
        if "counts" in p:
            text = ", ".join(f"{k}: {v}" for k, v in sorted(p["counts"].items()))
        else:
            text = f"{p['min']:.4g} .. {p['max']:.4g} (mean {p['mean']:.4g})"
        params.add_row(escape(name), escape(text))
    Console().print(params)


@app.command()
def plan(
    config: Annotated[Path, typer.Argument(help="Dataset config (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (overrides the config's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Expand a config into OUT/jobs.jsonl (one fully specified job per clip) and summarize it."""

    from render_farm import pipeline
    from render_farm.core.plan.config import load_config
    from render_farm.core.plan.planner import PlanSummary

    summary = PlanSummary()
    cfg = load_config(config)
    out_dir = out or cfg.output
    try:
        with _passing_bar() as progress:
            task = progress.add_task("planning jobs", total=len(cfg.actions) * cfg.clips_per_action)
            count = pipeline.write_plan(cfg, out_dir, summary, on_written=lambda n: progress.advance(task, n))
    except KeyboardInterrupt:
        fail("interrupted while planning; no plan was written", 130)
        return
    if as_json:
        sys.stdout.write(json.dumps(summary.as_dict(), indent=1) + "\n")
    else:
        _print_summary(summary.as_dict())
    console.print(f"{count} jobs -> {out_dir / 'jobs.jsonl'}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def render(
    config: Annotated[Path, typer.Argument(help="Dataset config (YAML), or a plan (jobs.jsonl) from `synthact plan`.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (overrides the config's).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core; with a GPU "
                                                       "--device, 4 per GPU up to one per core).", min=1)] = None,
    engine: Annotated[str | None, typer.Option(help="Override the config's engine: cycles or workbench.")] = None,
    bodies: Annotated[Path | None, typer.Option(help="Baked body cache folder.")] = None,
    backend: Annotated[str, typer.Option(help="local (process pool here), ray (a Ray cluster) or slurm (job "
                                               "arrays).")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address HOST:PORT (default: RAY_ADDRESS).")] = None,
    shards: Annotated[int, typer.Option(help="Slurm: array tasks the plan is split into.", min=1)] = 16,
    partition: Annotated[str | None, typer.Option(help="Slurm partition.")] = None,
    time_limit: Annotated[int, typer.Option(help="Slurm: minutes per array task.", min=1)] = 240,
    cpus_per_task: Annotated[int, typer.Option(help="Slurm: CPUs (worker processes) per array task.", min=1)] = 1,
    array_parallelism: Annotated[int | None, typer.Option(help="Slurm: most array tasks at once.", min=1)] = None,
    submit_with: Annotated[str, typer.Option(help="Slurm: auto, submitit or sbatch.")] = "auto",
    device: Annotated[str, typer.Option(help="Cycles device: cpu, auto (OptiX, then CUDA), optix or cuda; GPU "
                                             "devices pin one GPU per worker.")] = "cpu",
    recycle_after: Annotated[int | None, typer.Option(help="Jobs a worker process renders before it is replaced "
                                                           "(default: the config's, else 50).", min=1)] = None,
    watchdog: Annotated[float | None, typer.Option(help="Seconds without a finished frame before a job's worker is "
                                                        "killed and the job retried (default: the config's, else "
                                                        "600).", min=0.001)] = None,
    blender: Annotated[str | None, typer.Option(
        envvar="SYNTHACT_BLENDER", show_envvar=True,
        help="Render with this Blender application (a path, or a name on PATH; 3.4 or newer, on every node of "
             "a cluster) instead of the bpy module (default: the config's `blender`).")] = None,
) -> None:
    """Render a dataset config into clips, labels and split lists."""
    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import load_config, parse_config
    from render_farm.executors.base import RunLimits
    from render_farm.executors.slurm import SlurmOptions

    # SIGTERM (a batch system's stop, `timeout`, `kill`) stops the run as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        slurm = SlurmOptions(shards=shards, partition=partition, time_limit_min=time_limit,
                             cpus_per_task=cpus_per_task, array_parallelism=array_parallelism, submit_with=submit_with)
        where = pipeline.Backend(backend, address, slurm, device, blender)
        if config.suffix == ".jsonl":
            if engine is not None:
                fail("--engine applies to configs; a plan's jobs already name their engine")
            limits = RunLimits.given(recycle_after, watchdog)
            summary, out_dir = pipeline.render_plan(config, out, bodies or default_cache_dir(), workers, console,
                                                    where, limits)
        else:
            cfg = load_config(config)
            if engine is not None:
                cfg = parse_config({**cfg.model_dump(mode="json"), "engine": engine}, f"--engine {engine}")
            out_dir = out or cfg.output
            limits = RunLimits.given(recycle_after or cfg.recycle_after, watchdog or cfg.watchdog_s)
            summary = pipeline.render(cfg, out_dir, bodies or default_cache_dir(), workers, console, where, limits)
    except RenderInterrupted as exc:
        fail(str(exc), 130)  # the shell's code for a run stopped by SIGINT
        return
    except KeyboardInterrupt:  # before any clip was started (planning, baking bodies)
        fail("interrupted before rendering started; nothing was rendered", 130)
        return
    console.print(
        f"{summary.rendered} clips rendered, {summary.skipped} already present, {len(summary.failed)} failed; "
        f"train {summary.counts['train']}, val {summary.counts['val']} -> {out_dir}", highlight=False, markup=False,
        soft_wrap=True,
    )  # one line, whatever the terminal's width: scripts read it
    if summary.failed:
        fail(f"{len(summary.failed)} of {summary.planned} clips failed (see {out_dir / 'failures.jsonl'})", 1)


@app.command("render-shard")
def render_shard_cmd(
    dataset: Annotated[Path, typer.Argument(help="An output folder holding jobs.jsonl and templates/.")],
    shard: Annotated[int, typer.Option(help="This shard's index (a Slurm array task id).", min=0)],
    of: Annotated[int, typer.Option("--of", help="Number of shards.", min=1)],
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    bodies: Annotated[Path | None, typer.Option(help="Baked body cache folder.")] = None,
    device: Annotated[str, typer.Option(help="Cycles device: cpu, auto, optix or cuda.")] = "cpu",
    recycle_after: Annotated[int | None, typer.Option(help="Jobs a worker renders before it is replaced.",
                                                      min=1)] = None,
    watchdog: Annotated[float | None, typer.Option(help="Seconds without a finished frame before a job is "
                                                        "killed and retried.", min=0.001)] = None,
    blender: Annotated[str | None, typer.Option(envvar="SYNTHACT_BLENDER", show_envvar=True,
                                                help="Render with this Blender application instead of the "
                                                     "bpy module.")] = None,
) -> None:
    """Render the missing clips of one shard of a plan (what each Slurm array task runs)."""
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.executors.base import RunLimits
    from render_farm.executors.slurm import render_shard

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # scancel: stop the workers, tidy, exit
    try:
        failed = render_shard(dataset, bodies or default_cache_dir(), shard, of, workers, device,
                              RunLimits.given(recycle_after, watchdog), blender)
    except KeyboardInterrupt:
        fail(f"shard {shard}: interrupted", 130)
        return
    if failed:
        fail(f"shard {shard}: {failed} clip(s) failed (see {dataset / 'slurm' / f'failures-{shard}.jsonl'})", 1)


@app.command("slurm-script")
def slurm_script(
    config: Annotated[Path, typer.Argument(help="Dataset config (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (overrides the config's).")] = None,
    shards: Annotated[int, typer.Option(help="Array tasks the plan is split into.", min=1)] = 16,
    partition: Annotated[str | None, typer.Option(help="Slurm partition.")] = None,
    time_limit: Annotated[int, typer.Option(help="Minutes per array task.", min=1)] = 240,
    cpus_per_task: Annotated[int, typer.Option(help="CPUs (worker processes) per array task.", min=1)] = 1,
    array_parallelism: Annotated[int | None, typer.Option(help="Most array tasks at once.", min=1)] = None,
    bodies: Annotated[Path | None, typer.Option(help="Baked body cache folder (shared by the nodes).")] = None,
    blender: Annotated[str | None, typer.Option(envvar="SYNTHACT_BLENDER", show_envvar=True,
                                                help="The Blender application the nodes render with (its path "
                                                     "there; default: the config's `blender`, else the bpy "
                                                     "module).")] = None,
) -> None:
    """Plan a config and write an sbatch job-array script for it (for clusters without submitit)."""
    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import load_config
    from render_farm.dataset.folder import OutputFolder
    from render_farm.executors.base import RunLimits
    from render_farm.executors.slurm import SlurmOptions, sbatch_script, shards_to_submit

    cfg = load_config(config)
    out_dir = out or cfg.output
    pipeline.write_plan(cfg, out_dir)
    folder = OutputFolder(out_dir)
    complete = folder.complete()
    body_dir = bodies or default_cache_dir()
    pipeline.ensure_bodies((j for j in folder.jobs() if j not in complete), body_dir, console)
    options = SlurmOptions(shards=shards, partition=partition, time_limit_min=time_limit,
                           cpus_per_task=cpus_per_task, array_parallelism=array_parallelism,
                           blender=blender or cfg.blender)
    todo = shards_to_submit(folder.jobs(), lambda j: j in complete, shards)
    if not todo:
        console.print(f"every clip of {out_dir} is rendered; nothing to submit", highlight=False, markup=False)
        return
    script = out_dir / "slurm" / "render.sbatch"
    script.parent.mkdir(parents=True, exist_ok=True)
    limits = RunLimits.given(cfg.recycle_after, cfg.watchdog_s)
    script.write_text(sbatch_script(out_dir, body_dir, todo, options, limits), encoding="utf-8")
    console.print(f"submit with: sbatch {script}\nthen write the split lists with: synthact render "
                  f"{out_dir / 'jobs.jsonl'}", highlight=False, markup=False)
    sys.stdout.write(f"{script}\n")


@app.command()
def preview(
    template: Annotated[Path, typer.Argument(help="Template JSON file (named <id>.json).")],
    seed: Annotated[int, typer.Option(help="Seed of the variant.", min=0)] = 0,
    out: Annotated[Path, typer.Option("--out", help="MP4 to write (its label goes next to it).")] = Path(
        "preview.mp4"),
    size: Annotated[int, typer.Option(help="Width and height in pixels.", min=16, max=4096)] = 160,
    engine: Annotated[str, typer.Option(help="workbench (fast) or cycles.")] = "workbench",
    bodies: Annotated[Path | None, typer.Option(help="Baked body cache folder.")] = None,
) -> None:
    """Render one randomized variant of a template through the farm (the add-on's Preview Variant)."""
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.preview import render_preview

    path = render_preview(template, seed, out, bodies or default_cache_dir(), size, engine, console)
    sys.stdout.write(f"{path}\n")


@app.command()
def report(dataset: Annotated[Path, typer.Argument(help="A rendered dataset folder.")]) -> None:
    """Write DATASET/report/: clips per class, parameter distributions, a contact sheet, a GIF per class."""

    from render_farm import pipeline
    from render_farm.dataset.report import write_report

    if not (dataset / "jobs.jsonl").is_file():
        fail(f"{dataset / 'jobs.jsonl'}: not found (is {dataset} a rendered dataset?)")
    jobs = pipeline.load_jobs(dataset)
    with _passing_bar() as progress:
        task = progress.add_task("reading clips", total=len(jobs))
        out = write_report(dataset, jobs, on_clip=lambda: progress.advance(task))
    console.print(f"report -> {out / 'report.md'}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def verify(dataset: Annotated[Path, typer.Argument(help="A rendered dataset folder.")]) -> None:
    """Decode every clip and check it, its label and the split lists; exits non-zero listing every problem."""

    from render_farm.dataset.verify import verify_dataset

    if not dataset.is_dir():
        fail(f"{dataset}: dataset folder not found")
    with _passing_bar() as progress:
        task = progress.add_task("verifying clips", total=None)
        problems, checked = verify_dataset(dataset, on_clip=lambda: progress.advance(task))
    for p in problems:
        console.print(p, highlight=False, markup=False, soft_wrap=True)
    if problems:
        fail(f"{len(problems)} problem(s) in {dataset} ({checked} labelled clips checked)", 1)
    console.print(f"{checked} clips ok in {dataset}", highlight=False, markup=False, soft_wrap=True)


@templates_app.command("list")
def templates_list(
    template_dir: Annotated[list[Path], typer.Option("--dir", help="Extra template folder (repeatable).")] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the available action templates (--json adds each built-in class's overlapping classes in NTU RGB+D,
    Kinetics-400, UCF101 and HMDB51)."""
    from render_farm.templates import load_library

    library = load_library(template_dir)
    if as_json:
        from render_farm.templates import class_mappings

        mappings = class_mappings()
        rows = [{"id": t.id, "label": t.label, "family": t.family, "frames": t.frame_count, "fps": t.fps,
                 "loops": t.loops, "props": [p.name for p in t.props], "actors": t.actors,
                 "performances": [t.performance_name(k) for k in range(t.performance_count)],
                 "description": t.description,
                 "mappings": {d: table[t.id] for d, table in mappings.items() if t.id in table}} for t in library]
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    table = Table(title=f"{len(library)} action templates")
    for col in ("id", "label", "family", "seconds", "loops", "props", "actors", "performances"):
        table.add_column(col, no_wrap=col in ("id", "label"))
    table.add_column("description", overflow="fold")
    for t in library:
        table.add_row(escape(t.id), escape(t.label), escape(t.family), f"{t.duration:.2f}",
                      "yes" if t.loops else "no", escape(", ".join(p.name for p in t.props)), str(t.actors),
                      str(t.performance_count), escape(t.description))
    # Piped into a file or another program, the table is not squeezed to 80 columns.
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@templates_app.command("check")
def templates_check(
    template_dir: Annotated[list[Path], typer.Option("--dir", help="Extra template folder (repeatable).")] = [],  # noqa: B006
) -> None:
    """Check the whole library (built-ins and extra folders): every template valid, joints within their
    limits, feet on the ground, and no two performances (of one class or of two) near-duplicates. Exits 1
    naming every problem."""
    from rich.progress import SpinnerColumn, TextColumn

    from render_farm.core.template.checks import check_library
    from render_farm.templates import read_library

    library, unreadable = read_library(template_dir)
    count = sum(t.performance_count for t in library)
    with _passing_bar(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        progress.add_task(f"checking {len(library)} templates, {count} performances ({count * (count - 1) // 2} "
                          "pairs)")
        problems = unreadable + check_library(library)
    for line in problems:
        console.print(f"problem: {line}", highlight=False, markup=False, soft_wrap=True)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(library) + len(unreadable)} templates", 1)
    console.print(f"{len(library)} templates ({count} performances) ok: valid, within joint limits, on the "
                  "ground, no near-duplicates", highlight=False, markup=False, soft_wrap=True)


@templates_app.command("import-bvh")
def templates_import_bvh(
    folder: Annotated[Path, typer.Argument(help="A folder of BVH files.")],
    labels: Annotated[Path | None, typer.Option("--labels", help="CSV: file,start_frame,end_frame,label "
                                                "(frames from 1, inclusive; empty: the whole file).")] = None,
    descriptions: Annotated[Path | None, typer.Option("--descriptions", help="CMU-style: one line per file, "
                                                      "'<name without .bvh> <description>'.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Template folder to write (default FOLDER/templates)."
                                             )] = None,
    joint_map: Annotated[str, typer.Option("--joint-map", help="cmu, mixamo, or a joint map JSON file "
                                           "(docs/artists.md).")] = "cmu",
    min_frames: Annotated[int, typer.Option("--min-frames", min=2, help="Shorter segments are skipped.")] = 12,
    max_skate: Annotated[float, typer.Option("--max-skate", min=0.0, help="Skip a segment whose foot slides "
                                             "further than this (metres) while on the ground.")] = 0.1,
    add_to: Annotated[str | None, typer.Option("--add-to", help="Add every segment as another performance of "
                                               "this class (a template in --out, or a built-in copied there "
                                               "first).")] = None,
    by_label: Annotated[bool, typer.Option("--by-label", help="A segment whose label names a class (in --out or "
                                           "built in) becomes another performance of it; others new "
                                           "templates.")] = False,
) -> None:
    """Import labelled mocap as templates: each labelled segment is retargeted onto the canonical rig by the
    add-on in background Blender and exported, as a new template or as another performance of an existing
    class; rows that cannot be are reported with the reason."""
    import dataclasses
    import shutil
    import tempfile

    from render_farm.templates.bvh_cut import BvhSegmentError, cut_segment
    from render_farm.templates.mocap import MocapLabelsError, check_joint_map_file, read_descriptions, read_labels_csv

    if (labels is None) == (descriptions is None):
        fail("give exactly one of --labels (a CSV) and --descriptions (a CMU-style descriptions file)")
        return
    if not folder.is_dir():
        fail(f"{folder}: BVH folder not found")
        return
    try:
        segments, skipped = (read_labels_csv(folder, labels) if labels is not None
                             else read_descriptions(folder, descriptions))
    except MocapLabelsError as exc:
        fail(str(exc))
        return
    maps = {"cmu": ("CMU", ""), "mixamo": ("MIXAMO", "")}
    if joint_map.lower() in maps:
        map_kind, map_file = maps[joint_map.lower()]
    elif Path(joint_map).is_file():
        map_kind, map_file = "CUSTOM", str(Path(joint_map).resolve())
        try:
            check_joint_map_file(Path(map_file))
        except MocapLabelsError as exc:
            fail(f"--joint-map: {exc}")
            return
    else:
        fail(f"--joint-map: {joint_map!r} is neither cmu, mixamo nor a joint map file")
        return
    out = (out or folder / "templates").resolve()
    if out.exists() and not out.is_dir():
        fail(f"--out: {out} is a file, not a template folder")
        return
    if add_to is not None or by_label:
        from render_farm.templates import BUILTIN_DIR
        from render_farm.templates.mocap import as_performances

        classes = {p.stem for p in out.glob("*.json")} | {p.stem for p in BUILTIN_DIR.glob("*.json")}
        if add_to is not None and add_to not in classes:
            fail(f"--add-to: no class {add_to!r} in {out} or the built-in library")
            return
        segments = as_performances(segments, classes, add_to)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".synthact-probe-")  # noqa: SIM115 - closed below
        probe.close()
    except OSError as exc:
        fail(f"--out: {exc.filename or out}: cannot write the template folder ({exc.strerror})")
        return
    if add_to is not None or by_label:
        for target in sorted({s.template_id for s in segments if s.performance}):
            if not (out / f"{target}.json").is_file():  # a built-in class: the user's copy is extended
                shutil.copyfile(BUILTIN_DIR / f"{target}.json", out / f"{target}.json")
    rows = [(s.row, s.file, "", "skipped", s.reason) for s in skipped]
    # SIGTERM and SIGHUP (a closed terminal) end the import like Ctrl-C: Blender is stopped and the
    # temporary folder (the segment list, the cut segments) removed on the way out.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    try:
        with tempfile.TemporaryDirectory(prefix="synthact-import-") as tmp:
            cut = []
            with _passing_bar() as progress:
                task = progress.add_task("reading mocap segments", total=len(segments))
                for s in segments:
                    try:
                        piece = cut_segment(Path(s.file), s.start_frame, s.end_frame, Path(tmp) / f"{s.row}.bvh")
                        cut.append(dataclasses.replace(s, bvh=str(piece.path)))
                    except BvhSegmentError as exc:
                        rows.append((s.row, s.file, s.template_id, "skipped", str(exc)))
                    progress.advance(task)
            if cut:  # else every row was refused before Blender would start
                options = ["--joint-map", map_kind, "--map-file", map_file, "--min-frames", str(min_frames),
                           "--max-skate", str(max_skate)]
                rows += _batch_import(cut, out, Path(tmp), options)
    except KeyboardInterrupt:
        fail("interrupted: the templates exported so far are in place, nothing temporary is left", 130)
    rows.sort()
    imported = [r for r in rows if r[3] == "imported"]
    for row, file, _, status, reason in rows:
        if status != "imported":
            console.print(f"skipped row {row} ({file}): {reason}", highlight=False, markup=False, soft_wrap=True)
    if not imported:
        fail(f"no template imported from {len(rows)} row(s)", 1)
        return
    added = sum(1 for r in imported if any(s.row == r[0] and s.performance for s in segments))
    what = f"{len(imported) - added} template(s)" + (f" and {added} performance(s)" if added else "")
    console.print(f"imported {what} into {out}; skipped {len(rows) - len(imported)} row(s)",
                  highlight=False, markup=False, soft_wrap=True)


def _batch_import(segments: list, out: Path, tmp: Path, options: list[str]) -> list[tuple]:
    """Run blender_addon.batch_import on the cut segments; its rows. Blender is killed if this is interrupted."""
    import os
    import subprocess


    listing = tmp / "segments.json"
    listing.write_text(json.dumps([s.as_dict() for s in segments]), encoding="utf-8")
    rows = []
    with _passing_bar() as progress:
        task = progress.add_task("importing mocap segments", total=len(segments))
        scratch = tmp / "blender"  # Blender's own temporary files go where ours are removed, even when it is killed
        scratch.mkdir()
        proc = subprocess.Popen([sys.executable, "-m", "blender_addon.batch_import", str(listing), str(out), *options],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "TMPDIR": str(scratch)})
        try:
            for line in proc.stdout:
                if line.startswith("{"):
                    r = json.loads(line)
                    rows.append((r["row"], r["file"], r["template_id"], r["status"], r["reason"]))
                    progress.advance(task)
            err = proc.stderr.read()
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        fail(f"mocap import stopped in Blender: {(err.strip().splitlines() or ['no message'])[-1]}")
    return rows


@templates_app.command("validate")
def templates_validate(paths: Annotated[list[Path], typer.Argument(help="Template JSON files.")]) -> None:
    """Check template files against the schema; exits non-zero on the first bad one."""
    from render_farm.core.template.model import load_template

    for p in paths:
        t = load_template(p)
        console.print(f"ok {p} ({t.id}, {t.frame_count} frames)", highlight=False, markup=False, soft_wrap=True)


@templates_app.command("schema")
def templates_schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the template JSON Schema."""
    from render_farm.core.template.model import template_json_schema

    text = json.dumps(template_json_schema(), indent=2) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@assets_app.command("check")
def assets_check(
    manifest: Annotated[Path, typer.Option(help="Assets manifest.")] = Path("assets_manifest.yaml"),
) -> None:
    """Verify every asset in the manifest: present, and matching its checksum."""
    from render_farm.assets import check_assets

    problems, checked = check_assets(manifest)
    for p in problems:
        console.print(f"[red]{escape(p)}[/red]", highlight=False)
    if problems:
        fail(f"{len(problems)} asset problem(s) in {manifest}", 1)
    console.print(f"{checked} assets ok", highlight=False, markup=False)


@assets_app.command("list")
def assets_list(
    config: Annotated[Path | None, typer.Option("--config", help="Also list the image folders this dataset "
                                                "config names.")] = None,
    manifest: Annotated[Path, typer.Option(help="Assets manifest.")] = Path("assets_manifest.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list instead of a table.")] = False,
) -> None:
    """Every asset a dataset may use: id, kind, licence and where it is on this machine (the manifest's,
    then the user's image folders a config names)."""
    from render_farm.assets import inventory
    from render_farm.core.plan.config import load_config

    rows = inventory(manifest, load_config(config) if config is not None else None)
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump() for r in rows], indent=1) + "\n")
        return
    table = Table("id", "kind", "licence", "where")
    for r in rows:
        table.add_row(r.id, r.kind, r.licence, r.path + (f" ({r.files} images)" if r.files is not None else ""))
    console.print(table)


@assets_app.command("refresh")
def assets_refresh(
    manifest: Annotated[Path, typer.Option(help="Assets manifest.")] = Path("assets_manifest.yaml"),
) -> None:
    """Update the checksums of assets authored in this repository (templates) after editing them."""
    from render_farm.assets import refresh_repo_checksums

    changed = refresh_repo_checksums(manifest)
    console.print(f"updated {len(changed)} checksum(s): {', '.join(changed) or 'none'}", highlight=False,
                  markup=False)


@addon_app.command("build")
def addon_build(
    out: Annotated[Path, typer.Option("--out", help="Folder for the zip.")] = Path("dist"),
) -> None:
    """Write the installable add-on zip (Blender 4.2+: Install from Disk, or `blender --command extension
    install-file`)."""
    from render_farm.addon_package import build_addon

    path = build_addon(out)
    sys.stdout.write(f"{path}\n")


def main() -> None:
    """The `synthact` command. Every user mistake and broken input the farm detects is a SynthActError: it
    ends here, printed as one line, exit code 2 (commands raise it and need no handler of their own)."""
    try:
        app()
    except SynthActError as exc:
        try:
            fail(str(exc))
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
