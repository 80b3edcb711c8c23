"""Further performances of any keyed action: the same keys played bigger or smaller, faster or slower, twice,
leaning, with a wider stance or bent knees.

The interactions write their styles into each action (tools/families/interactions.py: approach, spacing,
where hands meet). Every other class gets its further performances here, from its own keys: each key is
solved to local rotations and a root, changed as the style says, and keyed again (`keyframed`: the floor
and in-between checks run as for any authored key). What a style changes:

- `amplitude`: every joint's turn away from the action's reference pose (its first key; a loop's average
  pose), and the root's travel, scaled; a scaled turn never passes 170 degrees, so a bent elbow or knee does
  not fold through.
- `tempo`: the duration (> 1: slower).
- `repeats`: a one-shot plays its middle keys again, going half way back to its first pose in between (a
  wave waved twice, a squat done twice); loops and actions with held props keep their keys.
- `lean` (degrees, forward; negative: back), `stance` (degrees each leg spreads out), `knees` (degrees of
  knee bend, the hips and ankles sharing it so the feet stay flat): a posture held through the action.
- `join` (the idle hand joins a one-handed action), `reach` (degrees the working arms are carried higher;
  negative: lower), `rest` (where the free hands rest: "hips", "front", "behind", "crossed"): the arms,
  where the action's keys allow each (tools.performance_arms reads which hands work from the keys).

After the change each key keeps the height of its lowest point, so feet stay on the floor and a jump stays as
high as authored; a pose the change would push into the floor is lifted, as `keyframed` lifts any key.

A style can still break a class: a kneeling start scaled up straightens the knee past straight, a slow jump
floats. Each performance is therefore sampled as Blender will play its keys (sine easing on every channel)
and put through the library's joint-limit and floor checks; one that fails is made milder (`tries`) until it
passes and still differs from the class's own motion by the library's near-duplicate measure (against other
classes' performances, `synthact templates check` holds the library: a style that made one class's performance
a near-duplicate of another's would fail it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX, JOINT_NAMES
from render_farm.core.template.checks import (
    DUPLICATE_ANGLE_DEG,
    DUPLICATE_DISTANCE_M,
    ground_findings,
    joint_limit_findings,
    posed_points,
    template_distance,
)
from render_farm.core.template.model import ActionTemplate, PartnerMotion
from tools.authoring import FPS, SOLVED, Partner, Pose, TemplateSpec, keyframed, solve_pose
from tools.performance_arms import KEEPS_HANDS, ONE_HANDED, arm_use, with_arms
from tools.performance_legs import STANDS, legs_still, seated

MAX_TURN_DEG = 170.0
MILDER = (1.0, 0.6, 0.3)  # how much of a style is tried, in turn, until the performance passes the checks


@dataclass(frozen=True)
class PerformanceStyle:
    """How one further performance differs from the action's own motion."""

    name: str
    tempo: float = 1.0
    amplitude: float = 1.0
    repeats: int = 0
    lean: float = 0.0
    stance: float = 0.0
    knees: float = 0.0
    join: bool = False
    reach: float = 0.0
    rest: str = ""
    seat: str = ""

    def milder(self, f: float, posture: float | None = None) -> PerformanceStyle:
        """`f` of the tempo and amplitude changes and `posture` (default: `f`) of the posture's."""
        g = f if posture is None else posture
        return replace(self, tempo=1 + f * (self.tempo - 1), amplitude=1 + f * (self.amplitude - 1),
                       lean=g * self.lean, stance=g * self.stance, knees=g * self.knees, reach=g * self.reach)

    def tries(self) -> list[PerformanceStyle]:
        """The style, then milder ones in turn: the tempo and amplitude first (the posture kept, so the
        performance stays distinct), then without its repeat, then everything, then with the arms as
        authored."""
        out = [self.milder(f, posture=1.0) for f in MILDER]
        if self.repeats:
            out += [replace(self.milder(f, posture=1.0), repeats=0) for f in MILDER]
        out += [self.milder(f) for f in MILDER[1:]]
        if self.join or self.reach or self.rest or self.seat:
            out.append(replace(out[-1], join=False, reach=0.0, rest="", seat=""))
        return out


