"""Resolve a job into the per-frame numbers a renderer needs (numpy only).

The Blender layer applies a ClipSpec to a scene; the label is computed from the
same ClipSpec, so what is rendered and what is labelled come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render_farm.core import kinematics, motion
from render_farm.core.camera import CameraPose, frame_points, padded
from render_farm.core.jobs import Job
from render_farm.core.template import ActionTemplate

# An actor whose pelvis travels further than this over a clip is followed by the camera
# (a dolly keeping its offset), so a runner is not a speck in a frame wide enough for the path.
TRACKING_THRESHOLD_M = 1.0
TRACKING_SMOOTHING_S = 0.5


@dataclass(frozen=True)
class ClipSpec:
    rotations: np.ndarray  # (T, 24, 4) local joint rotations
    root_translation: np.ndarray  # (T, 3) pelvis displacement from rest, metres
    joints_3d: np.ndarray  # (T, 24, 3) world positions
    cameras: tuple[CameraPose, ...]  # one per frame
    source_frames: np.ndarray  # (T,) fractional template frame shown at each clip frame
    tracking: bool  # whether the camera follows the actor

    @property
    def joints_2d(self) -> np.ndarray:
        return np.stack([cam.project(j)[0] for cam, j in zip(self.cameras, self.joints_3d, strict=True)])


def _smoothed(path: np.ndarray, window: int) -> np.ndarray:
    """Moving average with edge padding: the camera glides instead of swaying with each step."""
    if window <= 1:
        return path
    pad = window // 2
    padded_path = np.pad(path, ((pad, window - 1 - pad), (0, 0)), mode="edge")
    kernel = np.ones(window) / window
    return np.stack([np.convolve(padded_path[:, i], kernel, mode="valid") for i in range(path.shape[1])], axis=1)


def place_cameras(joints: np.ndarray, job: Job) -> tuple[tuple[CameraPose, ...], bool]:
    """Frame the actor for the whole clip: static, or tracking a travelling actor."""
    r, c = job.render, job.camera
    pelvis = joints[:, 0, :2]
    travel = float(np.max(np.ptp(pelvis, axis=0)))
    if travel <= TRACKING_THRESHOLD_M:
        pose = frame_points(padded(joints), c.azimuth_deg, c.elevation_deg, c.focal_mm, r.width, r.height)
        return (pose,) * joints.shape[0], False
    anchor = np.zeros((joints.shape[0], 3))
    anchor[:, :2] = _smoothed(pelvis, max(1, round(TRACKING_SMOOTHING_S * r.fps)))
    relative = joints - anchor[:, None, :]
    pose = frame_points(padded(relative), c.azimuth_deg, c.elevation_deg, c.focal_mm, r.width, r.height)
    cameras = tuple(
        CameraPose(pose.location + a, pose.rotation, pose.focal_mm, pose.width, pose.height) for a in anchor
    )
    return cameras, True


def resolve(job: Job, template: ActionTemplate, rest_joints: np.ndarray) -> ClipSpec:
    r = job.render
    frames = motion.source_frames(template, r.frames, r.fps, job.motion.speed, job.motion.start_offset)
    rot, trans = motion.resample(template, frames)
    if job.motion.mirror:
        rot, trans = motion.mirror(rot, trans)
    trans = motion.retarget_translation(trans, float(rest_joints[0, 2]))
    trans = motion.centre_horizontally(trans)
    rot, trans = motion.apply_heading(rot, trans, job.motion.heading_deg)
    joints, _ = kinematics.forward_kinematics(rest_joints, rot, trans)
    cameras, tracking = place_cameras(joints, job)
    return ClipSpec(rot, trans, joints, cameras, frames, tracking)
