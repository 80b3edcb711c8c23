"""Resolve a job into the per-frame numbers a renderer needs (numpy only): a ClipSpec (core.scene.spec).

The Blender layer applies a ClipSpec to a scene; the label is computed from the
same ClipSpec, so what is rendered and what is labelled come from one place.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.camera import CameraPose, frame_points, in_frame, moving_camera, padded
from render_farm.core.geometry.skeleton import JOINT_INDEX, REFERENCE_PELVIS_HEIGHT, mirror_name
from render_farm.core.plan.jobs import Job, PerformerParams
from render_farm.core.plan.seeding import Stream, stream_for
from render_farm.core.scene import motion
from render_farm.core.scene.motion import smooth_noise
from render_farm.core.scene.spec import ActorTrack, ClipSpec, PropTrack
from render_farm.core.template.model import ActionTemplate, TemplateProp

# An actor whose pelvis travels further than this over a clip is followed by the camera
# (a dolly keeping its offset), so a runner is not a speck in a frame wide enough for the path.
TRACKING_THRESHOLD_M = 0.75
TRACKING_SMOOTHING_S = 0.5


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
    shake = smooth_noise(stream_for(job.seed, "camera_shake"), frames, 3, cycles=4.0) if c.motion == "shake" else None
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


@dataclass(frozen=True)
class _Track:
    """An actor's template motion in the shape motion.resample reads."""

    rotations: np.ndarray
    translation: np.ndarray
    frame_count: int
    loops: bool

    def rotation_array(self) -> np.ndarray:
        return self.rotations

    def translation_array(self) -> np.ndarray:
        return self.translation


