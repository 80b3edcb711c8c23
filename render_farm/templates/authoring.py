"""The built-in template library, authored as keyframed poses in code.

A pose names, per joint, either where its bone should point in the world
(`Dir`, turned from the parent's current orientation by the shortest arc) or a
local Euler rotation in degrees (`Euler`, world-aligned frames: +X is the actor's
left, -Y forward, +Z up). Joints a pose leaves out stay straight relative to
their parent. Keys sit on whole frames and Blender interpolates them (Bezier,
auto-clamped handles: eased at the ends); a looping action's keys span one cycle,
its last key equal to its first, and its curves cycle so the loop has no seam.

The keys are not sampled here: `make templates` runs
render_farm/blender/author_templates.py, which drives the Blender add-on's operators
(add rig, key poses, set properties, validate, export) exactly as an artist would, so the
add-on is exercised on every build. A test checks the stored JSON is in sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from render_farm.core import kinematics
from render_farm.core import quaternion as quat
from render_farm.core.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS, REFERENCE_REST_JOINTS, bone_tail
from render_farm.core.template import ActionTemplate, RandomizationRanges

LIBRARY_DIR = Path(__file__).parent / "library"
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


Pose = dict  # joint name -> Dir | Euler; optional "root": (x, y, z) metres


def solve_pose(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations (24, 4) and root translation (3,) of a pose."""
    unknown = set(pose) - set(JOINT_NAMES) - {"root"}
    if unknown:
        raise ValueError(f"pose names unknown joints {sorted(unknown)}")
    local = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    glob = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    for j, name in enumerate(JOINT_NAMES):
        parent_rot = glob[PARENTS[j]] if PARENTS[j] >= 0 else quat.IDENTITY
        spec = pose.get(name)
        if isinstance(spec, Euler):
            local[j] = quat.from_euler_xyz((spec.x, spec.y, spec.z))
        elif isinstance(spec, Dir):
            bone = bone_tail(REFERENCE_REST_JOINTS, j) - REFERENCE_REST_JOINTS[j]
            current = quat.rotate(parent_rot, bone)
            swing = quat.between(current, spec.vector())
            local[j] = quat.multiply(quat.conjugate(parent_rot), quat.multiply(swing, parent_rot))
        glob[j] = quat.multiply(parent_rot, local[j])
    return local, np.asarray(pose.get("root", (0.0, 0.0, 0.0)), dtype=np.float64)


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


def keyframed(
    action_id: str,
    label: str,
    description: str,
    duration: float,
    keys: list[tuple[float, Pose]],
    loops: bool = False,
    randomization: RandomizationRanges | None = None,
) -> TemplateSpec:
    times = [t for t, _ in keys]
    if times[0] != 0.0 or times[-1] != 1.0 or any(b <= a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError(f"{action_id}: key times must rise from 0 to 1")
    for _, pose in keys:
        solve_pose(pose)  # unknown joints fail here, before Blender is involved
    return TemplateSpec(action_id, label, description, duration, keys, loops,
                        randomization or RandomizationRanges())


def _merge(*poses: Pose) -> Pose:
    out: Pose = {}
    for p in poses:
        out.update(p)
    return out


ARMS_DOWN: Pose = {
    "left_shoulder": Dir(0.12, 0.0, -1.0),
    "right_shoulder": Dir(-0.12, 0.0, -1.0),
    "left_elbow": Dir(0.08, -0.12, -1.0),
    "right_elbow": Dir(-0.08, -0.12, -1.0),
}
STAND: Pose = dict(ARMS_DOWN)


def _leg(side: str, hip: float, knee: float, ankle: float = 0.0, spread: float = 0.0) -> Pose:
    """Hip flexion forward (deg), knee flexion (deg), ankle (deg, + toes up), spread outward (deg)."""
    # About +Y a hanging leg swings towards -X: outward for the right leg, inward for the left.
    outward = -1.0 if side == "left" else 1.0
    return {
        f"{side}_hip": Euler(-hip, outward * spread, 0.0),
        f"{side}_knee": Euler(knee, 0.0, 0.0),
        f"{side}_ankle": Euler(-ankle, 0.0, 0.0),
    }


def _arm_swing(side: str, swing: float, elbow: float = 15.0) -> Pose:
    """Arm hanging and swung forward by `swing` degrees (negative: backward), elbow bent."""
    sign = 1.0 if side == "left" else -1.0
    a = np.radians(swing)
    b = np.radians(swing + elbow)
    return {
        f"{side}_shoulder": Dir(sign * 0.12, -np.sin(a), -np.cos(a)),
        f"{side}_elbow": Dir(sign * 0.08, -np.sin(b), -np.cos(b)),
    }


def walk() -> TemplateSpec:
    step = 0.72  # metres per stride (two steps) at 1.1 s a stride

    def phase(hip_l, knee_l, hip_r, knee_r, arm, z, y):
        return _merge(
            _leg("left", hip_l, knee_l), _leg("right", hip_r, knee_r),
            _arm_swing("left", -arm), _arm_swing("right", arm),
            {"spine2": Euler(4, 0, 0), "root": (0.0, y, z)},
        )

    return keyframed(
        "walk", "walk", "Walking forward at an easy pace, arms swinging opposite the legs.", 1.1,
        [
            (0.0, phase(25, 5, -20, 10, 20, -0.02, 0.0)),
            (0.25, phase(0, 10, 5, 45, 0, 0.0, -step * 0.25)),
            (0.5, phase(-20, 10, 25, 5, -20, -0.02, -step * 0.5)),
            (0.75, phase(5, 45, 0, 10, 0, 0.0, -step * 0.75)),
            (1.0, phase(25, 5, -20, 10, 20, -0.02, -step)),
        ],
        loops=True,
        randomization=RandomizationRanges(speed=(0.8, 1.25), mirror=True, joint_noise_deg=3.0),
    )


def run() -> TemplateSpec:
    stride = 2.0

    def phase(hip_l, knee_l, hip_r, knee_r, arm, z, y):
        return _merge(
            _leg("left", hip_l, knee_l), _leg("right", hip_r, knee_r),
            _arm_swing("left", -arm, 80), _arm_swing("right", arm, 80),
            {"spine1": Euler(10, 0, 0), "root": (0.0, y, z)},
        )

    return keyframed(
        "run", "run", "Running forward: high knees, bent arms pumping, body leaning forward.", 0.7,
        [
            (0.0, phase(50, 30, -25, 20, 40, -0.04, 0.0)),
            (0.25, phase(10, 20, 20, 100, 0, 0.04, -stride * 0.25)),
            (0.5, phase(-25, 20, 50, 30, -40, -0.04, -stride * 0.5)),
            (0.75, phase(20, 100, 10, 20, 0, 0.04, -stride * 0.75)),
            (1.0, phase(50, 30, -25, 20, 40, -0.04, -stride)),
        ],
        loops=True,
        randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=3.0),
    )


