"""One clip inside Blender: build the scene of a job, render its frames, measure what each shows.

Frames leave through `deliver(k, path)` as files (the caller encodes them and removes the file); the rest
comes back as a RenderedFrames. Nothing here imports pydantic or writes into the output folder: this
runs in the `bpy` module (blender/worker.py), where `job` is the pydantic Job, and inside a Blender
application (blender/serve.py), where `job` is the job's JSON read as core.scene.wire.Plain.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bpy
import numpy as np

from render_farm.blender import camera, lighting, materials, props, scene
from render_farm.blender.annotate import FrameScene, frame_truth
from render_farm.blender.body import build_actor
from render_farm.blender.devices import select_device
from render_farm.blender.passes import PassRenderer
from render_farm.blender.render import Cast, apply_frame, render_frames
from render_farm.bodies.baked.body import BakedBody
from render_farm.core.scene.spec import ClipSpec, RenderedFrames


def build_scene(job, spec: ClipSpec, body: BakedBody, partner_body: BakedBody | None, threads: int,
                device: str = "cpu", slot: int = 0):
    """The scene of `job` at its first frame: returns (scene, cast)."""
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
    return sc, cast


def render_clip(job, spec: ClipSpec, body: BakedBody, partner_body: BakedBody | None, scratch: Path,
                deliver: Callable[[int, Path], None], threads: int = 1, device: str = "cpu", slot: int = 0,
                on_pass_frame: Callable[[int], None] | None = None) -> RenderedFrames:
    """Render every frame of `job` into SCRATCH, handing each to `deliver`, then the passes it asks for."""
    t0 = time.perf_counter()
    sc, cast = build_scene(job, spec, body, partner_body, threads, device, slot)
    build_s = time.perf_counter() - t0
    frame = FrameScene(sc)

    def annotate(k: int):
        frame.evaluate()
        truth = frame_truth(frame, cast.actor, body, spec.cameras[k], spec.joints_3d[k])
        if cast.partner is None:
            return truth, None
        return truth, frame_truth(frame, cast.partner, partner_body, spec.cameras[k], spec.partner.joints_3d[k])

    timings, truths = render_frames(sc, cast, spec, deliver, scratch, annotate=annotate)
    passes: dict[str, np.ndarray] = {}
    passes_s = 0.0
    if job.render.passes:
        t = time.perf_counter()

        def pose(k: int) -> None:
            apply_frame(sc, cast, spec, k)
            if on_pass_frame is not None:
                on_pass_frame(k)

        masks, depths = PassRenderer(sc, cast.meshes, scratch).render_all(job.render.frames, pose)
        if "mask" in job.render.passes:
            passes["mask"] = masks.astype(np.uint8)
        if "depth" in job.render.passes:
            passes["depth"] = depths.astype(np.float16)
        passes_s = time.perf_counter() - t
    return RenderedFrames(
        timings={"build_s": build_s, "render_s": timings["render_s"], "annotate_s": timings["annotate_s"],
                 "passes_s": passes_s},
        truths=[t[0] for t in truths],
        partner_truths=[t[1] for t in truths] if cast.partner is not None else None,
        device=str(sc["synthact_device"]),
        passes=passes,
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        pid=os.getpid(),
        renderer=renderer(),
    )


def renderer() -> str:
    """The Blender rendering here: its version, and where its application is (none for the bpy module)."""
    where = f"at {bpy.app.binary_path}" if bpy.app.binary_path else "(bpy module)"
    return f"Blender {bpy.app.version_string} {where}"
