"""The arms of a further performance: the idle hand joining a one-handed action (`join`), the working
hands carried higher or lower (`reach`, degrees), and the free hands held somewhere while the action goes on
(`rest`: on the hips, in front of the belly, behind the back, the arms crossed).

Which hands work is read from the keys, not listed per class: a hand works when it travels at least
WORKING_M from where the action's reference pose holds it (its first key; a loop's average pose), measured
from the chest in the pelvis's frame, so a lean or a step does not count; it is idle when it stays within
IDLE_M. An action with one working hand and one idle hand may be done with both (beckon, stop sign, fist
pump): the idle arm plays the working arm's local rotations mirrored. A class whose meaning is one hand
(ONE_HANDED: a salute, a point; a wave, which has a class of its own with both hands) keeps one, as does an
action with held props and one whose working hand comes within MIDLINE_M of the body's midline (the two hands
would meet: cough, blow a kiss).

`reach` swings each working upper arm towards the vertical (negative: away from it) in proportion to how
far the hand has travelled at that key, so the rest pose at the start and end stays where it was and the
furthest point of the action moves most; an arm never ends up within CLEAR_OF_VERTICAL_DEG of straight up or
down. A hand that touches the body where it works (within CONTACT_M of the head, trunk or legs: scratch the
head, touch the toes) or meets the other hand (clap) keeps its height, since moving it would break the
contact that defines the action.

A free hand is one that does not work (an arm swinging as the legs walk is free: people walk with their
hands behind their backs), holds no prop, comes within CONTACT_M of neither the head nor the legs from the
knees down (a hand on a knee), and belongs to a body that stays upright (the chest within UPRIGHT_DEG of
vertical at every key: a push-up's hands bear weight however still they are); a class whose idle hands still
matter (KEEPS_HANDS: the rope of a jump rope) keeps them. `rest` puts every free hand that did not join in
the rest's place, solved on the reference body standing (tools.authoring.reach) and carried with the chest;
"crossed" needs both hands free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import END_BONES, JOINT_INDEX, JOINT_NAMES, REFERENCE_REST_JOINTS, bone_tail
from render_farm.core.template.checks import posed_points
from tools.authoring import Pose, merge, reach, solve_pose

SIDES = ("left", "right")
ARM_CHAIN = ("collar", "shoulder", "elbow", "wrist", "hand")
WORKING_M = 0.25
IDLE_M = 0.10
MIDLINE_M = 0.12
CONTACT_M = 0.20
HANDS_MEET_M = 0.15
CLEAR_OF_VERTICAL_DEG = 15.0
WORKING_SHARE = 0.5  # contact counts at keys where the hand has travelled at least this share of its most
_POINT = {name: i for i, name in enumerate((*JOINT_NAMES, *(f"{n}_tip" for n in END_BONES), "face"))}  # posed_points
BODY = ("head", "head_tip", "face", "neck", "spine2", "spine3", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_foot", "right_foot", "left_foot_tip", "right_foot_tip")  # not the hips: a swinging hand passes them
ONE_HANDED = frozenset({
    "salute", "point_forward", "point_left", "point_right", "point_up",  # two hands point no more, or apart
    "wave", "raise_left_hand", "raise_right_hand",  # with both hands: another class (wave_both_hands, ...)
})
"""Classes whose meaning is one hand, by id (ids that are not built-in are harmless)."""
KEEPS_HANDS = frozenset({"jump_rope", "clap", "hands_on_hips", "arm_circles", "dance_arms_sway", "play_guitar"})
"""Classes whose hands are the action though they travel little (a rope turned, hands clapped, a guitar strummed),
by id."""
UPRIGHT_DEG = 25.0
FREE_CONTACT = ("head", "head_tip", "face", "neck", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_foot",
                "right_foot", "left_foot_tip", "right_foot_tip")
RESTS: dict[str, Pose] = {  # where each free hand rests, by the rest's name (a wrist point: out, forward, up)
    "hips": merge(reach("left", 0.24, 0.02, 0.98, 2.5), reach("right", 0.24, 0.02, 0.98, 2.5)),
    "front": merge(reach("left", 0.07, 0.17, 0.98, 0.6), reach("right", 0.07, 0.17, 0.98, 0.6)),
    "behind": merge(reach("left", 0.12, -0.10, 0.98, 1.2), reach("right", 0.12, -0.10, 0.98, 1.2)),
    "crossed": merge(reach("left", -0.12, 0.22, 1.17, 1.2), reach("right", -0.12, 0.26, 1.12, 1.2)),
}
BOTH_HANDS_RESTS = frozenset({"crossed"})

_MIRROR = np.array([1.0, 1.0, -1.0, -1.0])  # a local rotation reflected through the sagittal (YZ) plane
_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class ArmUse:
    """Which hands an action works with, from its keys."""

    travel: dict[str, np.ndarray]  # side -> (K,) metres each key's hand is from its reference place
    working: tuple[str, ...]
    joinable: str | None  # the working side, when the other hand may join it
    reachable: bool  # whether the working hands may be carried higher or lower
    free: tuple[str, ...] = ()  # the sides whose hands may rest elsewhere


def arm_use(local: np.ndarray, root: np.ndarray, ref_local: np.ndarray, ref_root: np.ndarray,
            one_handed: bool, holding: frozenset[str] = frozenset(), keeps_hands: bool = False) -> ArmUse:
    """(K, 24, 4) local rotations and (K, 3) roots of the keys, and the reference pose's; `holding`: the
    sides whose hands hold a prop."""
    pos, glob = kinematics.forward_kinematics(REFERENCE_REST_JOINTS, local, root)
    ref_pos, ref_glob = kinematics.forward_kinematics(REFERENCE_REST_JOINTS, ref_local[None], ref_root[None])
    points = posed_points(local, root)  # the joints, the tips of the head, hands and feet, and the face
    pelvis = JOINT_INDEX["pelvis"]

    def nearest(side: str, names: tuple[str, ...], at: np.ndarray) -> float:
        """How near the side's hand (its joint or fingertips) comes to the named points at keys `at`."""
        hand = points[at][:, [_POINT[f"{side}_hand"], _POINT[f"{side}_hand_tip"]]]
        body = points[at][:, [_POINT[n] for n in names]]
        return float(np.linalg.norm(body[:, :, None] - hand[:, None], axis=-1).min())

    def from_chest(p: np.ndarray, g: np.ndarray, side: str) -> np.ndarray:
        hand = p[:, JOINT_INDEX[f"{side}_hand"]] - p[:, JOINT_INDEX["spine3"]]
        return quat.rotate(quat.conjugate(g[:, pelvis]), hand)

    travel = {s: np.linalg.norm(from_chest(pos, glob, s) - from_chest(ref_pos, ref_glob, s), axis=-1) for s in SIDES}
    working = tuple(s for s in SIDES if travel[s].max() >= WORKING_M)
    joinable = None
    if len(working) == 1 and not one_handed:
        side, idle = working[0], _other(working[0])
        lateral = quat.rotate(quat.conjugate(glob[:, pelvis]), pos[:, JOINT_INDEX[f"{side}_hand"]] - pos[:, pelvis])
        if travel[idle].max() <= IDLE_M and np.abs(lateral[:, 0]).min() >= MIDLINE_M:
            joinable = side
    reachable = bool(working) and all(
        nearest(s, BODY, travel[s] >= WORKING_SHARE * travel[s].max()) >= CONTACT_M for s in working)
    hands = np.linalg.norm(pos[:, JOINT_INDEX["left_hand"]] - pos[:, JOINT_INDEX["right_hand"]], axis=-1)
    if len(working) == 2 and hands.min() < HANDS_MEET_M:
        reachable = False
    upright = stays_upright(glob)
    every = np.ones(len(local), dtype=bool)
    free = tuple(s for s in SIDES if upright and not keeps_hands and s not in holding and s not in working
                 and nearest(s, FREE_CONTACT, every) >= CONTACT_M)
    return ArmUse(travel, working, joinable, reachable, free)


