"""Render a clip's frames and stream them to the encoder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from render_farm.blender import camera, props
from render_farm.blender.body import Actor
from render_farm.core.scene.clip_spec import ClipSpec
from render_farm.video import ClipEncoder


def read_bmp(path: Path) -> np.ndarray:
    """Blender's uncompressed 24-bit BMP -> (H, W, 3) RGB uint8."""
    data = Path(path).read_bytes()
    if data[:2] != b"BM":
        raise ValueError(f"{path}: not a BMP file")
    offset = int.from_bytes(data[10:14], "little")
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    bpp = int.from_bytes(data[28:30], "little")
    channels = bpp // 8
    if channels not in (3, 4):
        raise ValueError(f"{path}: {bpp}-bit BMP is not supported")
    stride = (width * channels + 3) & ~3
    rows = np.frombuffer(data, dtype=np.uint8, count=stride * abs(height), offset=offset).reshape(abs(height), stride)
    img = rows[:, : width * channels].reshape(abs(height), width, channels)[:, :, 2::-1]  # BGR(A) -> RGB
    return img[::-1].copy() if height > 0 else img.copy()  # positive height: bottom-up rows


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


def render_frames(scene: bpy.types.Scene, actor: Cast | Actor, spec: ClipSpec, encoder: ClipEncoder, scratch: Path,
                  annotate: Callable[[int], object] | None = None,
                  on_frame: Callable[[int], None] | None = None) -> tuple[dict, list]:
    """Render every frame through a scratch file and feed the encoder.

    Returns timings in seconds and, when `annotate` is given, what it returned for each frame
    (called with the frame posed, after it is rendered). `on_frame(k)` is told when frame k is done
    (the local pool's watchdog hears of progress through it)."""
    settings = scene.render.image_settings
    settings.file_format = "BMP"
    settings.color_mode = "RGB"
    frame_path = scratch / "frame.bmp"
    scene.render.filepath = str(frame_path)
    render_s = encode_s = annotate_s = 0.0
    truths = []
    for k in range(spec.rotations.shape[0]):
        apply_frame(scene, actor, spec, k)
        t = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        render_s += time.perf_counter() - t
        t = time.perf_counter()
        encoder.write(read_bmp(frame_path))
        encode_s += time.perf_counter() - t
        if annotate is not None:
            t = time.perf_counter()
            truths.append(annotate(k))
            annotate_s += time.perf_counter() - t
        if on_frame is not None:
            on_frame(k)
    frame_path.unlink(missing_ok=True)
    return {"render_s": render_s, "stream_s": encode_s, "annotate_s": annotate_s}, truths