def _crouch(depth: float, hip: float, knee: float, ankle: float) -> Pose:
    return _merge(_leg("left", hip, knee, ankle), _leg("right", hip, knee, ankle), {"root": (0.0, 0.0, -depth)})


def jump() -> TemplateSpec:
    arms_back = _merge(_arm_swing("left", -45, 10), _arm_swing("right", -45, 10))
    arms_up = {"left_shoulder": Dir(0.3, -0.2, 1.0), "right_shoulder": Dir(-0.3, -0.2, 1.0)}
    air = _merge(_crouch(-0.40, 20, 35, -20), arms_up)
    return keyframed(
        "jump", "jump", "A standing vertical jump: crouch, swing the arms up, take off, land, recover.", 1.8,
        [
            (0.0, STAND),
            (0.2, _merge(_crouch(0.22, 60, 90, 30), arms_back, {"spine1": Euler(25, 0, 0)})),
            (0.35, _merge(_crouch(-0.05, 0, 0, -30), arms_up)),
            (0.5, air),
            (0.66, _merge(_crouch(-0.02, 10, 15, -10), arms_up)),
            (0.78, _merge(_crouch(0.2, 55, 85, 28), _arm_swing("left", 30), _arm_swing("right", 30),
                          {"spine1": Euler(20, 0, 0)})),
            (1.0, STAND),
        ],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def wave() -> TemplateSpec:
    def raised(lean: float) -> Pose:
        return _merge(ARMS_DOWN, {
            "right_shoulder": Dir(-1.0, -0.15, 0.35),
            "right_elbow": Dir(-lean, -0.1, 1.0),
            "right_wrist": Dir(-lean * 1.3, -0.1, 1.0),
        })

    return keyframed(
        "wave", "wave", "Raising the right hand and waving it side to side above the shoulder.", 2.4,
        [
            (0.0, STAND),
            (0.2, raised(0.0)),
            (0.32, raised(0.6)),
            (0.44, raised(-0.5)),
            (0.56, raised(0.6)),
            (0.68, raised(-0.5)),
            (0.8, raised(0.0)),
            (1.0, STAND),
        ],
        randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=3.0),
    )