class _Placement:
    """The chain that puts an actor's template motion in the clip's world: noise, mirror, body size,
    centring, heading and offset, the same for every frame it is asked for."""

    def __init__(self, job: Job, scale_xy: float, scale_z: float, shift: np.ndarray):
        self.m, self.scale, self.shift = job.motion, np.array([scale_xy, scale_xy, scale_z]), shift

    def place(self, track: _Track, positions: np.ndarray, noise: Stream | None,
              performer: PerformerParams | None = None, sway: Stream | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        rot, trans = motion.resample(track, positions)
        if performer is not None:
            rot = motion.perform(rot, performer.energy, performer.lean_deg, performer.arm_carriage_deg)
            if performer.sway_cm > 0 and sway is not None:
                rot, trans = motion.sway(rot, trans, sway, performer.sway_cm)
        if noise is not None:
            rot = motion.joint_noise(rot, noise, self.m.joint_noise_deg)
        if self.m.mirror:
            rot, trans = motion.mirror(rot, trans)
        trans = trans * self.scale + self.shift
        rot, trans = motion.apply_heading(rot, trans, self.m.heading_deg)
        return rot, motion.offset_root(trans, self.m.root_offset_m, self.m.root_offset_angle_deg)


def _mirrored_xy(positions: np.ndarray, track: _Track, mirror: bool) -> np.ndarray:
    _, trans = motion.resample(track, positions)
    return trans * np.array([-1.0, 1.0, 1.0]) if mirror else trans


def resolve(job: Job, template: ActionTemplate, rest_joints: np.ndarray,
            partner_rest_joints: np.ndarray | None = None) -> ClipSpec:
    r = job.render
    m = job.motion
    template = template.performance(m.performance)
    frames = motion.warped_source_frames(template, r.frames, r.fps, m.speed, m.start_offset, *m.time_warp,
                                          m.whole_action)
    tracks = [_Track(template.rotation_array(), template.translation_array(), template.frame_count, template.loops)]
    rests = [np.asarray(rest_joints)]
    if template.partner is not None:
        if partner_rest_joints is None:
            raise ValueError(f"{template.id} is a two-person action: the partner's body is needed")
        tracks.append(_Track(template.partner.rotation_array(), template.partner.translation_array(),
                             template.frame_count, template.loops))
        rests.append(np.asarray(partner_rest_joints))
    # Root motion is scaled to the body; two actors share the horizontal scale (their mean), so the spacing
    # the template gives them grows and shrinks with both; each keeps its own vertical scale.
    scales = [float(rest[0, 2]) / REFERENCE_PELVIS_HEIGHT for rest in rests]
    scale_xy = float(np.mean(scales))
    # Centred on the first actor's path (both actors' for two): the action stays in the set.
    paths = [_mirrored_xy(frames, t, m.mirror) for t in tracks]
    shift = np.zeros(3)
    shift[:2] = -np.mean([p[:, :2] for p in paths], axis=(0, 1)) * scale_xy
    placements = [_Placement(job, scale_xy, s, shift) for s in scales]
    noise_axes = ["joint_noise", "partner_joint_noise"]
    actors = []
    performers = [m.performer, job.partner.performer if job.partner is not None else None]
    for k, (track, rest, place) in enumerate(zip(tracks, rests, placements, strict=True)):
        rot, trans = place.place(track, frames, stream_for(job.seed, noise_axes[k]), performers[k],
                                 stream_for(job.seed, f"{noise_axes[k]}_sway"))
        joints, glob = kinematics.forward_kinematics(rest, rot, trans)
        actors.append(ActorTrack(rot, trans, joints, glob))
    every_joint = np.concatenate([a.joints_3d for a in actors], axis=1)
    cameras, tracking = place_cameras(every_joint, job)
    props = tuple(_prop_track(p, frames, template, tracks, rests, placements, actors, m.mirror)
                  for p in template.props)
    first = actors[0]
    return ClipSpec(first.rotations, first.root_translation, first.joints_3d, cameras, frames, tracking,
                    actors[1] if len(actors) > 1 else None, props)


def _hand_transform(joints: np.ndarray, glob: np.ndarray, hand: str, mirror: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Where a hold's hand is (T, 3) and how it is turned (T, 4); both hands: between them, turned with the
    pelvis."""
    if hand == "both_hands":
        mid = (joints[:, JOINT_INDEX["left_hand"]] + joints[:, JOINT_INDEX["right_hand"]]) / 2
        return mid, glob[:, 0]
    j = JOINT_INDEX[mirror_name(hand) if mirror else hand]
    return joints[:, j], glob[:, j]


def _held_pose(hold, joints: np.ndarray, glob: np.ndarray, mirror: bool) -> tuple[np.ndarray, np.ndarray]:
    pos, rot = _hand_transform(joints, glob, hold.hand, mirror)
    offset = np.asarray(hold.offset_m, dtype=np.float64)
    turn = quat.from_euler_xyz(tuple(hold.rotation_deg))
    if mirror:  # reflected through the body's midplane, like the motion
        offset = offset * np.array([-1.0, 1.0, 1.0])
        turn = turn * np.array([1.0, 1.0, -1.0, -1.0])
    return pos + quat.rotate(rot, np.broadcast_to(offset, pos.shape)), quat.normalize(quat.multiply(rot, turn))


def _prop_track(prop: TemplateProp, frames: np.ndarray, template: ActionTemplate, tracks: list[_Track],
                rests: list[np.ndarray], placements: list[_Placement], actors: list[ActorTrack],
                mirror: bool) -> PropTrack:
    """The prop follows the hand of the hold under way; before its first hold it waits where that hold picks
    it up, after a hold it stays where it was let go."""
    n = template.frame_count
    src = np.mod(frames, n) if template.loops else frames
    count = len(frames)
    positions, rotations = np.zeros((count, 3)), np.tile(quat.IDENTITY, (count, 1))
    held_by = np.full(count, -1)
    holding = np.full(count, -1)
    for i, hold in enumerate(prop.holds):
        whole_cycle = template.loops and hold.from_frame == 0 and hold.to_frame >= n - 1
        inside = (src >= hold.from_frame - 1e-6) & (src <= hold.to_frame + 1e-6) | whole_cycle
        take = inside & (holding < 0)
        holding[take] = i
        if take.any():
            a = actors[hold.actor]
            pos, rot = _held_pose(hold, a.joints_3d, a.global_rotations, mirror)
            positions[take], rotations[take] = pos[take], rot[take]
            held_by[take] = hold.actor

    @functools.cache  # a resting prop asks for the same moment on every idle frame
    def rest_pose(hold_index: int, at_start: bool) -> tuple[np.ndarray, np.ndarray]:
        """Where the prop lies at the start (or end) of a hold: its pose on the clip frame nearest that moment
        while held, or the hand's pose at that template frame when the clip never shows it held."""
        hold = prop.holds[hold_index]
        frame = hold.from_frame if at_start else hold.to_frame
        held = np.nonzero(holding == hold_index)[0]
        if held.size:
            k = held[np.argmin(np.abs(src[held] - frame))]
            return positions[k], rotations[k]
        place, track, rest = placements[hold.actor], tracks[hold.actor], rests[hold.actor]
        rot, trans = place.place(track, np.array([float(frame)]), None)
        joints, glob = kinematics.forward_kinematics(rest, rot, trans)
        pos, q = _held_pose(hold, joints, glob, mirror)
        return pos[0], q[0]

    for k in np.nonzero(holding < 0)[0]:
        before = [i for i, h in enumerate(prop.holds) if h.to_frame < src[k]]
        pos, rot = rest_pose(before[-1], False) if before else rest_pose(0, True)
        positions[k], rotations[k] = pos, rot
    return PropTrack(prop.name, prop.shape, tuple(prop.size_m), positions, rotations, held_by)
