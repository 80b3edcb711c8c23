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


@dataclass(frozen=True)
class ClipSpec:
    rotations: np.ndarray  # (T, 24, 4) local joint rotations
    root_translation: np.ndarray  # (T, 3) pelvis displacement from rest, metres
    joints_3d: np.ndarray  # (T, 24, 3) world positions
    camera: CameraPose
    source_frames: np.ndarray  # (T,) fractional template frame shown at each clip frame

    @property
    def joints_2d(self) -> np.ndarray:
        uv, _ = self.camera.project(self.joints_3d)
        return uv

    @property
    def joint_depth(self) -> np.ndarray:
        _, depth = self.camera.project(self.joints_3d)
        return depth


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
    c = job.camera
    camera = frame_points(padded(joints), c.azimuth_deg, c.elevation_deg, c.focal_mm, r.width, r.height)
    return ClipSpec(rot, trans, joints, camera, frames)
