"""Resolve a job into the per-frame numbers a renderer needs (numpy only).

The Blender layer applies a ClipSpec to a scene; the label is computed from the
same ClipSpec, so what is rendered and what is labelled come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render_farm.core import kinematics, motion
from render_farm.core.camera import CameraPose, frame_points, in_frame, moving_camera, padded
from render_farm.core.jobs import Job
from render_farm.core.motion import smooth_noise
from render_farm.core.seeding import rng_for
from render_farm.core.template import ActionTemplate

# An actor whose pelvis travels further than this over a clip is followed by the camera
# (a dolly keeping its offset), so a runner is not a speck in a frame wide enough for the path.
TRACKING_THRESHOLD_M = 0.75
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
    """Frame the actor for the whole clip, with the job's camera motion, tracking a travelling actor.

    The base pose frames every joint over the clip; if the camera's motion would push the actor out
    of frame, the camera backs off in 8% steps until every frame keeps the whole actor in view.
    """
    r, c = job.render, job.camera
    frames = joints.shape[0]
    pelvis = joints[:, 0, :2]
    tracking = float(np.max(np.ptp(pelvis, axis=0))) > TRACKING_THRESHOLD_M
    anchor = np.zeros((frames, 3))
    if tracking:
        anchor[:, :2] = _smoothed(pelvis, max(1, round(TRACKING_SMOOTHING_S * r.fps)))
    relative = joints - anchor[:, None, :]
    points = padded(relative)
    base = frame_points(points, c.azimuth_deg, c.elevation_deg, c.focal_mm, r.width, r.height)
    target = (points.min(axis=0) + points.max(axis=0)) / 2.0
    shake = smooth_noise(rng_for(job.seed, "camera_shake"), frames, 3, cycles=4.0) if c.motion == "shake" else None
    per_frame = [padded(relative[k]) for k in range(frames)]
    scale = 1.0
    for _ in range(30):
        start = CameraPose(target + (base.location - target) * scale, base.rotation, base.focal_mm, r.width, r.height)
        poses = moving_camera(start, target, c.motion, c.motion_deg, frames, shake)
        if all(in_frame(p, pts) for p, pts in zip(poses, per_frame, strict=True)):
            break
        scale *= 1.08
    cameras = tuple(CameraPose(p.location + a, p.rotation, p.focal_mm, p.width, p.height)
                    for p, a in zip(poses, anchor, strict=True))
    return cameras, tracking


def resolve(job: Job, template: ActionTemplate, rest_joints: np.ndarray) -> ClipSpec:
    r = job.render
    m = job.motion
    frames = motion.warped_source_frames(template, r.frames, r.fps, m.speed, m.start_offset, *m.time_warp)
    rot, trans = motion.resample(template, frames)
    rot = motion.joint_noise(rot, rng_for(job.seed, "joint_noise"), m.joint_noise_deg)
    if m.mirror:
        rot, trans = motion.mirror(rot, trans)
    trans = motion.retarget_translation(trans, float(rest_joints[0, 2]))
    trans = motion.centre_horizontally(trans)
    rot, trans = motion.apply_heading(rot, trans, m.heading_deg)
    trans = motion.offset_root(trans, m.root_offset_m, m.root_offset_angle_deg)
    joints, _ = kinematics.forward_kinematics(rest_joints, rot, trans)
    cameras, tracking = place_cameras(joints, job)
    return ClipSpec(rot, trans, joints, cameras, frames, tracking)
