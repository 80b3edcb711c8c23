"""One job into its clip, passes and label in the output folder, whichever Blender renders its frames.

The renderer (the `bpy` module in this process, or a Blender application beside it:
executors/blender_process.py) is given the job, its resolved ClipSpec and its bodies, and hands back
each frame as a file and the frames' truths at the end. Everything that needs this environment's
packages happens here: resolving the job, encoding the clip (ffmpeg), the label (pydantic), the
journal, and the write-to-a-temporary-then-rename of every file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from render_farm.bodies.baked.body import BakedBody, cached_body
from render_farm.bodies.baked.cache import body_path
from render_farm.core.label import journal
from render_farm.core.label.integrity import clip_file
from render_farm.core.label.labels import make_label
from render_farm.core.plan.jobs import Job, job_line
from render_farm.core.scene.clip_spec import resolve
from render_farm.core.scene.spec import ClipSpec, RenderedFrames
from render_farm.core.template.model import load_template
from render_farm.dataset.folder import scratch_dir
from render_farm.video import ClipEncoder, read_bmp
from synthact.atomic import partial_path, replaced_on_success, write_json_atomic


@dataclass(frozen=True)
class ClipWork:
    """What a renderer is asked to render for one job."""

    job: Job
    spec: ClipSpec
    body: Path  # baked body files
    partner_body: Path | None
    scratch: Path  # a private folder for its frame files, removed afterwards
    threads: int = 1
    device: str = "cpu"
    slot: int = 0


class Renderer(Protocol):
    """Renders `work`, calling `deliver(k, path)` with each finished frame's file and `on_pass_frame(k)` as
    each frame of the passes is done."""

    def __call__(self, work: ClipWork, deliver: Callable[[int, Path], None],
                 on_pass_frame: Callable[[int], None] | None) -> RenderedFrames: ...


def prepare(job: Job, out_dir: Path, body_dir: Path) -> tuple[ClipSpec, BakedBody, BakedBody | None]:
    """The job's ClipSpec and bodies (the template from OUT/templates, the bodies from the cache)."""
    template = load_template(out_dir / "templates" / f"{job.template_id}.json")
    body = cached_body(body_path(body_dir, job.body))
    partner = cached_body(body_path(body_dir, job.partner.body)) if job.partner is not None else None
    spec = resolve(job, template, body.rest_joints, partner.rest_joints if partner else None)
    return spec, body, partner


def write_passes(path: Path, passes: dict[str, np.ndarray]) -> None:
    """mask: uint8 (T, H, W), 1 on the person; depth: float16 (T, H, W) metres, 0 where nothing is hit."""
    with replaced_on_success(path, binary=True) as f:
        np.savez_compressed(f, **passes)


def produce_clip(job: Job, out_dir: Path, body_dir: Path, renderer: Renderer, threads: int = 1,
                 device: str = "cpu", slot: int = 0, on_frame: Callable[[int], None] | None = None) -> dict:
    """Render one job into OUT/clip_path, its passes and OUT/label_path; returns its stats. `on_frame(k)` is
    called as each frame (and each frame of the passes) is done.

    The clip is encoded under a temporary name and renamed when complete; the label is written last, so a
    clip with a label is always whole.
    """
    out_dir, body_dir = Path(out_dir), Path(body_dir)
    t0 = time.perf_counter()
    spec, body, partner = prepare(job, out_dir, body_dir)
    prepare_s = time.perf_counter() - t0
    clip = out_dir / job.clip_path
    clip.parent.mkdir(parents=True, exist_ok=True)
    tmp_clip = partial_path(clip)  # ffmpeg writes it; renamed below when whole
    encoder = ClipEncoder(tmp_clip, job.render.width, job.render.height, job.render.fps)
    stream_s = 0.0

    def deliver(k: int, frame_file: Path) -> None:
        nonlocal stream_s
        t = time.perf_counter()
        encoder.write(read_bmp(frame_file))
        frame_file.unlink()
        stream_s += time.perf_counter() - t
        if on_frame is not None:
            on_frame(k)

    try:
        with scratch_dir() as scratch:
            work = ClipWork(job, spec, body_path(body_dir, job.body),
                            body_path(body_dir, job.partner.body) if job.partner is not None else None,
                            Path(scratch), threads, device, slot)
            rendered = renderer(work, deliver, on_frame)
        if len(rendered.truths) != job.render.frames:
            raise RuntimeError(f"the renderer returned {len(rendered.truths)} frames of {job.render.frames}")
        if rendered.passes:
            write_passes(out_dir / job.passes_path, rendered.passes)
        t = time.perf_counter()
        encoder.close()
        encode_finish_s = time.perf_counter() - t
        written = clip_file(tmp_clip)  # the mtime survives the rename
        os.replace(tmp_clip, clip)
    except BaseException:
        encoder.abort()
        tmp_clip.unlink(missing_ok=True)
        raise
    timings = rendered.timings
    stats = {
        "build_s": round(prepare_s + timings["build_s"], 4),
        "render_s": round(timings["render_s"], 4),
        "encode_s": round(stream_s + encode_finish_s, 4),
        "annotate_s": round(timings["annotate_s"], 4),
        "passes_s": round(timings["passes_s"], 4),
        "total_s": round(time.perf_counter() - t0, 4),
        "peak_rss_mb": rendered.peak_rss_mb,
        "worker_pid": rendered.pid,  # which process rendered it: shows recycling in a dataset's labels
    }
    label = make_label(job, spec, stats, rendered.truths, body.keypoint_names, render_device=rendered.device,
                       partner_truths=rendered.partner_truths, clip_file=written, renderer=rendered.renderer)
    try:
        write_json_atomic(label.model_dump(mode="json"), out_dir / job.label_path)
    except BaseException:
        clip.unlink(missing_ok=True)  # a clip without its label is never left behind (a full disk, say)
        raise
    try:
        journal.append_entry(out_dir, journal.line_digest(job_line(job).encode("utf-8")), job.label_path,
                             job.clip_path)
    except OSError:
        pass  # the entry only spares a resume from reading this label: without one the label is checked
    return {**stats, "device": rendered.device}