def clap() -> TemplateSpec:
    def arms(gap: float) -> Pose:
        return {
            "left_shoulder": Dir(0.25, -1.0, -0.35),
            "right_shoulder": Dir(-0.25, -1.0, -0.35),
            "left_elbow": Dir(-gap, -1.0, 0.25),
            "right_elbow": Dir(gap, -1.0, 0.25),
        }

    return keyframed(
        "clap", "clap", "Clapping the hands in front of the chest, repeatedly.", 0.6,
        [(0.0, arms(0.95)), (0.5, arms(-0.4)), (1.0, arms(0.95))],
        loops=True,
        randomization=RandomizationRanges(speed=(0.8, 1.3), mirror=True, joint_noise_deg=2.0),
    )


def squat() -> TemplateSpec:
    arms_forward = {"left_shoulder": Dir(0.15, -1.0, 0.0), "right_shoulder": Dir(-0.15, -1.0, 0.0)}
    low = _merge(_crouch(0.42, 105, 125, 25), arms_forward, {"spine1": Euler(30, 0, 0)})
    return keyframed(
        "squat", "squat", "A deep bodyweight squat with the arms held forward, and back up.", 2.6,
        [(0.0, STAND), (0.2, _merge(STAND, arms_forward)), (0.5, low), (0.8, _merge(STAND, arms_forward)),
         (1.0, STAND)],
        randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=False, joint_noise_deg=2.0),
    )


SEATED: Pose = _merge(
    _crouch(0.42, 90, 90, 0),
    {"root": (0.0, 0.28, -0.42), "spine1": Euler(-5, 0, 0)},
    {
        "left_shoulder": Dir(0.1, -0.5, -1.0), "right_shoulder": Dir(-0.1, -0.5, -1.0),
        "left_elbow": Dir(0.1, -1.0, -0.1), "right_elbow": Dir(-0.1, -1.0, -0.1),
    },
)
LEANING: Pose = _merge(
    _crouch(0.25, 80, 75, 10),
    {"root": (0.0, 0.14, -0.25), "spine1": Euler(40, 0, 0)},
    {"left_shoulder": Dir(0.15, -0.6, -1.0), "right_shoulder": Dir(-0.15, -0.6, -1.0)},
)


def sit_down() -> TemplateSpec:
    return keyframed(
        "sit_down", "sit down", "Sitting down from standing onto a seat behind the actor.", 2.2,
        [(0.0, STAND), (0.15, STAND), (0.55, LEANING), (0.85, SEATED), (1.0, SEATED)],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def stand_up() -> TemplateSpec:
    return keyframed(
        "stand_up", "stand up", "Standing up from a seated position.", 2.2,
        [(0.0, SEATED), (0.15, SEATED), (0.45, LEANING), (0.85, STAND), (1.0, STAND)],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def punch() -> TemplateSpec:
    guard = _merge(
        _leg("left", 10, 15), _leg("right", -5, 15),
        {
            "left_shoulder": Dir(0.3, -0.6, -1.0), "right_shoulder": Dir(-0.3, -0.6, -1.0),
            "left_elbow": Dir(0.0, -0.3, 1.0), "right_elbow": Dir(0.0, -0.3, 1.0),
            "root": (0.0, 0.0, -0.03),
        },
    )
    jab_r = _merge(guard, {
        "right_shoulder": Dir(0.1, -1.0, 0.05), "right_elbow": Dir(0.1, -1.0, 0.05), "spine2": Euler(0, 0, 20),
    })
    jab_l = _merge(guard, {
        "left_shoulder": Dir(-0.1, -1.0, 0.05), "left_elbow": Dir(-0.1, -1.0, 0.05), "spine2": Euler(0, 0, -20),
    })
    return keyframed(
        "punch", "punch", "A boxing guard, a straight right punch, then a left, back to guard.", 1.8,
        [(0.0, STAND), (0.15, guard), (0.3, jab_r), (0.45, guard), (0.6, jab_l), (0.78, guard), (1.0, STAND)],
        randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=3.0),
    )


def kick() -> TemplateSpec:
    arms = _merge(_arm_swing("left", 30, 60), _arm_swing("right", -10, 60))
    chamber = _merge(arms, _leg("right", 85, 110), {"spine1": Euler(-10, 0, 0)})
    extend = _merge(arms, _leg("right", 85, 5, -20), {"spine1": Euler(-15, 0, 0)})
    return keyframed(
        "kick", "kick", "A front kick with the right leg: chamber the knee, extend, retract, step down.", 1.6,
        [(0.0, STAND), (0.2, chamber), (0.4, extend), (0.6, chamber), (0.8, _merge(STAND, arms)), (1.0, STAND)],
        randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=2.0),
    )


