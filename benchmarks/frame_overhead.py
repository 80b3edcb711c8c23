"""Where a frame's time goes, outside and inside path tracing (issue 15).

    python benchmarks/frame_overhead.py [--samples 1] [--size 224] [--frames 24] [--threads 1] [--device cpu]

Renders one clip's frames exactly as the worker does (the same scene build, pose, render call, BMP readback,
encoder hand-off and annotation) and splits each frame's render call into Cycles' own stages, timed from
Blender's render-stats callbacks (`bpy.app.handlers.render_stats`: each stage's message arrives as it
starts): object sync (the armature-deformed body evaluated and exported), scene update (shaders, lights,
images, film), BVH build and copy, sampling (path tracing, plus denoising where on), finishing (writing the
frame file). Run twice side by side, with and without the denoiser, the difference is the denoiser.
Times are means over the frames after the first two (the first builds the persistent scene).
Then the per-clip scene build, split into its parts, over default jobs of six actions (`--build-clips`), and
the whole build on the same jobs side by side with the build before issue 15's cuts (the factory reset, the
strands' styling applied by Blender's conversion).
Annotation is timed both ways on every frame, the worker's (numpy visibility over the evaluated triangles)
and the one before it (one `scene.ray_cast` per point), and what they disagree on is counted (visibility
flags, boxes, keypoints).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STAGES = ("pose", "object sync", "scene update", "bvh", "sampling", "finishing", "readback", "encode", "annotate",
          "annotate_ray_cast")


def stage_of(message: str) -> str:
    if "Synchronizing object" in message:
        return "object sync"
    if "BVH" in message:
        return "bvh"
    if "| Sample " in message:
        return "sampling"
    if message.startswith("Time:") or "| Finished" in message:
        return "finishing"
    return "scene update"


def profile(denoise: bool, args) -> dict[str, float]:
    import bpy

    from render_farm.blender import worker
    from render_farm.blender.annotate import FrameScene, frame_truth
    from render_farm.blender.devices import select_device
    from render_farm.blender.render import apply_frame
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.video import ClipEncoder, read_bmp
    from tests.blender.test_blender_worker import make_jobs

    tmp = Path(tempfile.mkdtemp(prefix="frame-overhead-"))
    job = make_jobs(tmp, ["walk"], engine="cycles", frames=args.frames, size=(args.size, args.size),
                    samples=args.samples)[0]
    job = job.model_copy(update={"render": job.render.model_copy(update={"denoise": denoise})})
    if args.hair != "job":  # the job's outfit with mesh hair or none, to see what the strands cost
        outfit = job.appearance.outfit.model_copy(
            update={"hair_geometry": "mesh"} if args.hair == "mesh" else {"hair": "none"})
        job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    sc, cast, spec, body, _ = worker.build_scene(job, tmp, default_cache_dir(), threads=args.threads,
                                                device=args.device)
    select_device(sc, args.device)
    if args.bvh:
        sc.cycles.debug_bvh_type = args.bvh
    events: list[tuple[float, str]] = []
    handler = lambda stats: events.append((time.perf_counter(), stats))  # noqa: E731
    bpy.app.handlers.render_stats.append(handler)
    sc.render.image_settings.file_format = "BMP"
    sc.render.image_settings.color_mode = "RGB"
    frame_file = tmp / "frame.bmp"
    sc.render.filepath = str(frame_file)
    encoder = ClipEncoder(tmp / "clip.mp4", args.size, args.size, job.render.fps)
    per_frame = []
    frame = FrameScene(sc)
    disagreements = 0
    try:
        for k in range(args.frames):
            events.clear()
            times = dict.fromkeys(STAGES, 0.0)
            t = time.perf_counter()
            apply_frame(sc, cast, spec, k)
            t_render = time.perf_counter()
            times["pose"] = t_render - t
            bpy.ops.render.render(write_still=True)
            t_done = time.perf_counter()
            marks = [(t_render, "scene update")] + [(te, stage_of(m)) for te, m in events] + [(t_done, "")]
            for (a, stage), (b, _) in zip(marks, marks[1:], strict=False):
                times[stage] += b - a
            t = time.perf_counter()
            pixels = read_bmp(frame_file)
            times["readback"] = time.perf_counter() - t
            t = time.perf_counter()
            encoder.write(pixels)
            times["encode"] = time.perf_counter() - t
            # The labels both ways, each after the pose is set again (so each pays the depsgraph's deform),
            # the order alternating: numpy visibility (the worker's) and one scene.ray_cast per point (before).
            truths = {}
            for way in (("annotate", "annotate_ray_cast") if k % 2 else ("annotate_ray_cast", "annotate")):
                apply_frame(sc, cast, spec, k)
                t = time.perf_counter()
                if way == "annotate":
                    truths[way] = frame_truth(frame.evaluate(), cast.actor, body, spec.cameras[k], spec.joints_3d[k])
                else:
                    truths[way] = ray_cast_truth(sc, cast.actor, body, spec.cameras[k], spec.joints_3d[k])
                times[way] = time.perf_counter() - t
            a, b = truths["annotate"], truths["annotate_ray_cast"]
            disagreements += int((a.joint_visible != b.joint_visible).sum()
                                 + (a.keypoint_visible != b.keypoint_visible).sum()
                                 + (a.bbox != b.bbox) + (not np.array_equal(a.keypoints_3d, b.keypoints_3d)))
            per_frame.append(times)
    finally:
        encoder.close()
        bpy.app.handlers.render_stats.remove(handler)
    steady = per_frame[2:]
    means = {s: round(float(np.mean([f[s] for f in steady])) * 1e3, 2) for s in STAGES}
    return {**means, "visibility_disagreements": disagreements}


def ray_cast_truth(sc, actor, body, camera, joints):
    """The labels as the worker made them before issue 15's numpy visibility: the evaluated meshes read through
    `to_mesh` and one `scene.ray_cast` per joint and keypoint."""
    import bpy

    from render_farm.blender.annotate import (
        SELF_SURFACE_M,
        FrameTruth,
        _evaluated,
        keypoint_tolerance,
        ray_cast_visible,
    )

    bpy.context.view_layer.update()
    verts = _evaluated(actor.mesh)
    outline = np.concatenate([verts] + [_evaluated(p) for p in actor.pieces])
    uv, depth = camera.project(outline)
    uv = uv[depth > 0]
    box = (*np.clip(uv.min(axis=0), 0, [camera.width, camera.height]),
           *np.clip(uv.max(axis=0), 0, [camera.width, camera.height]))
    keypoints = body.keypoint_weights.astype(np.float64) @ verts
    return FrameTruth(bbox=tuple(float(x) for x in box), keypoints_3d=keypoints,
                      joint_visible=ray_cast_visible(sc, camera, joints, np.full(len(joints), SELF_SURFACE_M)),
                      keypoint_visible=ray_cast_visible(sc, camera, keypoints, keypoint_tolerance(body.keypoint_names)))


# The parts of a clip's scene build, timed where the worker calls them (module attribute, what is timed).
BUILD_PARTS = (("render_farm.blender.scene", "reset", "factory reset"),
               ("render_farm.blender.worker", "resolve", "clip spec"),
               ("render_farm.blender.body", "outfit_pieces", "outfit geometry (numpy)"),
               ("render_farm.blender.body", "strand_guides", "strand hair guides (numpy)"),
               ("render_farm.blender.body", "_add_weights", "vertex groups"),
               ("render_farm.blender.hair", "grow_hair", "strand hair (with keep_still)"),
               ("render_farm.blender.hair", "keep_still", "strand hair: styling applied"),
               ("render_farm.blender.worker", "build_actor", "actors (body, outfit, hair)"),
               ("render_farm.blender.props", "distractors", "distractors"),
               ("render_farm.blender.lighting", "importance_map", "world light's map"))


def build_profile(jobs_per_action: int) -> dict[str, float]:
    """Mean ms per clip of each part of the scene build, over default jobs of six actions (two-person and
    held-prop ones among them), after one warm-up build."""
    import functools
    import importlib

    from render_farm.blender import worker
    from render_farm.bodies.baked.cache import default_cache_dir
    from tests.blender.test_blender_worker import make_jobs

    tmp = Path(tempfile.mkdtemp(prefix="frame-overhead-build-"))
    jobs = make_jobs(tmp, ["walk", "wave", "squat", "kick", "handshake", "pass_object"], engine="cycles",
                     frames=16, size=(224, 224), samples=1, clips=jobs_per_action)
    spent: dict[str, float] = {}
    for module_name, attr, label in BUILD_PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, attr)

        def timed(*a, _f=original, _label=label, **k):
            t = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t

        setattr(module, attr, functools.wraps(original)(timed))
    worker.build_scene(jobs[0], tmp, default_cache_dir(), threads=1)
    spent.clear()
    t = time.perf_counter()
    for job in jobs:
        worker.build_scene(job, tmp, default_cache_dir(), threads=1)
    total = time.perf_counter() - t
    out = {label: round(spent.get(label, 0.0) / len(jobs) * 1e3, 1) for _, _, label in BUILD_PARTS}
    for module_name, attr, _ in BUILD_PARTS:  # the parts untimed again for the comparison below
        module = importlib.import_module(module_name)
        setattr(module, attr, getattr(module, attr).__wrapped__)
    now, before = build_before_and_now(jobs, tmp)
    return {"clips": len(jobs), "build_ms_per_clip": round(total / len(jobs) * 1e3, 1), **out,
            "side_by_side": {"build_ms_per_clip_now": now, "build_ms_per_clip_before": before,
                             "ratio": round(now / before, 2)}}


def build_before_and_now(jobs, tmp) -> tuple[float, float]:
    """Mean ms per clip of the whole scene build, now and as it was before the scene reset kept the preferences,
    the strands' styling was copied out of the depsgraph and the meshes and skin weights went in through
    attributes (the factory reset, the styling applied by Blender's conversion, meshes built element by element,
    the weights added value by value), on the same jobs, the order alternating job by job."""
    from unittest import mock

    from render_farm.blender import body, hair, scene, worker
    from render_farm.bodies.baked.cache import default_cache_dir
    from tests.blender.test_blender_worker import (
        _keep_still_by_conversion,
        _reset_by_factory_settings,
        _triangles_per_element,
        _weights_value_by_value,
    )

    spent = {"now": 0.0, "before": 0.0}
    for i, job in enumerate(jobs):
        for way in ("now", "before") if i % 2 else ("before", "now"):
            with mock.patch.object(scene, "reset", _reset_by_factory_settings if way == "before" else scene.reset), \
                    mock.patch.object(hair, "keep_still", _keep_still_by_conversion if way == "before" else
                                      hair.keep_still), \
                    mock.patch.object(body, "_add_weights", _weights_value_by_value if way == "before" else
                                      body._add_weights), \
                    mock.patch.object(body, "_triangles", _triangles_per_element if way == "before" else
                                      body._triangles):
                t = time.perf_counter()
                worker.build_scene(job, tmp, default_cache_dir(), threads=1)
                spent[way] += time.perf_counter() - t
    return round(spent["now"] / len(jobs) * 1e3, 1), round(spent["before"] / len(jobs) * 1e3, 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--hair", choices=("job", "mesh", "none"), default="job",
                    help="the job's hair (strands by default), mesh hair, or none")
    ap.add_argument("--bvh", choices=("STATIC_BVH", "DYNAMIC_BVH"), default=None,
                    help="Cycles' BVH type (default: what the worker sets)")
    ap.add_argument("--build-clips", type=int, default=2, help="clips per action for the scene-build profile")
    args = ap.parse_args()
    with_denoise, without = profile(True, args), profile(False, args)
    outside = ("pose", "object sync", "scene update", "bvh", "finishing", "readback", "encode")
    result = {
        "settings": vars(args),
        "ms_per_frame_denoised": with_denoise,
        "ms_per_frame_raw": without,
        "path_tracing_ms": without["sampling"],
        "denoising_ms": round(with_denoise["sampling"] - without["sampling"], 2),
        "outside_path_tracing_and_denoising_ms": round(sum(with_denoise[s] for s in outside), 2),
        "annotation_ms": with_denoise["annotate"],
        "annotation_by_ray_cast_ms": with_denoise["annotate_ray_cast"],
        "visibility_disagreements": with_denoise["visibility_disagreements"] + without["visibility_disagreements"],
        "scene_build": build_profile(args.build_clips),
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
