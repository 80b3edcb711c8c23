"""A plan's text, produced in chunks of jobs: in this process for small plans, by a pool of processes for
large ones (sampling is pure Python, about 100 us a job; a million jobs on one core take minutes).

Chunks come back in plan order, so the text is the same byte for byte whatever the number of processes,
and only the chunks in flight are ever in memory.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator

from render_farm.core.plan.config import DatasetConfig
from render_farm.core.plan.jobs import job_line
from render_farm.core.plan.planner import PlanSummary, plan_identity, render_params, sample_job, val_clips
from render_farm.core.template.model import ActionTemplate

CHUNK_JOBS = 2000
PARALLEL_FROM = 20_000  # below this a pool costs more to start (about 0.5 s) than it saves

_plan: dict = {}  # this process's config, templates and shared render settings (set by _use)


def _use(config: DatasetConfig, templates: dict[str, ActionTemplate], quiet: bool = False) -> None:
    if quiet:  # a pool process: Ctrl-C is the parent's to handle (it terminates the pool)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _plan.update(config=config, templates=templates, render=render_params(config), plan_id=plan_identity(config))
    _val_clips.cache_clear()


@functools.lru_cache(maxsize=4)
def _val_clips(action_id: str) -> frozenset[int]:
    return frozenset(val_clips(_plan["config"], action_id))


def _chunk(task: tuple[int, int, int, bool]) -> tuple[str, PlanSummary | None]:
    class_index, start, stop, summarize = task
    config, render, plan_id = _plan["config"], _plan["render"], _plan["plan_id"]
    action_id = config.actions[class_index]
    template, val = _plan["templates"][action_id], _val_clips(action_id)
    summary = PlanSummary() if summarize else None
    lines = []
    for clip_index in range(start, stop):
        split = "val" if clip_index in val else "train"
        job = sample_job(config, template, class_index, clip_index, split, render, plan_id)
        lines.append(job_line(job))
        if summary is not None:
            summary.add(job)
    return "".join(lines), summary


def _tasks(config: DatasetConfig, summarize: bool) -> Iterator[tuple[int, int, int, bool]]:
    n = config.clips_per_action
    for class_index in range(len(config.actions)):
        for start in range(0, n, CHUNK_JOBS):
            yield class_index, start, min(n, start + CHUNK_JOBS), summarize


def default_processes(config: DatasetConfig) -> int:
    jobs = len(config.actions) * config.clips_per_action
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if jobs < PARALLEL_FROM else max(1, min(cores, jobs // CHUNK_JOBS))


def plan_text(config: DatasetConfig, templates: Iterable[ActionTemplate], summary: PlanSummary | None = None,
              processes: int | None = None) -> Iterator[str]:
    """The plan's lines in chunks, in plan order; `summary`, when given, accumulates every job."""
    by_id = {t.id: t for t in templates}
    processes = processes or default_processes(config)
    tasks = _tasks(config, summary is not None)
    if processes <= 1:
        _use(config, by_id)
        results: Iterator = map(_chunk, tasks)
        yield from _merged(results, summary)
        return
    ctx = multiprocessing.get_context("spawn")  # the caller may hold threads (a progress bar)
    with ctx.Pool(processes, initializer=_use, initargs=(config, by_id, True)) as pool:
        yield from _merged(pool.imap(_chunk, tasks), summary)


def _merged(results: Iterable[tuple[str, PlanSummary | None]], summary: PlanSummary | None) -> Iterator[str]:
    for text, part in results:
        if summary is not None and part is not None:
            summary.merge(part)
        yield text