STYLES = (
    PerformanceStyle("brisk", tempo=0.78, amplitude=1.25, knees=12.0, reach=20.0),
    PerformanceStyle("gentle", tempo=1.3, amplitude=0.7, lean=-12.0, join=True, reach=-15.0, rest="front"),
    PerformanceStyle("big", tempo=1.1, amplitude=1.35, stance=12.0, join=True, reach=25.0),
    PerformanceStyle("small", tempo=0.9, amplitude=0.6, lean=12.0, reach=-20.0, rest="behind"),
    PerformanceStyle("twice", repeats=1, lean=-8.0, stance=9.0, join=True, rest="hips"),
    PerformanceStyle("leaning", amplitude=1.1, lean=22.0, reach=10.0),
    PerformanceStyle("wide", stance=16.0, knees=20.0, join=True, reach=-10.0, rest="crossed", seat="kneeling"),
    PerformanceStyle("crouched", tempo=1.15, amplitude=0.85, knees=30.0, lean=10.0, reach=15.0, rest="front",
                     seat="cross_legged"),
)
"""The further performances of every class without styles of its own (tools.families.build_library)."""

_SPINE = ("spine1", "spine2", "spine3")
_OUTWARD = {"left": -1.0, "right": 1.0}  # the sign of a leg's outward spread about +Y (tools.authoring.leg)


def styled(spec: TemplateSpec, style: PerformanceStyle) -> TemplateSpec:
    """The action performed in `style`: a TemplateSpec of the same class, its keys solved and changed."""
    times = [t for t, _ in spec.keys]
    mine = [solve_pose(p) for _, p in spec.keys]
    theirs = [solve_pose(p) for p in spec.partner.keys] if spec.partner is not None else None
    repeats = style.repeats if _can_repeat(spec) else 0
    duration = spec.duration * style.tempo
    if repeats:
        times, mine, theirs, duration = _repeated(times, mine, theirs, duration, repeats)
    allowed = _Allowed(one_handed=bool(spec.props) or spec.id in ONE_HANDED, keeps_hands=spec.id in KEEPS_HANDS,
                       sits=can_sit(spec),
                       holding=frozenset(s for h in spec.props if h.actor == 0 for s in ("left", "right")
                                         if h.hand in (f"{s}_hand", "both_hands")))
    mine = _restyled(mine, style, spec.loops, allowed)
    keys = [(t, {SOLVED: pose}) for t, pose in zip(times, mine, strict=True)]
    partner = None
    if spec.partner is not None:
        partner = Partner([{SOLVED: pose} for pose in _restyled(theirs, style, spec.loops)], spec.partner.distance,
                          spec.partner.facing_deg, spec.partner.across)
    return keyframed(spec.id, spec.label, spec.description, duration, keys, loops=spec.loops,
                     randomization=spec.randomization, family=spec.family, props=spec.props, partner=partner)


def _can_repeat(spec: TemplateSpec) -> bool:
    # Held props are grabbed and released at key times: playing the keys twice would hold them wrongly.
    return not spec.loops and not spec.props and len(spec.keys) >= 3


Solved = tuple[np.ndarray, np.ndarray]


def _repeated(times: list[float], poses: list[Solved], partner: list[Solved] | None, duration: float,
              repeats: int) -> tuple[list[float], list[Solved], list[Solved] | None, float]:
    """The middle keys played 1 + `repeats` times, half way back to the first pose between plays; each gap
    between keys keeps its length in seconds."""
    seconds = [t * duration for t in times]

    def sequence(keys: list[Solved]) -> list[Solved]:
        inner = keys[1:-1]
        bridge = _halfway(keys[0], inner[0])
        out = [keys[0], *inner]
        for _ in range(repeats):
            out += [bridge, *inner]
        return out + [keys[-1]]

    gaps = np.diff(seconds)
    into, inner_gaps, out_of = gaps[0], list(gaps[1:-1]), gaps[-1]
    new_gaps = [into, *inner_gaps]
    for _ in range(repeats):
        new_gaps += [into / 2, into / 2, *inner_gaps]
    new_gaps.append(out_of)
    at = np.concatenate([[0.0], np.cumsum(new_gaps)])
    total = float(at[-1])
    return ([float(a / total) for a in at], sequence(poses), sequence(partner) if partner else None, total)


def _halfway(a: Solved, b: Solved) -> Solved:
    return quat.slerp(a[0], b[0], np.full(a[0].shape[:-1], 0.5)), (a[1] + b[1]) / 2


@dataclass(frozen=True)
class _Allowed:
    """What a class allows its arms and legs (tools.performance_arms, tools.performance_legs)."""

    one_handed: bool = True
    keeps_hands: bool = True
    sits: bool = False  # whether a seated style sits (can_sit)
    holding: frozenset[str] = frozenset()