def stays_upright(glob: np.ndarray) -> bool:
    """Whether the chest stays within UPRIGHT_DEG of vertical at every key, from global rotations (K, 24, 4)."""
    chest_up = quat.rotate(glob[:, JOINT_INDEX["spine3"]], np.broadcast_to(_UP, (len(glob), 3)))[:, 2]
    return bool(np.degrees(np.arccos(np.clip(chest_up, -1.0, 1.0))).max() <= UPRIGHT_DEG)


def with_arms(local: np.ndarray, root: np.ndarray, use: ArmUse, join: bool, reach_deg: float, rest: str = ""
              ) -> np.ndarray:
    """(K, 24, 4) local rotations with the idle hand joining (`join`, when the action allows it), the working
    upper arms swung `reach_deg` degrees towards the vertical at the furthest point (when it allows that) and the
    free hands resting at `rest` (a name in RESTS; "": where they were)."""
    out = local.copy()
    travel = dict(use.travel)
    working = list(use.working)
    free = list(use.free)
    if join and use.joinable is not None:
        side, idle = use.joinable, _other(use.joinable)
        for part in ARM_CHAIN:
            out[:, JOINT_INDEX[f"{idle}_{part}"]] = out[:, JOINT_INDEX[f"{side}_{part}"]] * _MIRROR
        travel[idle] = travel[side]
        working.append(idle)
        free = [s for s in free if s != idle]
    if rest and (len(free) == 2 or (free and rest not in BOTH_HANDS_RESTS)):
        held, _ = solve_pose(RESTS[rest])
        for side in free:
            for part in ARM_CHAIN:
                out[:, JOINT_INDEX[f"{side}_{part}"]] = held[JOINT_INDEX[f"{side}_{part}"]]
    if reach_deg and use.reachable:
        for side in working:
            out = _reached(out, root, side, reach_deg * travel[side] / travel[side].max())
    return out


