"""Motion maths on numpy arrays: resampling a template to a clip, mirroring, heading, retargeting.

Everything here is independent of Blender; the worker receives the finished
per-frame rotations and translations.
"""

from __future__ import annotations

import numpy as np

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX, MIRROR_INDEX, REFERENCE_PELVIS_HEIGHT
from render_farm.core.plan.seeding import Stream
from render_farm.core.template.model import ActionTemplate


def one_shot_slack(template: ActionTemplate, frames: int, fps: float, speed: float) -> float:
    """Template frames of a one-shot action that do not fit into the clip at `speed` times its authored
    rate (0 or less: the whole motion fits)."""
    return (template.frame_count - 1) - (frames - 1) / fps * speed * template.fps


def source_frames(template: ActionTemplate, frames: int, fps: float, speed: float, start_offset: float,
                  whole_action: bool = False) -> np.ndarray:
    """Fractional template frame shown at each clip frame.

    A looping action plays at `speed` times its authored rate from `start_offset`
    (template frames) and wraps. A one-shot action that fits into the clip is fitted
    into it (its first frame at the clip's first, its last at the clip's last for
    speed 1), the last pose held if a faster speed finishes early; one longer than
    the clip at `speed` times its own rate plays at that rate, a window from
    `start_offset` (never squeezed beyond its speed range), unless `whole_action`:
    then it is fitted too, played as much faster as it takes.
    """
    n = template.frame_count
    k = np.arange(frames, dtype=np.float64)
    if template.loops:
        return start_offset + k / fps * speed * template.fps
    if frames == 1 or n == 1:
        return np.zeros(frames)
    if not whole_action and one_shot_slack(template, frames, fps, speed) > 0:
        return np.clip(start_offset + k / fps * speed * template.fps, 0.0, n - 1)
    return np.clip(k / (frames - 1) * (n - 1) * speed, 0.0, n - 1)


def _cycle_delta(translation: np.ndarray) -> np.ndarray:
    """Horizontal root displacement over one loop of a looping template."""
    n = translation.shape[0]
    delta = np.zeros(3)
    if n > 1:
        delta[:2] = (translation[-1, :2] - translation[0, :2]) * n / (n - 1)
    return delta


