"""The built-in template library, authored as keyframed poses in code.

A pose names, per joint, either where its bone should point in the world
(`Dir`, turned from the parent's current orientation by the shortest arc) or a
local Euler rotation in degrees (`Euler`, world-aligned frames: +X is the actor's
left, -Y forward, +Z up). Joints a pose leaves out stay straight relative to
their parent. Keys sit on whole frames and Blender interpolates them (Bezier,
auto-clamped handles: eased at the ends); a looping action's keys span one cycle,
its last key equal to its first, and its curves cycle so the loop has no seam.

A pose may also name where a wrist should be (`Reach`, a world point on the reference body): the
arm is then solved by two-bone inverse kinematics with the elbow bending down and out, which is how
hands are brought to the mouth, an ear or the other actor's hand.

The families of the library (locomotion, gestures, postures, exercise, objects, interactions) live
in tools/families/, one module each. A hand-held object is a `Held` prop on the
spec; a two-person action has a `Partner`, whose poses are written as if it stood alone (facing
-Y at the origin) and are then placed where it stands.

The keys are not sampled here: `make templates` runs
tools/author_templates.py, which drives the Blender add-on's operators
(add rig, key poses, set properties, validate, export) exactly as an artist would, so the
add-on is exercised on every build. A test checks the stored JSON is in sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS, REFERENCE_REST_JOINTS, bone_tail
from render_farm.core.template.model import ActionTemplate, RandomizationRanges

FPS = 30


@dataclass(frozen=True)
class Dir:
    x: float
    y: float
    z: float

    def vector(self) -> np.ndarray:
        v = np.array([self.x, self.y, self.z], dtype=np.float64)
        return v / np.linalg.norm(v)


@dataclass(frozen=True)
class Euler:
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


@dataclass(frozen=True)
class Reach:
    """Where a wrist should be: a point (metres) on the reference body standing at rest, moved along
    with the pose's root translation. `out` bends the elbow out to the side (0: straight down)."""

    x: float
    y: float
    z: float
    out: float = 0.6


Pose = dict  # joint name -> Dir | Euler; "left_reach"/"right_reach" -> Reach; optional "root": (x, y, z) metres
SOLVED = "solved"  # a pose given as (local rotations (24, 4), root (3,)) instead: an in-between key
REACH_KEYS = {"left_reach": "left", "right_reach": "right"}
_UPPER_ARM = {s: float(np.linalg.norm(REFERENCE_REST_JOINTS[JOINT_NAMES.index(f"{s}_elbow")]
                                      - REFERENCE_REST_JOINTS[JOINT_NAMES.index(f"{s}_shoulder")]))
              for s in ("left", "right")}
_FOREARM = {s: float(np.linalg.norm(REFERENCE_REST_JOINTS[JOINT_NAMES.index(f"{s}_wrist")]
                                    - REFERENCE_REST_JOINTS[JOINT_NAMES.index(f"{s}_elbow")]))
            for s in ("left", "right")}


def _two_bone(side: str, shoulder: np.ndarray, reach: Reach, root: np.ndarray) -> tuple[Dir, Dir]:
    """Upper-arm and forearm directions that put the wrist on the target (or as near as the arm reaches)."""
    target = np.array([reach.x, reach.y, reach.z]) + root
    a, b = _UPPER_ARM[side], _FOREARM[side]
    to = target - shoulder
    d = float(np.clip(np.linalg.norm(to), abs(a - b) + 1e-4, a + b - 1e-4))
    axis = to / max(np.linalg.norm(to), 1e-9)
    # The elbow swings in the plane of the target and a pole: down, and out to the arm's side.
    pole = np.array([(1.0 if side == "left" else -1.0) * reach.out, 0.15, -1.0])
    pole = pole - axis * float(pole @ axis)
    if np.linalg.norm(pole) < 1e-6:
        pole = np.array([0.0, 1.0, 0.0]) - axis * axis[1]
    pole /= np.linalg.norm(pole)
    along = (a * a - b * b + d * d) / (2 * d)
    elbow = shoulder + axis * along + pole * np.sqrt(max(a * a - along * along, 0.0))
    wrist = shoulder + axis * d
    upper, fore = elbow - shoulder, wrist - elbow
    return Dir(*upper), Dir(*fore)