def can_sit(spec: TemplateSpec) -> bool:
    """Whether the class's seated styles sit: a one-person class whose legs take no part in its keys and that
    is not done on the feet regardless (tools.performance_legs)."""
    if spec.partner is not None or spec.id in STANDS:
        return False
    poses = [solve_pose(p) for _, p in spec.keys]
    return legs_still(np.stack([p[0] for p in poses]), np.stack([p[1] for p in poses]), *_reference(poses, spec.loops))


def style_name(spec: TemplateSpec, style: PerformanceStyle) -> str:
    """The name of the class's performance in `style`: the seat's where it sits ("kneeling"), else the style's."""
    return style.seat if style.seat and can_sit(spec) else style.name


def _reference(poses: list[Solved], loops: bool) -> Solved:
    """The pose a style changes the keys about: the first key; a loop's average pose."""
    if not loops:
        return poses[0]
    cycle = poses[:-1]  # a loop's last key repeats its first
    return _mean_rotation(np.stack([p[0] for p in cycle])), np.mean([p[1] for p in cycle], axis=0)


def _restyled(poses: list[Solved], style: PerformanceStyle, loops: bool, allowed: _Allowed = _Allowed()
              ) -> list[Solved]:
    ref_local, ref_root = _reference(poses, loops)
    local = np.stack([p[0] for p in poses])
    root = np.stack([p[1] for p in poses])
    new_local = _scaled(ref_local, local, style.amplitude)
    new_root = ref_root + style.amplitude * (root - ref_root)
    seat = bool(style.seat) and allowed.sits
    if style.join or style.reach or style.rest or seat:
        use = arm_use(new_local, new_root, ref_local, ref_root, allowed.one_handed, allowed.holding,
                      allowed.keeps_hands)
        if seat:  # first, so that a rest (hands in front, crossed) replaces the seat's arms
            new_local, new_root = seated(new_local, new_root, ref_local, ref_root, style.seat, use)
        new_local = with_arms(new_local, new_root, use, style.join, style.reach, style.rest)
    new_local = _postured(new_local, style, legs=not seat)
    # Keep each key's lowest point where it was: feet on the floor, a jump as high as authored.
    new_root[:, 2] += _lowest(local, root) - _lowest(new_local, new_root)
    return list(zip(new_local, new_root, strict=True))


def _scaled(ref: np.ndarray, local: np.ndarray, amplitude: float) -> np.ndarray:
    """Each joint's turn from `ref` to `local` scaled by `amplitude`, at most MAX_TURN_DEG (or as authored)."""
    if amplitude == 1.0:
        return local.copy()
    delta = quat.multiply(quat.conjugate(ref), local)
    delta = np.where(delta[..., :1] < 0, -delta, delta)  # the short way round
    angle = quat.angle(delta)
    target = np.minimum(angle * amplitude, np.maximum(angle, np.radians(MAX_TURN_DEG)))
    fraction = np.divide(target, angle, out=np.ones_like(angle), where=angle > 1e-9)
    norm = np.linalg.norm(delta[..., 1:], axis=-1, keepdims=True)
    axis = np.where(norm > 1e-12, delta[..., 1:] / np.maximum(norm, 1e-12), np.array([1.0, 0.0, 0.0]))
    turned = quat.from_axis_angle(axis, angle * fraction)
    return quat.normalize(quat.multiply(ref, turned))


def _postured(local: np.ndarray, style: PerformanceStyle, legs: bool = True) -> np.ndarray:
    """(K, J, 4) rotations with the style's posture turned into the spine, hips, knees and ankles (the legs
    left as they are where `legs` is false: a seat's)."""
    out = local.copy()

    def turn(joint: str, degrees: tuple[float, float, float]) -> None:
        j = JOINT_INDEX[joint]
        out[:, j] = quat.normalize(quat.multiply(quat.from_euler_xyz(degrees), out[:, j]))

    if style.lean:
        for j in _SPINE:
            turn(j, (style.lean / len(_SPINE), 0.0, 0.0))
    for side, outward in _OUTWARD.items() if legs else ():
        if style.stance:
            turn(f"{side}_hip", (0.0, outward * style.stance, 0.0))
            turn(f"{side}_ankle", (0.0, -outward * style.stance, 0.0))
        if style.knees:
            turn(f"{side}_hip", (-style.knees / 2, 0.0, 0.0))
            turn(f"{side}_knee", (style.knees, 0.0, 0.0))
            turn(f"{side}_ankle", (-style.knees / 2, 0.0, 0.0))
    return out