def resample(template: ActionTemplate, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (T, 24, 4) and root translations (T, 3) at fractional template frames."""
    rot = template.rotation_array()
    trans = template.translation_array()
    n = template.frame_count
    positions = np.asarray(positions, dtype=np.float64)
    if template.loops:
        cycles = np.floor(positions / n)
        f = positions - cycles * n
        i0 = np.floor(f).astype(int) % n
        i1 = (i0 + 1) % n
        t = f - np.floor(f)
        delta = _cycle_delta(trans)
        # Interpolating from the last frame to the first crosses into the next cycle.
        t1 = trans[i1] + np.where((i1 == 0)[:, None], delta, 0.0)
        out_trans = (1 - t)[:, None] * trans[i0] + t[:, None] * t1 + cycles[:, None] * delta
    else:
        f = np.clip(positions, 0, n - 1)
        i0 = np.floor(f).astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        t = f - i0
        out_trans = (1 - t)[:, None] * trans[i0] + t[:, None] * trans[i1]
    out_rot = quat.slerp(rot[i0], rot[i1], np.broadcast_to(t[:, None], rot[i0].shape[:2]))
    return out_rot, out_trans


def mirror(rotations: np.ndarray, translation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Swap left and right and reflect through the body's sagittal (YZ) plane."""
    rot = rotations[:, list(MIRROR_INDEX)] * np.array([1.0, 1.0, -1.0, -1.0])
    trans = translation * np.array([-1.0, 1.0, 1.0])
    return rot, trans


def apply_heading(rotations: np.ndarray, translation: np.ndarray, heading_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Turn the whole motion about the vertical axis through the origin."""
    q = quat.from_axis_angle([0.0, 0.0, 1.0], np.radians(heading_deg))
    rot = rotations.copy()
    rot[:, 0] = quat.multiply(q, rotations[:, 0])
    return rot, quat.rotate(q, translation)


def retarget_translation(translation: np.ndarray, pelvis_height: float) -> np.ndarray:
    """Scale root motion authored on the reference body to a body of another size."""
    return translation * (pelvis_height / REFERENCE_PELVIS_HEIGHT)


def centre_horizontally(translation: np.ndarray) -> np.ndarray:
    """Shift the root path so its horizontal mean is over the origin (the actor stays in the set)."""
    out = translation.copy()
    out[:, :2] -= translation[:, :2].mean(axis=0)
    return out


def time_warp(u: np.ndarray, a1: float, a2: float) -> np.ndarray:
    """A smooth monotonic warp of normalized time u in [0, 1] that keeps both ends fixed.

    w(u) = u + a1 sin(2 pi u) / (2 pi) + a2 sin(4 pi u) / (4 pi); its slope 1 + a1 cos + a2 cos
    stays positive while |a1| + |a2| < 1, so time never runs backwards.
    """
    if abs(a1) + abs(a2) >= 1.0:
        raise ValueError("time warp amplitudes must satisfy |a1| + |a2| < 1")
    u = np.asarray(u, dtype=np.float64)
    return u + a1 * np.sin(2 * np.pi * u) / (2 * np.pi) + a2 * np.sin(4 * np.pi * u) / (4 * np.pi)


def warped_source_frames(template: ActionTemplate, frames: int, fps: float, speed: float, start_offset: float,
                         a1: float, a2: float, whole_action: bool = False) -> np.ndarray:
    """source_frames with the clip's time warped: the first and last source frames are unchanged."""
    plain = source_frames(template, frames, fps, speed, start_offset, whole_action)
    if frames < 2 or (a1 == 0 and a2 == 0):
        return plain
    # Source time is linear in clip time (or clamped at the end for a one-shot that finishes early):
    # warp the clip time, then read the same mapping.
    u = time_warp(np.linspace(0.0, 1.0, frames), a1, a2)
    return np.interp(u, np.linspace(0.0, 1.0, frames), plain)


def smooth_noise(rng: Stream, frames: int, channels: int, cycles: float = 1.5) -> np.ndarray:
    """Band-limited noise (frames, channels): a few low-frequency sinusoids with random phases,
    scaled so that its largest value per channel has magnitude 1. Drawn from the planner's kind of stream
    (one scheme from plan to pixels), one number at a time: the same on every machine."""
    t = np.linspace(0.0, 1.0, frames)[:, None]
    out = np.zeros((frames, channels))
    for k in (1, 2, 3):
        phase = np.array([rng.uniform(0.0, 2 * np.pi) for _ in range(channels)])
        weight = np.array([rng.normal(0.0, 1.0) for _ in range(channels)]) / k
        out += weight * np.sin(2 * np.pi * (cycles * k / 2.0) * t + phase)
    peak = np.abs(out).max(axis=0)
    return out / np.where(peak > 0, peak, 1.0)


def joint_noise(rotations: np.ndarray, rng: Stream, amplitude_deg: float) -> np.ndarray:
    """Perturb every joint but the root by a smooth rotation of at most amplitude_deg."""
    if amplitude_deg <= 0:
        return rotations
    frames, joints = rotations.shape[:2]
    vec = smooth_noise(rng, frames, (joints - 1) * 3).reshape(frames, joints - 1, 3)
    norms = np.linalg.norm(vec, axis=-1, keepdims=True)
    peak = norms.max(axis=0, keepdims=True)
    vec = vec / np.where(peak > 0, peak, 1.0) * np.radians(amplitude_deg)  # largest angle per joint = amplitude
    angles = np.linalg.norm(vec, axis=-1)
    axes = np.where(angles[..., None] > 1e-12, vec / np.maximum(angles[..., None], 1e-12), [1.0, 0.0, 0.0])
    q = quat.from_axis_angle(axes, angles)
    out = rotations.copy()
    out[:, 1:] = quat.normalize(quat.multiply(rotations[:, 1:], q))
    return out


def offset_root(translation: np.ndarray, distance: float, angle_deg: float) -> np.ndarray:
    """Move the whole motion `distance` metres from the set's centre, in direction angle_deg."""
    out = translation.copy()
    a = np.radians(angle_deg)
    out[:, 0] += distance * np.cos(a)
    out[:, 1] += distance * np.sin(a)
    return out


SPINE = tuple(JOINT_INDEX[n] for n in ("spine1", "spine2", "spine3"))
HEAD = JOINT_INDEX["head"]
# Idle motion per centimetre of hip drift: the torso leans back over the hips, the head turns and nods.
SWAY_TORSO_DEG_PER_CM, SWAY_HEAD_TURN_DEG_PER_CM, SWAY_HEAD_NOD_DEG_PER_CM = 1.2, 3.0, 1.5
# Left, right shoulder: the sign that turns each upper arm away from the body (+X is the actor's left).
SHOULDERS = {JOINT_INDEX["left_shoulder"]: 1.0, JOINT_INDEX["right_shoulder"]: -1.0}


def perform(rotations: np.ndarray, energy: float, lean_deg: float, arm_carriage_deg: float) -> np.ndarray:
    """A performer's style on local rotations (T, 24, 4): every joint's movement about its mean pose over the
    clip scaled by `energy` (> 1: bigger, < 1: smaller; the mean pose, and so the posture, stays), the torso
    bent forward by `lean_deg` over the three spine joints, the upper arms carried `arm_carriage_deg` away
    from the body (about the forward axis, in the parent's frame)."""
    out = rotations.copy()
    if energy != 1.0:
        q = out[:, 1:]
        ref = q[0:1]
        aligned = np.where(np.sum(q * ref, axis=-1, keepdims=True) < 0, -q, q)  # one hemisphere per joint
        mean = quat.normalize(aligned.mean(axis=0, keepdims=True))
        out[:, 1:] = quat.slerp(np.broadcast_to(mean, q.shape), q, np.full(q.shape[:2], energy))
    if lean_deg:
        bend = quat.from_axis_angle(np.array([1.0, 0.0, 0.0]), np.radians(lean_deg / len(SPINE)))
        for j in SPINE:
            out[:, j] = quat.normalize(quat.multiply(bend, out[:, j]))
    if arm_carriage_deg:
        for j, sign in SHOULDERS.items():
            out_turn = quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), -sign * np.radians(arm_carriage_deg))
            out[:, j] = quat.normalize(quat.multiply(out_turn, out[:, j]))
    return out


