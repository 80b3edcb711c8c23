"""The legs of a further performance: an action whose legs take no part, done kneeling or sitting on the
floor (`seat`) — a wave or a phone call is as often made down on the floor as standing.

Whether the legs take part is read from the keys, not listed per class: they do not when, at every key,
each foot stays within STILL_M of where the reference pose (the first key; a loop's average pose) has it
relative to the pelvis, the pelvis stays within STILL_M of its reference place and within STILL_DEG of its
reference turn, and the chest within UPRIGHT_DEG (tools.performance_arms) of vertical (a bow bends the body
it would sit down); a class done on the feet whatever its keys say (STANDS: a jump rope's hop is a few
centimetres) stays standing.

A seat takes its legs, and the pelvis's height and tilt, from the posture classes' own poses (SEATS:
tools.families.postures): every key keeps the action's upper body, turned with the pelvis as the action turns
it from its reference pose. Hands hanging by the sides would go through the floor of a cross-legged
seat, so a seat also gives the free hands (tools.performance_arms) the seat's own arm pose (resting on the
knees), unless the style rests them elsewhere, and a working hand starts from there and leaves it as it
travels (at a key, the share of the way to WORKING_M its hand has travelled).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX, REFERENCE_REST_JOINTS
from tools.authoring import solve_pose
from tools.performance_arms import ARM_CHAIN, WORKING_M, ArmUse, stays_upright

STANDS = frozenset({"jump_rope", "calf_raises", "tennis_forehand", "tennis_backhand", "shadow_boxing", "sweep_floor"})
"""Classes done on the feet though the legs barely move in their keys (a rope jumped, a broom swept), by id."""
STILL_M = 0.05
STILL_DEG = 15.0
LEGS = tuple(f"{side}_{part}" for side in ("left", "right") for part in ("hip", "knee", "ankle", "foot"))
FEET = ("left_ankle", "right_ankle", "left_foot", "right_foot")


@cache
def seat_pose(seat: str) -> tuple[np.ndarray, np.ndarray]:
    """The local rotations (24, 4) and root (3,) of a seat: "kneeling" (upright on both knees), "cross_legged"
    (sitting on the floor)."""
    from tools.families import postures  # the families import the styles, which import this module

    poses = {"kneeling": postures.KNEELING, "cross_legged": postures.CROSS_LEGGED}
    if seat not in poses:
        raise ValueError(f"no seat {seat!r}: one of {sorted(poses)}")
    return solve_pose(poses[seat])


def legs_still(local: np.ndarray, root: np.ndarray, ref_local: np.ndarray, ref_root: np.ndarray) -> bool:
    """Whether the legs take no part in keys (K, 24, 4), (K, 3) against the reference pose's."""
    pos, glob = kinematics.forward_kinematics(REFERENCE_REST_JOINTS, local, root)
    ref_pos, ref_glob = kinematics.forward_kinematics(REFERENCE_REST_JOINTS, ref_local[None], ref_root[None])
    pelvis = JOINT_INDEX["pelvis"]

    def feet(p: np.ndarray, g: np.ndarray) -> np.ndarray:
        at = p[:, [JOINT_INDEX[f] for f in FEET]] - p[:, pelvis, None]
        return quat.rotate(quat.conjugate(g[:, pelvis, None]), at)

    if np.linalg.norm(feet(pos, glob) - feet(ref_pos, ref_glob), axis=-1).max() >= STILL_M:
        return False
    if np.linalg.norm(root - ref_root, axis=-1).max() >= STILL_M:
        return False
    turn = quat.multiply(quat.conjugate(ref_local[pelvis]), local[:, pelvis])
    if np.degrees(quat.angle(np.where(turn[:, :1] < 0, -turn, turn))).max() >= STILL_DEG:
        return False
    return stays_upright(glob)


def seated(local: np.ndarray, root: np.ndarray, ref_local: np.ndarray, ref_root: np.ndarray, seat: str,
           use: ArmUse) -> tuple[np.ndarray, np.ndarray]:
    """Keys (K, 24, 4), (K, 3) done in `seat`: its legs, pelvis height and tilt; the action's upper body,
    turned with the pelvis as the action turns it; the free hands in the seat's arm pose."""
    seat_local, seat_root = seat_pose(seat)
    out, out_root = local.copy(), root.copy()
    for name in LEGS:
        out[:, JOINT_INDEX[name]] = seat_local[JOINT_INDEX[name]]
    pelvis = JOINT_INDEX["pelvis"]
    out[:, pelvis] = quat.normalize(quat.multiply(seat_local[pelvis], quat.multiply(
        quat.conjugate(ref_local[pelvis]), local[:, pelvis])))
    out_root = seat_root + (root - ref_root)
    for side in ("left", "right"):
        # A free hand rests as the seat has it; a working hand starts from there too, leaving it as it travels
        # (hanging by the side, it would go through the floor).
        rested = 1.0 if side in use.free else np.clip(1.0 - use.travel[side] / WORKING_M, 0.0, 1.0)
        rested = np.broadcast_to(rested, (len(local),))
        for part in ARM_CHAIN:
            j = JOINT_INDEX[f"{side}_{part}"]
            out[:, j] = quat.slerp(out[:, j], np.broadcast_to(seat_local[j], out[:, j].shape), rested)
    return out, out_root