def _reached(local: np.ndarray, root: np.ndarray, side: str, degrees: np.ndarray) -> np.ndarray:
    """The side's upper arm swung `degrees` (K,) towards the vertical in its parent's frame, clear of it."""
    shoulder, collar = JOINT_INDEX[f"{side}_shoulder"], JOINT_INDEX[f"{side}_collar"]
    _, glob = kinematics.forward_kinematics(REFERENCE_REST_JOINTS, local, root)
    bone = bone_tail(REFERENCE_REST_JOINTS, shoulder) - REFERENCE_REST_JOINTS[shoulder]
    bone = bone / np.linalg.norm(bone)
    arm = quat.rotate(local[:, shoulder], np.broadcast_to(bone, (len(local), 3)))  # in the collar's frame
    up = quat.rotate(quat.conjugate(glob[:, collar]), np.broadcast_to(_UP, (len(local), 3)))
    from_up = np.degrees(np.arccos(np.clip((arm * up).sum(axis=-1), -1.0, 1.0)))
    room_up = np.maximum(from_up - CLEAR_OF_VERTICAL_DEG, 0.0)
    room_down = np.maximum(180.0 - from_up - CLEAR_OF_VERTICAL_DEG, 0.0)
    turn = np.clip(degrees, -room_down, room_up)
    axis = np.cross(arm, up)
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    turn = np.where(norm[:, 0] > 1e-6, turn, 0.0)
    swing = quat.from_axis_angle(axis / np.maximum(norm, 1e-9), np.radians(turn))
    out = local.copy()
    out[:, shoulder] = quat.normalize(quat.multiply(swing, local[:, shoulder]))
    return out


def _other(side: str) -> str:
    return "right" if side == "left" else "left"