def bend_pick_up() -> TemplateSpec:
    reach = _merge(
        _leg("left", 25, 25), _leg("right", 25, 25),
        {
            "root": (0.0, 0.12, -0.08), "spine1": Euler(45, 0, 0), "spine2": Euler(25, 0, 0),
            "spine3": Euler(10, 0, 0),
            "left_shoulder": Dir(0.15, -0.2, -1.0), "right_shoulder": Dir(-0.05, -0.3, -1.0),
        },
    )
    holding = _merge(STAND, {"right_shoulder": Dir(-0.1, -1.0, -0.6), "right_elbow": Dir(0.1, -1.0, 0.6)})
    return keyframed(
        "bend_pick_up", "bend and pick up", "Bending down to pick something up from the floor and "
        "straightening up holding it.", 2.6,
        [(0.0, STAND), (0.15, STAND), (0.45, reach), (0.6, reach), (0.9, holding), (1.0, holding)],
        randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def turn_around() -> TemplateSpec:
    def turned(angle: float, lift: str | None) -> Pose:
        pose = _merge(STAND, {"pelvis": Euler(0, 0, angle)})
        if lift:
            pose.update(_leg(lift, 30, 50))
        return pose

    return keyframed(
        "turn_around", "turn around", "Turning on the spot to face the opposite way, in small steps.", 2.2,
        [
            (0.0, turned(0, None)), (0.15, turned(20, "left")), (0.3, turned(55, None)),
            (0.45, turned(90, "right")), (0.6, turned(125, None)), (0.75, turned(160, "left")),
            (0.9, turned(180, None)), (1.0, turned(180, None)),
        ],
        randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def jumping_jacks() -> TemplateSpec:
    closed = _merge(STAND, {"root": (0.0, 0.0, 0.0)})
    air = _merge(
        _leg("left", 0, 5, 0, 10), _leg("right", 0, 5, 0, 10),
        {"left_shoulder": Dir(1.0, 0.0, 0.2), "right_shoulder": Dir(-1.0, 0.0, 0.2), "root": (0.0, 0.0, 0.1)},
    )
    opened = _merge(
        _leg("left", 0, 10, 0, 20), _leg("right", 0, 10, 0, 20),
        {
            "left_shoulder": Dir(0.35, 0.0, 1.0), "right_shoulder": Dir(-0.35, 0.0, 1.0),
            "left_elbow": Dir(0.2, 0.0, 1.0), "right_elbow": Dir(-0.2, 0.0, 1.0), "root": (0.0, 0.0, -0.04),
        },
    )
    return keyframed(
        "jumping_jacks", "jumping jacks", "Jumping jacks: hop the feet apart while clapping the hands overhead, "
        "and back.", 1.0,
        [(0.0, closed), (0.25, air), (0.5, opened), (0.75, air), (1.0, closed)],
        loops=True,
        randomization=RandomizationRanges(speed=(0.8, 1.25), mirror=False, joint_noise_deg=2.0),
    )


def fall_down() -> TemplateSpec:
    stumble = _merge(_crouch(0.15, 30, 50, 10), {
        "pelvis": Euler(15, 0, 0), "left_shoulder": Dir(0.5, -1.0, 0.3), "right_shoulder": Dir(-0.5, -1.0, 0.3),
    })
    kneel = _merge(_crouch(0.32, 10, 90, 60), {
        "root": (0.0, -0.1, -0.32), "pelvis": Euler(35, 0, 0),
        "left_shoulder": Dir(0.3, -1.0, -0.8), "right_shoulder": Dir(-0.3, -1.0, -0.8),
    })
    lying = _merge(_leg("left", -5, 5, -40), _leg("right", -5, 5, -40), {
        "root": (0.0, -0.2, -0.74), "pelvis": Euler(88, 0, 0), "head": Euler(-40, 0, 0),
        "left_shoulder": Dir(1.0, -0.8, 0.0), "right_shoulder": Dir(-1.0, -0.8, 0.0),
        "left_elbow": Dir(0.2, -1.0, 0.0), "right_elbow": Dir(-0.2, -1.0, 0.0),
    })
    return keyframed(
        "fall_down", "fall down", "Losing balance, dropping to the knees and falling forward flat on the ground.",
        2.2,
        [(0.0, STAND), (0.15, STAND), (0.35, stumble), (0.55, kneel), (0.8, lying), (1.0, lying)],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


BUILTIN_ACTIONS = (
    walk, run, jump, wave, clap, squat, sit_down, stand_up, punch, kick, bend_pick_up, turn_around,
    jumping_jacks, fall_down,
)


def build_library() -> list[TemplateSpec]:
    return [make() for make in BUILTIN_ACTIONS]


def lowest_point(template: ActionTemplate) -> float:
    """Lowest joint height over the action on the reference body (a sanity check for authors)."""
    pos, _ = kinematics.forward_kinematics(
        REFERENCE_REST_JOINTS, template.rotation_array(), template.translation_array()
    )
    return float(pos[..., 2].min())