def solve_pose(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations (24, 4) and root translation (3,) of a pose."""
    if SOLVED in pose:
        local, root = pose[SOLVED]
        return np.array(local, dtype=np.float64), np.array(root, dtype=np.float64)
    unknown = set(pose) - set(JOINT_NAMES) - {"root"} - set(REACH_KEYS)
    if unknown:
        raise ValueError(f"pose names unknown joints {sorted(unknown)}")
    root = np.asarray(pose.get("root", (0.0, 0.0, 0.0)), dtype=np.float64)
    offsets = kinematics.rest_offsets(REFERENCE_REST_JOINTS)
    local = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    glob = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    pos = np.zeros((NUM_JOINTS, 3))
    specs = dict(pose)
    for j, name in enumerate(JOINT_NAMES):
        parent = PARENTS[j]
        parent_rot = glob[parent] if parent >= 0 else quat.IDENTITY
        pos[j] = pos[parent] + quat.rotate(parent_rot, offsets[j]) if parent >= 0 else offsets[0] + root
        side = name.split("_")[0]
        if name.endswith("_shoulder") and f"{side}_reach" in specs:
            specs[name], specs[f"{side}_elbow"] = _two_bone(side, pos[j], specs[f"{side}_reach"], root)
        spec = specs.get(name)
        if isinstance(spec, Euler):
            local[j] = quat.from_euler_xyz((spec.x, spec.y, spec.z))
        elif isinstance(spec, Dir):
            bone = bone_tail(REFERENCE_REST_JOINTS, j) - REFERENCE_REST_JOINTS[j]
            current = quat.rotate(parent_rot, bone)
            swing = quat.between(current, spec.vector())
            local[j] = quat.multiply(quat.conjugate(parent_rot), quat.multiply(swing, parent_rot))
        glob[j] = quat.multiply(parent_rot, local[j])
    return local, root


@dataclass(frozen=True)
class Held:
    """A hand-held prop: a primitive `shape` of `size` (metres, x y z) held in `hand` of `actor` (0 or 1)
    between the key times `grab` and `release` (fractions of the duration), `offset` metres from the
    hand joint along the hand's own axes (those of the rest pose: +X the actor's left, -Y forward, +Z up,
    turning with the hand). Before it is grabbed it rests where the hand takes it; after
    it is released it stays where the hand left it."""

    name: str
    shape: str
    size: tuple[float, float, float]
    hand: str
    grab: float = 0.0
    release: float = 1.0
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the shape's turn in the hand's axes (XYZ Euler)
    actor: int = 0


@dataclass(frozen=True)
class Partner:
    """The second actor of a two-person action: its poses (one per key of the first actor, written as if
    it stood alone facing -Y at the origin), placed `distance` metres in front of the first actor and
    turned `facing_deg` about the vertical (180: face to face)."""

    keys: list[Pose]
    distance: float = 1.0
    facing_deg: float = 180.0
    across: float = 0.0  # metres to the first actor's left

    def placed(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        local, root = solve_pose(pose)
        turn = quat.from_axis_angle(np.array([0.0, 0.0, 1.0]), np.radians(self.facing_deg))
        local[0] = quat.multiply(turn, local[0])
        # The partner's pelvis rest position is the first actor's: move it in front (-Y) and across (+X).
        root = quat.rotate(turn, root) + np.array([self.across, -self.distance, 0.0])
        return local, root


@dataclass(frozen=True)
class TemplateSpec:
    """A built-in action as an artist would key it: poses at times (fractions of the duration)."""

    id: str
    label: str
    description: str
    duration: float  # seconds
    keys: list[tuple[float, Pose]]
    loops: bool = False
    randomization: RandomizationRanges = field(default_factory=RandomizationRanges)
    family: str = ""
    props: tuple[Held, ...] = ()
    partner: Partner | None = None
    performances: tuple[tuple[str, TemplateSpec], ...] = ()  # (name, spec): further performances of the class

    @property
    def frame_count(self) -> int:
        return max(2, int(round(self.duration * FPS)))

    def key_frames(self) -> list[int]:
        """Whole frames (from 1) the keys sit on; a loop's last key lands one frame past its range."""
        span = self.frame_count if self.loops else self.frame_count - 1
        frames = [1 + int(round(t * span)) for t, _ in self.keys]
        if len(set(frames)) != len(frames):
            raise ValueError(f"{self.id}: two keys fall on the same frame")
        return frames

    def frame_at(self, t: float) -> int:
        """The template frame (from 0) at time fraction t."""
        return min(self.frame_count - 1, int(round(t * (self.frame_count - 1))))