def _mean_rotation(qs: np.ndarray) -> np.ndarray:
    """Per joint, the normalized sign-aligned average of (K, J, 4) rotations."""
    signs = np.where((qs * qs[:1]).sum(axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return quat.normalize((qs * signs).mean(axis=0))


def _lowest(local: np.ndarray, root: np.ndarray) -> np.ndarray:
    """The height of each key's lowest point, (K, J, 4) rotations and (K, 3) roots -> (K,)."""
    return posed_points(local, root)[..., 2].min(axis=1)


def performances_of(spec: TemplateSpec, styles: tuple[PerformanceStyle, ...] = STYLES
                    ) -> tuple[tuple[str, TemplateSpec], ...]:
    """The class's further performances, one per style: the first of the style's tries that passes the
    joint-limit and floor checks and is no near-duplicate of the class's own motion (else the first that
    passes the checks; else the last tried, which `synthact templates check` then reports). Each is named
    after its style, or its seat where it sits (style_name)."""
    main = played(spec)
    features: dict = {}  # the main motion's, measured once for every try
    out = []
    for style in styles:
        chosen = None
        for k, attempt in enumerate(style.tries()):
            performance = styled(spec, attempt)
            sampled = played(performance)
            if _findings(sampled):
                continue
            chosen = chosen or (attempt, performance)
            d, ang = template_distance(main, sampled, features, angles_within=DUPLICATE_DISTANCE_M,
                                       keys=("main", f"{style.name}:{k}"))
            if d >= DUPLICATE_DISTANCE_M or ang >= DUPLICATE_ANGLE_DEG:
                chosen = (attempt, performance)
                break
        attempt, performance = chosen or (attempt, performance)
        out.append((style_name(spec, attempt) if attempt.seat else style.name, performance))
    return tuple(out)


def problems(spec: TemplateSpec) -> list[str]:
    """The library's joint-limit and floor findings on the keys as Blender will play them."""
    return _findings(played(spec))


def _findings(sampled: ActionTemplate) -> list[str]:
    return [str(f) for f in joint_limit_findings(sampled) + ground_findings(sampled)]


def played(spec: TemplateSpec) -> ActionTemplate:
    """The motion Blender will export from the spec's keys: every rotation and root channel eased in and out
    of each key (sine), each key's rotations turned the short way from the key before (the first from rest),
    frames 1 to frame_count. Props are left out (the checks do not read them)."""
    frames = np.array(spec.key_frames(), dtype=np.float64)
    rot, root = _eased(frames, [solve_pose(p) for _, p in spec.keys], spec.frame_count)
    partner = None
    if spec.partner is not None:
        p_rot, p_root = _eased(frames, [spec.partner.placed(p) for p in spec.partner.keys], spec.frame_count)
        partner = PartnerMotion(rotations=_by_joint(p_rot), root_translation=p_root.tolist())
    return ActionTemplate(id=spec.id, label=spec.label, fps=FPS, frame_count=spec.frame_count, loops=spec.loops,
                          rotations=_by_joint(rot), root_translation=root.tolist(), randomization=spec.randomization,
                          partner=partner)


def _eased(key_frames: np.ndarray, keys: list[Solved], count: int) -> tuple[np.ndarray, np.ndarray]:
    q = np.stack([local for local, _ in keys])
    r = np.stack([root for _, root in keys])
    q[0] = np.where(q[0, :, :1] < 0, -q[0], q[0])
    for k in range(1, len(q)):
        q[k] = np.where((q[k] * q[k - 1]).sum(axis=-1, keepdims=True) < 0, -q[k], q[k])
    f = np.arange(1, count + 1, dtype=np.float64)
    i = np.clip(np.searchsorted(key_frames, f, side="right") - 1, 0, len(key_frames) - 2)
    u = np.clip((f - key_frames[i]) / (key_frames[i + 1] - key_frames[i]), 0.0, 1.0)
    w = (1.0 - np.cos(np.pi * u)) / 2.0
    rot = quat.normalize(q[i] + (q[i + 1] - q[i]) * w[:, None, None])
    return rot, r[i] + (r[i + 1] - r[i]) * w[:, None]


def _by_joint(rot: np.ndarray) -> dict[str, list[list[float]]]:
    return {name: rot[:, j].tolist() for j, name in enumerate(JOINT_NAMES)}


__all__ = ["STYLES", "PerformanceStyle", "Pose", "performances_of", "styled"]
