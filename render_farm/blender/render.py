"""Pose a clip frame by frame and render each frame to a file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from render_farm.blender import camera, props
from render_farm.blender.body import Actor
from render_farm.core.scene.spec import ClipSpec


@dataclass
class Cast:
    """What moves in a clip: the actor, the partner of a two-person action, the hand-held props."""

    actor: Actor
    partner: Actor | None = None
    props: list = field(default_factory=list)

    @property
    def meshes(self) -> list:
        """Everything that is a person (for the person mask): bodies, garments, hair, accessories."""
        people = [self.actor] + ([self.partner] if self.partner is not None else [])
        return [m for a in people for m in (a.mesh, *a.pieces)]


def apply_frame(scene: bpy.types.Scene, cast: Cast | Actor, spec: ClipSpec, k: int) -> None:
    """Pose the actors, place the props and the camera for clip frame k."""
    cast = cast if isinstance(cast, Cast) else Cast(cast)
    cast.actor.set_pose(spec.rotations[k], spec.root_translation[k])
    if cast.partner is not None:
        cast.partner.set_pose(spec.partner.rotations[k], spec.partner.root_translation[k])
    props.place_held(cast.props, spec.props, k)
    camera.place(scene.camera, spec.cameras[k])  # tracking, panning, orbiting or shaking cameras move


def render_frames(scene: bpy.types.Scene, actor: Cast | Actor, spec: ClipSpec, deliver: Callable[[int, Path], None],
                  scratch: Path, annotate: Callable[[int], object] | None = None) -> tuple[dict, list]:
    """Render every frame to a file in SCRATCH and hand it to `deliver(k, path)`, which reads and removes it
    (the encoder is the caller's: in-process, or in the host process of a Blender application).

    Returns timings in seconds (`stream_s`: time spent in `deliver`) and, when `annotate` is given, what it
    returned for each frame (called with the frame posed, after it is rendered)."""
    settings = scene.render.image_settings
    settings.file_format = "BMP"
    settings.color_mode = "RGB"
    render_s = encode_s = annotate_s = 0.0
    truths = []
    for k in range(spec.rotations.shape[0]):
        apply_frame(scene, actor, spec, k)
        frame_path = scratch / f"frame-{k:05d}.bmp"
        scene.render.filepath = str(frame_path)
        t = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        render_s += time.perf_counter() - t
        if annotate is not None:  # before delivering: the caller hears of frame k once it is whole
            t = time.perf_counter()
            truths.append(annotate(k))
            annotate_s += time.perf_counter() - t
        t = time.perf_counter()
        deliver(k, frame_path)
        encode_s += time.perf_counter() - t
    return {"render_s": render_s, "stream_s": encode_s, "annotate_s": annotate_s}, truths