def keyframed(
    action_id: str,
    label: str,
    description: str,
    duration: float,
    keys: list[tuple[float, Pose]],
    loops: bool = False,
    randomization: RandomizationRanges | None = None,
    family: str = "",
    props: tuple[Held, ...] = (),
    partner: Partner | None = None,
) -> TemplateSpec:
    times = [t for t, _ in keys]
    if times[0] != 0.0 or times[-1] != 1.0 or any(b <= a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError(f"{action_id}: key times must rise from 0 to 1")
    keys = [(t, grounded(pose)) for t, pose in keys]  # unknown joints fail here, before Blender is involved
    partner_keys = None
    if partner is not None:
        if len(partner.keys) != len(keys):
            raise ValueError(f"{action_id}: the partner has {len(partner.keys)} keys, the actor {len(keys)}")
        partner_keys = [grounded(p) for p in partner.keys]
    keys, partner_keys = _without_dips(keys, partner_keys, max(2, int(round(duration * FPS))), loops)
    if partner is not None:
        partner = Partner(partner_keys, partner.distance, partner.facing_deg, partner.across)
    for p in props:
        if not 0.0 <= p.grab <= p.release <= 1.0 or p.actor not in (0, 1) or (p.actor and partner is None):
            raise ValueError(f"{action_id}: prop {p.name!r} has bad grab/release times or actor")
    return TemplateSpec(action_id, label, description, duration, keys, loops,
                        randomization or RandomizationRanges(), family, tuple(props), partner)


FLOOR_CLEARANCE_M = 0.025  # joint centres sit this far above the floor at the lowest (the ankle's is 0.07)


def grounded(pose: Pose) -> Pose:
    """The pose raised so that no joint or bone tip is below the floor: a key authored a little too deep
    (a crouch, a kneel, a plank) lands on the floor instead of in it. Poses above the floor are left alone."""
    from render_farm.core.template.checks import posed_points

    local, root = solve_pose(pose)
    low = float(posed_points(local[None], root[None])[..., 2].min())
    if low >= FLOOR_CLEARANCE_M:
        return pose
    raised = (float(root[0]), float(root[1]), float(root[2] + FLOOR_CLEARANCE_M - low))
    if SOLVED in pose:
        return {SOLVED: (local, np.array(raised))}
    lifted = dict(pose)
    lifted["root"] = raised
    return lifted


def _lowest(pose: Pose) -> float:
    from render_farm.core.template.checks import posed_points

    local, root = solve_pose(pose)
    return float(posed_points(local[None], root[None])[..., 2].min())


def _between(a: Pose, b: Pose) -> Pose:
    """The pose halfway between two keys (as Blender's eased curves pass it), raised onto the floor."""
    return grounded(_between_raw(a, b))


def _without_dips(keys: list[tuple[float, Pose]], partner: list[Pose] | None, frames: int, loops: bool,
                  depth: int = 3) -> tuple[list[tuple[float, Pose]], list[Pose] | None]:
    """Add in-between keys where the motion between two keys would pass through the floor (a leg swung
    through a kneel): the halfway pose, raised onto the floor, becomes a key (for both actors together)."""
    span = frames if loops else frames - 1
    for _ in range(depth):
        out, out_partner, added = [keys[0]], [partner[0]] if partner else None, False
        for i in range(1, len(keys)):
            (ta, a), (tb, b) = keys[i - 1], keys[i]
            mid_t = (ta + tb) / 2
            frames_apart = round(tb * span) - round(ta * span)
            dips = _lowest(_between_raw(a, b)) < -FLOOR_CLEARANCE_M
            if partner:
                dips = dips or _lowest(_between_raw(partner[i - 1], partner[i])) < -FLOOR_CLEARANCE_M
            if dips and frames_apart >= 4:
                out.append((mid_t, _between(a, b)))
                if partner:
                    out_partner.append(_between(partner[i - 1], partner[i]))
                added = True
            out.append(keys[i])
            if partner:
                out_partner.append(partner[i])
        keys, partner = out, out_partner
        if not added:
            break
    return keys, partner


def _between_raw(a: Pose, b: Pose) -> Pose:
    la, ra = solve_pose(a)
    lb, rb = solve_pose(b)
    sign = np.where((la * lb).sum(axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return {SOLVED: (quat.normalize(la + sign * lb), (ra + rb) / 2)}


def cycle(poses: list[Pose], advance: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> list[tuple[float, Pose]]:
    """Keys of a looping action: the poses evenly spread over one cycle and the first repeated at its end,
    the root moved on by `advance` metres over the cycle (a walk's stride)."""
    n = len(poses)
    keys = []
    for i in range(n + 1):
        pose = dict(poses[i % n])
        root = np.asarray(pose.get("root", (0.0, 0.0, 0.0)), dtype=np.float64) + np.asarray(advance) * i / n
        pose["root"] = tuple(float(c) for c in root)
        keys.append((i / n, pose))
    return keys


def spread(poses: list[Pose]) -> list[tuple[float, Pose]]:
    """Keys of a one-shot action: the poses evenly spread from start to end."""
    n = len(poses) - 1
    return [(i / n, p) for i, p in enumerate(poses)]


def merge(*poses: Pose) -> Pose:
    out: Pose = {}
    for p in poses:
        out.update(p)
    return out


_merge = merge


def side_sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def other(side: str) -> str:
    return "right" if side == "left" else "left"


def arm(side: str, upper: tuple[float, float, float], fore: tuple[float, float, float] | None = None,
        hand: tuple[float, float, float] | None = None) -> Pose:
    """An arm by bone directions in the body's terms: (out to its side, forward, up)."""
    s = side_sign(side)

    def d(v: tuple[float, float, float]) -> Dir:
        return Dir(s * v[0], -v[1], v[2])

    pose: Pose = {f"{side}_shoulder": d(upper), f"{side}_elbow": d(fore if fore is not None else upper)}
    if hand is not None:
        pose[f"{side}_wrist"] = d(hand)
    return pose


def reach(side: str, out: float, forward: float, up: float, elbow_out: float = 0.6) -> Pose:
    """Put a wrist at a point in the body's terms: metres out to its side from the midline, forward of the
    body, and height above the ground (reference body standing)."""
    return {f"{side}_reach": Reach(side_sign(side) * out, -forward, up, elbow_out)}


def spine(forward: float = 0.0, side: float = 0.0, twist: float = 0.0) -> Pose:
    """Bend the torso `forward` degrees (negative: back), `side` degrees to the left, `twist` to the left,
    shared over the three spine joints."""
    e = Euler(forward / 3.0, side / 3.0, twist / 3.0)
    return {"spine1": e, "spine2": e, "spine3": e}


def head(nod: float = 0.0, tilt: float = 0.0, turn: float = 0.0) -> Pose:
    """Head forward (nod, degrees), tilted to the left, turned to the left."""
    return {"neck": Euler(nod / 2, tilt / 2, turn / 2), "head": Euler(nod / 2, tilt / 2, turn / 2)}


ARMS_DOWN: Pose = {
    "left_shoulder": Dir(0.12, 0.0, -1.0),
    "right_shoulder": Dir(-0.12, 0.0, -1.0),
    "left_elbow": Dir(0.08, -0.12, -1.0),
    "right_elbow": Dir(-0.08, -0.12, -1.0),
}
STAND: Pose = dict(ARMS_DOWN)


def leg(side: str, hip: float, knee: float, ankle: float = 0.0, spread: float = 0.0) -> Pose:
    """Hip flexion forward (deg), knee flexion (deg), ankle (deg, + toes up), spread outward (deg)."""
    # About +Y a hanging leg swings towards -X: outward for the right leg, inward for the left.
    outward = -1.0 if side == "left" else 1.0
    return {
        f"{side}_hip": Euler(-hip, outward * spread, 0.0),
        f"{side}_knee": Euler(knee, 0.0, 0.0),
        f"{side}_ankle": Euler(-ankle, 0.0, 0.0),
    }


def arm_swing(side: str, swing: float, elbow: float = 15.0) -> Pose:
    """Arm hanging and swung forward by `swing` degrees (negative: backward), elbow bent."""
    sign = 1.0 if side == "left" else -1.0
    a = np.radians(swing)
    b = np.radians(swing + elbow)
    return {
        f"{side}_shoulder": Dir(sign * 0.12, -np.sin(a), -np.cos(a)),
        f"{side}_elbow": Dir(sign * 0.08, -np.sin(b), -np.cos(b)),
    }


def crouch(depth: float, hip: float, knee: float, ankle: float) -> Pose:
    return merge(leg("left", hip, knee, ankle), leg("right", hip, knee, ankle), {"root": (0.0, 0.0, -depth)})


_leg, _arm_swing, _crouch = leg, arm_swing, crouch


SEATED: Pose = merge(
    crouch(0.42, 90, 90, 0),
    {"root": (0.0, 0.28, -0.42), "spine1": Euler(-5, 0, 0)},
    {
        "left_shoulder": Dir(0.1, -0.5, -1.0), "right_shoulder": Dir(-0.1, -0.5, -1.0),
        "left_elbow": Dir(0.1, -1.0, -0.1), "right_elbow": Dir(-0.1, -1.0, -0.1),
    },
)
LEANING: Pose = merge(
    crouch(0.25, 80, 75, 10),
    {"root": (0.0, 0.14, -0.25), "spine1": Euler(40, 0, 0)},
    {"left_shoulder": Dir(0.15, -0.6, -1.0), "right_shoulder": Dir(-0.15, -0.6, -1.0)},
)


Maker = Callable[[], TemplateSpec]


def lowest_point(template: ActionTemplate) -> float:
    """Lowest joint height over the action on the reference body (a sanity check for authors)."""
    pos, _ = kinematics.forward_kinematics(
        REFERENCE_REST_JOINTS, template.rotation_array(), template.translation_array()
    )
    return float(pos[..., 2].min())