def sway(rotations: np.ndarray, translation: np.ndarray, rng: Stream, sway_cm: float
         ) -> tuple[np.ndarray, np.ndarray]:
    """Idle motion on top of a performance, as people standing shift their weight: the root drifts smoothly
    at most `sway_cm` centimetres across the ground (template units), the torso bends back over the hips
    (SWAY_TORSO_DEG_PER_CM, shared over the spine) and the head turns and nods on its own slow noise. A
    rig otherwise moves only where its keys move it; real people never stand that still."""
    if sway_cm <= 0:
        return rotations, translation
    frames = rotations.shape[0]
    noise = smooth_noise(rng, frames, 4)  # hips across, hips forward, head turn, head nod: each peaks at 1
    drift = noise[:, :2] / max(float(np.linalg.norm(noise[:, :2], axis=1).max()), 1.0)  # at most 1 in length
    trans = translation.copy()
    trans[:, :2] += drift * sway_cm / 100.0
    out = rotations.copy()
    # Hips to the actor's left (+X) bend the torso to its right (a turn about +Y bends it left, as
    # tools.authoring.spine); hips forward (-Y) bend it back (about +X: forward).
    torso = np.radians(SWAY_TORSO_DEG_PER_CM * sway_cm / len(SPINE))
    side = quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), -torso * drift[:, 0])
    back = quat.from_axis_angle(np.array([1.0, 0.0, 0.0]), torso * drift[:, 1])
    bend = quat.multiply(side, back)
    for j in SPINE:
        out[:, j] = quat.normalize(quat.multiply(out[:, j], bend))
    turn = quat.from_axis_angle(np.array([0.0, 0.0, 1.0]), np.radians(SWAY_HEAD_TURN_DEG_PER_CM * sway_cm)
                                * noise[:, 2])
    nod = quat.from_axis_angle(np.array([1.0, 0.0, 0.0]), np.radians(SWAY_HEAD_NOD_DEG_PER_CM * sway_cm)
                               * noise[:, 3])
    out[:, HEAD] = quat.normalize(quat.multiply(out[:, HEAD], quat.multiply(turn, nod)))
    return out, trans
