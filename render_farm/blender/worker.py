"""The Blender worker: renders jobs into clips and labels, nothing else.

Runs two ways:
- in-process with the `bpy` module (the local process pool calls `render_job`);
- as `blender -b --python render_farm/blender/worker.py -- --jobs JOBS.jsonl --out DIR
  --bodies DIR [--job JOB_ID ...]` with a Blender installation's own Python, which
  needs the project (and its Python dependencies, via SYNTHACT_SITE_PACKAGES) on
  sys.path.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # under `blender --python`, make the project importable first
    _root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for _p in [os.environ.get("SYNTHACT_SITE_PACKAGES", ""), _root]:
        if _p and _p not in sys.path:
            sys.path.insert(0, _p)

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402,F811
import resource  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import bpy  # noqa: E402
import numpy as np  # noqa: E402

from render_farm.blender import camera, lighting, materials, props, scene  # noqa: E402
from render_farm.blender.annotate import FrameScene, frame_truth  # noqa: E402
from render_farm.blender.body import build_actor  # noqa: E402
from render_farm.blender.devices import select_device  # noqa: E402
from render_farm.blender.passes import PassRenderer  # noqa: E402
from render_farm.blender.render import Cast, apply_frame, render_frames  # noqa: E402
from render_farm.bodies.baked.body import load_body  # noqa: E402
from render_farm.bodies.baked.cache import body_path  # noqa: E402
from render_farm.core.label import journal  # noqa: E402
from render_farm.core.label.integrity import clip_file  # noqa: E402
from render_farm.core.label.labels import make_label  # noqa: E402
from render_farm.core.plan.jobs import Job, job_line  # noqa: E402
from render_farm.core.scene.clip_spec import resolve  # noqa: E402
from render_farm.core.template.model import load_template  # noqa: E402
from render_farm.dataset.folder import scratch_dir  # noqa: E402
from render_farm.video import ClipEncoder  # noqa: E402
from synthact.atomic import partial_path, replaced_on_success, write_json_atomic  # noqa: E402


@functools.lru_cache(maxsize=4)
def _body(path: Path):
    """Baked bodies are named by their content key, so a worker process can keep the last few it used."""
    return load_body(path)


def build_scene(job: Job, out_dir: Path, body_dir: Path, threads: int, device: str = "cpu", slot: int = 0):
    template = load_template(out_dir / "templates" / f"{job.template_id}.json")
    body = _body(body_path(body_dir, job.body))
    partner_body = _body(body_path(body_dir, job.partner.body)) if job.partner is not None else None
    spec = resolve(job, template, body.rest_joints, partner_body.rest_joints if partner_body else None)
    sc = scene.reset()
    scene.configure(sc, job.render, threads)
    used, note = select_device(sc, device, slot) if job.render.engine == "cycles" else ("CPU", "")
    if note:
        print(f"synthact worker: {note}", file=sys.stderr, flush=True)
    sc["synthact_device"] = used
    material = materials.actor_material(job.appearance.pattern_scale, job.appearance.textures)
    cast = Cast(build_actor(body, job.appearance, material))
    if job.partner is not None:
        look = job.partner.appearance
        cast.partner = build_actor(partner_body, look, materials.actor_material(look.pattern_scale, look.textures),
                                   name="partner")
    cast.props = props.held_props(spec.props, job.prop_colors)
    materials.ground(job.appearance.ground, job.scene.ground)
    lighting.importance_map(lighting.world(job.lighting, job.scene), job.render.world_map)
    lighting.sun(job.lighting)
    lighting.area_lights(job.scene.area_lights, target=spec.joints_3d[:, 0].mean(axis=0))
    props.distractors(job.scene.distractors)
    camera.camera(spec.cameras[0])
    return sc, cast, spec, body, partner_body


def write_passes(path: Path, passes: dict[str, np.ndarray], wanted: list[str]) -> None:
    """mask: uint8 (T, H, W), 1 on the person; depth: float16 (T, H, W) metres, 0 where nothing is hit."""
    arrays = {}
    if "mask" in wanted:
        arrays["mask"] = passes["mask"].astype(np.uint8)
    if "depth" in wanted:
        arrays["depth"] = passes["depth"].astype(np.float16)
    with replaced_on_success(path, binary=True) as f:
        np.savez_compressed(f, **arrays)


def render_job(job: Job, out_dir: Path, body_dir: Path, threads: int = 1, device: str = "cpu",
               slot: int = 0, on_frame: Callable[[int], None] | None = None) -> dict:
    """Render one job into OUT/clip_path and OUT/label_path; returns timings. `on_frame(k)` is called as
    each frame (and each frame of the passes) is done.

    The clip is encoded under a temporary name and renamed when complete; the label
    is written last, so a clip with a label is always whole.
    """
    out_dir, body_dir = Path(out_dir), Path(body_dir)
    t0 = time.perf_counter()
    sc, cast, spec, body, partner_body = build_scene(job, out_dir, body_dir, threads, device, slot)
    build_s = time.perf_counter() - t0
    clip = out_dir / job.clip_path
    clip.parent.mkdir(parents=True, exist_ok=True)
    tmp_clip = partial_path(clip)  # ffmpeg writes it; renamed below when whole
    encoder = ClipEncoder(tmp_clip, job.render.width, job.render.height, job.render.fps)
    try:
        with scratch_dir() as scratch:
            frame = FrameScene(sc)

            def annotate(k: int):
                frame.evaluate()
                truth = frame_truth(frame, cast.actor, body, spec.cameras[k], spec.joints_3d[k])
                if cast.partner is None:
                    return truth, None
                return truth, frame_truth(frame, cast.partner, partner_body, spec.cameras[k],
                                          spec.partner.joints_3d[k])

            timings, truths = render_frames(sc, cast, spec, encoder, Path(scratch), annotate=annotate,
                                            on_frame=on_frame)
            timings["passes_s"] = 0.0
            if job.render.passes:
                t = time.perf_counter()

                def pose(k: int) -> None:
                    apply_frame(sc, cast, spec, k)
                    if on_frame is not None:
                        on_frame(k)

                masks, depths = PassRenderer(sc, cast.meshes, Path(scratch)).render_all(job.render.frames, pose)
                write_passes(out_dir / job.passes_path, {"mask": masks, "depth": depths}, job.render.passes)
                timings["passes_s"] = time.perf_counter() - t
        t = time.perf_counter()
        encoder.close()
        timings["encode_finish_s"] = time.perf_counter() - t
        written = clip_file(tmp_clip)  # the mtime survives the rename
        os.replace(tmp_clip, clip)
    except BaseException:
        encoder.abort()
        tmp_clip.unlink(missing_ok=True)
        raise
    stats = {
        "build_s": round(build_s, 4),
        "render_s": round(timings["render_s"], 4),
        "encode_s": round(timings["stream_s"] + timings["encode_finish_s"], 4),
        "annotate_s": round(timings["annotate_s"], 4),
        "passes_s": round(timings["passes_s"], 4),
        "total_s": round(time.perf_counter() - t0, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "worker_pid": os.getpid(),  # which process rendered it: shows recycling in a dataset's labels
    }
    partner_truths = [t[1] for t in truths] if cast.partner is not None else None
    label = make_label(job, spec, stats, [t[0] for t in truths], body.keypoint_names,
                       render_device=sc["synthact_device"], partner_truths=partner_truths, clip_file=written)
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
    return {**stats, "device": sc["synthact_device"]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="worker.py", description="Render SynthAct jobs with Blender.")
    parser.add_argument("--jobs", required=True, type=Path, help="jobs.jsonl from `synthact plan`")
    parser.add_argument("--out", required=True, type=Path, help="dataset output folder")
    parser.add_argument("--bodies", required=True, type=Path, help="folder of baked bodies")
    parser.add_argument("--job", action="append", default=[], help="render only this job id (repeatable)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, auto, optix or cuda (Cycles)")
    parser.add_argument("--gpu", type=int, default=0, help="which GPU of the kind, from 0")
    args = parser.parse_args(argv)
    wanted = set(args.job)
    failed = 0
    for line in args.jobs.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        job = Job.model_validate(json.loads(line))
        if wanted and job.job_id not in wanted:
            continue
        try:
            stats = render_job(job, args.out, args.bodies, args.threads, args.device, args.gpu)
            print(f"synthact-worker: {job.job_id} ok {json.dumps(stats)}", flush=True)
        except Exception as exc:  # report and go on with the other jobs
            failed += 1
            print(f"synthact-worker: {job.job_id} FAILED {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    code = main(argv)
    if bpy.app.background:
        sys.exit(code)
