"""The worker with the `bpy` module in this process: renders jobs into clips and labels, nothing else.

The local pool, Ray tasks and Slurm shards call `render_job`; inside a Blender application the same
scene code runs through blender/serve.py instead (executors/blender_process.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from render_farm.blender.clip import build_scene as build_clip_scene
from render_farm.blender.clip import render_clip
from render_farm.bodies.baked.body import cached_body
from render_farm.core.plan.jobs import Job
from render_farm.core.scene.spec import RenderedFrames
from render_farm.dataset.clip_job import ClipWork, prepare, produce_clip


def render_in_process(work: ClipWork, deliver: Callable[[int, Path], None],
                      on_pass_frame: Callable[[int], None] | None) -> RenderedFrames:
    """The renderer of produce_clip that is the `bpy` module in this process."""
    return render_clip(work.job, work.spec, cached_body(work.body),
                       cached_body(work.partner_body) if work.partner_body else None, work.scratch, deliver,
                       work.threads, work.device, work.slot, on_pass_frame)


def build_scene(job: Job, out_dir: Path, body_dir: Path, threads: int, device: str = "cpu", slot: int = 0):
    """The scene of `job` at its first frame, for tests and benchmarks: (scene, cast, spec, body, partner body)."""
    spec, body, partner = prepare(job, Path(out_dir), Path(body_dir))
    sc, cast = build_clip_scene(job, spec, body, partner, threads, device, slot)
    return sc, cast, spec, body, partner


def render_job(job: Job, out_dir: Path, body_dir: Path, threads: int = 1, device: str = "cpu",
               slot: int = 0, on_frame: Callable[[int], None] | None = None) -> dict:
    """Render one job into OUT/clip_path and OUT/label_path (dataset/clip_job.py); returns its stats."""
    return produce_clip(job, out_dir, body_dir, render_in_process, threads, device, slot, on_frame)
