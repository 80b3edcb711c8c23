"""What a renderer is given for one clip and what it measures back, as plain dataclasses of numpy arrays.

No pydantic here, nor anything that imports it: a Blender application whose Python is not this
environment's (`synthact render --blender PATH`) imports this module to read a clip's spec and to
write the frames' truths (core.scene.wire carries both between the processes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render_farm.core.geometry.camera import CameraPose


@dataclass(frozen=True)
class ActorTrack:
    """One actor's motion over the clip."""

    rotations: np.ndarray  # (T, 24, 4) local joint rotations
    root_translation: np.ndarray  # (T, 3) pelvis displacement from rest, metres
    joints_3d: np.ndarray  # (T, 24, 3) world positions
    global_rotations: np.ndarray  # (T, 24, 4)


@dataclass(frozen=True)
class PropTrack:
    """A hand-held prop over the clip: where it is, how it is turned, and who holds it."""

    name: str
    shape: str
    size_m: tuple[float, float, float]
    positions: np.ndarray  # (T, 3) world position of its centre
    rotations: np.ndarray  # (T, 4) world orientation (w, x, y, z)
    held_by: np.ndarray  # (T,) int: 0 the actor, 1 the partner, -1 nobody (resting where it was put)


@dataclass(frozen=True)
class ClipSpec:
    rotations: np.ndarray  # (T, 24, 4) local joint rotations
    root_translation: np.ndarray  # (T, 3) pelvis displacement from rest, metres
    joints_3d: np.ndarray  # (T, 24, 3) world positions
    cameras: tuple[CameraPose, ...]  # one per frame
    source_frames: np.ndarray  # (T,) fractional template frame shown at each clip frame
    tracking: bool  # whether the camera follows the actor
    partner: ActorTrack | None = None  # the second actor of a two-person action
    props: tuple[PropTrack, ...] = ()

    @property
    def joints_2d(self) -> np.ndarray:
        return project(self.cameras, self.joints_3d)

    @property
    def actors(self) -> int:
        return 1 if self.partner is None else 2


@dataclass
class FrameTruth:
    """What one rendered frame shows of one actor, measured in the evaluated scene (blender.annotate)."""

    bbox: tuple[float, float, float, float]  # x_min, y_min, x_max, y_max in pixels, clipped to the image
    keypoints_3d: np.ndarray  # (K, 3)
    joint_visible: np.ndarray  # (24,) bool
    keypoint_visible: np.ndarray  # (K,) bool


def project(cameras: tuple[CameraPose, ...], points: np.ndarray) -> np.ndarray:
    """Per-frame pixel positions (T, N, 2) of per-frame world points (T, N, 3)."""
    return np.stack([cam.project(p)[0] for cam, p in zip(cameras, points, strict=True)])


@dataclass
class RenderedFrames:
    """What the renderer reports of a clip once its frames are delivered (the frames themselves went to the
    encoder one by one): the truths of every frame, the passes, and what it cost."""

    timings: dict  # seconds: build_s, render_s, annotate_s, passes_s
    truths: list  # FrameTruth per frame, the actor
    partner_truths: list | None  # FrameTruth per frame, the partner of a two-person action
    device: str  # the Cycles device used: CPU, OPTIX, CUDA
    passes: dict  # name -> array: mask uint8 (T, H, W), depth float16 (T, H, W); only those asked for
    peak_rss_mb: float  # of the process that rendered
    pid: int  # the process that rendered
    renderer: str = ""  # which Blender: "Blender 5.0.1 (bpy module)", "Blender 3.4.1 at /usr/bin/blender"
