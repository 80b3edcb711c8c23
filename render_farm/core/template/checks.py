"""Checks of a template's motion and of a library's distinctness (numpy only, no rendering).

Motion features: the template posed on the reference body, sampled at FEATURE_FRAMES points over its
duration (one cycle of a looping action), as the positions of every joint, of the tips of the head,
hands and feet and of the face; turned so the hips face the same way at the first frame, and taken relative to the
pelvis's ground position frame by frame, with the pelvis's horizontal velocity as one more point. A
two-person action carries both actors.

Distance between two motions: the largest, over points, of the root-mean-square distance over time,
in metres, minimised over small timing shifts (any cyclic shift for loops) and over mirroring where a
template allows it. It is large when any body part moves differently, however small the part.

Two templates are near-duplicates when their points are within DUPLICATE_DISTANCE_M and, joint by
joint, their rotations are within DUPLICATE_ANGLE_DEG (the same largest-RMS measure on angles). The
angle test keeps the distance test from firing on small gestures that differ in one joint only (a nod
and a head shake move the head tip 6 cm apart but turn the neck 30 degrees apart); joint noise of a
few degrees, which the positions amplify along the arm, stays well inside both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import END_BONES, JOINT_INDEX, NUM_JOINTS, REFERENCE_REST_JOINTS
from render_farm.core.scene import motion
from render_farm.core.template.model import ActionTemplate

FEATURE_FRAMES = 32
SHIFT_FRAMES = 3  # one-shots: timing shifts of up to 3 of 32 samples (about 10% of the action) are forgiven
VELOCITY_SCALE_S = 0.25  # the pelvis's ground velocity (m/s) counts as a point moved over this time
# Measured on the built-in library: a class copied with 2 degrees of joint noise is at most 4.8 cm and 2
# degrees from the original; the closest distinct classes are 5.7 cm (and 30 degrees) apart.
DUPLICATE_DISTANCE_M = 0.08
DUPLICATE_ANGLE_DEG = 6.0
# Joint limits (degrees): how far a knee or an elbow may bend the wrong way, and the head turn off the trunk.
KNEE_BACKWARD_DEG = 15.0
ELBOW_BACKWARD_DEG = 25.0
HEAD_OFF_TRUNK_DEG = 100.0
# Ground contact on the reference body: no joint deeper than SINK_M below the floor; the lowest joint not
# above AIRBORNE_M for longer than MAX_AIRBORNE_S (a jump) at a time.
SINK_M = 0.06
AIRBORNE_M = 0.15
MAX_AIRBORNE_S = 0.8
_TIPS = tuple(END_BONES)
FACE_OFFSET_M = (0.0, -0.12, 0.08)  # from the head joint: the nose, so a head turned about the vertical shows


@dataclass(frozen=True)
class Finding:
    template_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.template_id}: {self.message}"


def _sample(t: ActionTemplate) -> np.ndarray:
    n = t.frame_count
    if t.loops:
        return np.linspace(0.0, n, FEATURE_FRAMES, endpoint=False)
    return np.linspace(0.0, n - 1, FEATURE_FRAMES)


def _partner_template(t: ActionTemplate) -> ActionTemplate:
    """The partner's motion as a template of its own, to resample it the same way."""
    return t.model_copy(update={"rotations": t.partner.rotations, "root_translation": t.partner.root_translation,
                                "partner": None, "props": []})


def posed_points(rotations: np.ndarray, translation: np.ndarray, rest: np.ndarray = REFERENCE_REST_JOINTS
                 ) -> np.ndarray:
    """Joints, end-bone tips and the face (T, 30, 3) of a posed body."""
    pos, glob = kinematics.forward_kinematics(rest, rotations, translation)
    tips = [pos[:, JOINT_INDEX[name]] + quat.rotate(glob[:, JOINT_INDEX[name]], np.asarray(d) * length)
            for name, (d, length) in END_BONES.items()]
    head = JOINT_INDEX["head"]
    tips.append(pos[:, head] + quat.rotate(glob[:, head], np.asarray(FACE_OFFSET_M)))  # where the face looks
    return np.concatenate([pos, np.stack(tips, axis=1)], axis=1)


POSE_BATCH_FRAMES = 8192  # frames posed in one call: enough to spread the per-joint overhead, little memory


def posed_points_many(motions: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """posed_points of many motions ((T, 24, 4) rotations, (T, 3) root translation each), the same values:
    every frame is posed on its own, so frames of many motions go through one call, which spends its time
    on 24 joints' worth of numpy calls, not on the frames (a library check poses thousands of motions)."""
    out: list[np.ndarray] = []
    start = 0
    while start < len(motions):
        stop, frames = start, 0
        while stop < len(motions) and (stop == start or frames + len(motions[stop][0]) <= POSE_BATCH_FRAMES):
            frames += len(motions[stop][0])
            stop += 1
        chunk = motions[start:stop]
        points = posed_points(np.concatenate([np.asarray(r, dtype=np.float64) for r, _ in chunk]),
                              np.concatenate([np.asarray(t, dtype=np.float64) for _, t in chunk]))
        out += np.split(points, np.cumsum([len(r) for r, _ in chunk])[:-1])
        start = stop
    return out


def normalized(points: list[np.ndarray], duration_s: float) -> np.ndarray:
    """Features (T, P, 3) from posed points of each actor (T, 29, 3): heading turned so the first actor's hips
    face -Y at the first frame, every point relative to the first actor's pelvis on the ground, plus its velocity."""
    first = points[0]
    hips = first[0, JOINT_INDEX["left_hip"]] - first[0, JOINT_INDEX["right_hip"]]
    yaw = np.arctan2(hips[1], hips[0])
    c, s = np.cos(-yaw), np.sin(-yaw)
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    pelvis = first[:, 0].copy()
    pelvis[:, 2] = 0.0
    rel = [(p - pelvis[:, None, :]) @ turn.T for p in points]
    frames = first.shape[0]
    dt = duration_s / max(frames - 1, 1)
    if dt > 0:
        velocity = np.gradient(pelvis @ turn.T, axis=0) / dt * VELOCITY_SCALE_S
    else:  # a one-frame template is a pose held: it takes no time and does not move
        velocity = np.zeros_like(pelvis)
    return np.concatenate(rel + [velocity[:, None, :]], axis=1)


def _sampled_actors(t: ActionTemplate, mirrored: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every actor's rotations and root translation at the feature samples, mirrored when asked."""
    positions = _sample(t)
    out = []
    for a in [t] if t.partner is None else [t, _partner_template(t)]:
        rot, trans = motion.resample(a, positions)
        out.append(motion.mirror(rot, trans) if mirrored else (rot, trans))
    return out


def template_features(t: ActionTemplate, mirrored: bool = False) -> np.ndarray:
    return many_template_features([t], mirrored)[0]


def many_template_features(templates: list[ActionTemplate], mirrored: bool = False) -> list[np.ndarray]:
    """template_features of each template, every actor of every template posed in one batch."""
    actors = [_sampled_actors(t, mirrored) for t in templates]
    points = iter(posed_points_many([m for a in actors for m in a]))
    out = []
    for t, a in zip(templates, actors, strict=True):
        duration = t.duration * (1.0 if t.loops else (t.frame_count - 1) / t.frame_count)
        out.append(normalized([next(points) for _ in a], duration))
    return out


def _aligned(a: np.ndarray, b: np.ndarray, loops: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The two sequences at every timing shift allowed: any cyclic shift for loops, up to SHIFT_FRAMES for
    one-shots (over the frames they then share)."""
    for s in range(FEATURE_FRAMES) if loops else range(-SHIFT_FRAMES, SHIFT_FRAMES + 1):
        if loops:
            yield a, np.roll(b, s, axis=0)
        elif s >= 0:
            yield a[s:], b[:FEATURE_FRAMES - s]
        else:
            yield a[:s], b[-s:]


def feature_distance(a: np.ndarray, b: np.ndarray, loops: bool) -> float:
    """Largest per-point RMS distance over time, minimised over timing shifts."""
    if a.shape != b.shape:
        return float("inf")
    return min(float(np.sqrt(((x - y) ** 2).sum(axis=-1).mean(axis=0)).max()) for x, y in _aligned(a, b, loops))


def template_angles(t: ActionTemplate, mirrored: bool = False) -> np.ndarray:
    """Local joint rotations (T, joints, 4) at the feature samples, every actor, the root left out (its turn
    is in the positions)."""
    return np.concatenate([rot[:, 1:] for rot, _ in _sampled_actors(t, mirrored)], axis=1)


def angle_distance(a: np.ndarray, b: np.ndarray, loops: bool) -> float:
    """Largest per-joint RMS rotation difference over time (degrees), minimised over timing shifts."""
    if a.shape != b.shape:
        return float("inf")
    return min(float(np.degrees(np.sqrt((quat.angle(quat.multiply(quat.conjugate(x), y)) ** 2).mean(axis=0)).max()))
               for x, y in _aligned(a, b, loops))


def template_distance(a: ActionTemplate, b: ActionTemplate, cache: dict | None = None,
                      angles_within: float = float("inf"), keys: tuple[str, str] | None = None
                      ) -> tuple[float, float]:
    """How different two templates look (metres, degrees), over the variants the farm may render (mirrored
    where allowed): the variant pair closest in positions. The angle is only measured for a pair closer
    than `angles_within` metres (else it is infinite): the slow part, needed for close pairs only. `keys`
    name the two motions in `cache` (default: their ids; a performance needs a name of its own)."""
    cache = {} if cache is None else cache
    keys = keys or (a.id, b.id)

    def feats(t: ActionTemplate, key: str, mirrored: bool) -> tuple[np.ndarray, np.ndarray]:
        if (key, mirrored) not in cache:
            cache[key, mirrored] = template_features(t, mirrored), template_angles(t, mirrored)
        return cache[key, mirrored]

    loops = a.loops and b.loops
    variants = [False, True] if a.randomization.mirror or b.randomization.mirror else [False]
    best = (float("inf"), float("inf"))
    for mirrored in variants:
        (pa, ra), (pb, rb) = feats(a, keys[0], mirrored), feats(b, keys[1], False)
        d = feature_distance(pa, pb, loops)
        if d < best[0]:
            best = (d, angle_distance(ra, rb, loops) if d < angles_within else float("inf"))
    return best


def performances(templates: list[ActionTemplate]) -> list[tuple[str, ActionTemplate]]:
    """Every performance of every template as (name, motion): the template's id for a class of one
    performance, 'id:name' where a class has several ('id:main' its own motion)."""
    out = []
    for t in templates:
        if t.performance_count == 1:
            out.append((t.id, t))
        else:
            out += [(f"{t.id}:{t.performance_name(k)}", t.performance(k)) for k in range(t.performance_count)]
    return out


def near_duplicates(templates: list[ActionTemplate], threshold: float = DUPLICATE_DISTANCE_M,
                    angle_threshold: float = DUPLICATE_ANGLE_DEG) -> list[tuple[str, str, float, float]]:
    """Pairs of performances within both thresholds (name, name, metres, degrees), closest first: two
    performances of one class as much as two classes. The same measure as `template_distance`, taken for
    every pair at once (`_pairwise_distances`): a library of 1,400 performances has a million pairs."""
    views = performances(templates)
    out = []
    by_shape: dict[tuple[int, ...], list[int]] = {}
    plain = many_template_features([t for _, t in views])
    mirrored = many_template_features([t for _, t in views], True)
    for i, f in enumerate(plain):
        by_shape.setdefault(f.shape, []).append(i)
    for members in by_shape.values():  # one- and two-person motions never compare (an infinite distance)
        ts = [views[i][1] for i in members]
        a = np.stack([plain[i] for i in members])
        a_mirrored = np.stack([mirrored[i] for i in members])
        loops = np.array([t.loops for t in ts])
        mirror = np.array([t.randomization.mirror for t in ts])
        d_plain = _pairwise_distances(a, a, loops)
        d_mirrored = np.where(mirror[:, None] | mirror[None, :], _pairwise_distances(a_mirrored, a, loops), np.inf)
        use_mirror = d_mirrored < d_plain  # as template_distance: mirrored only where strictly closer
        d = np.where(use_mirror, d_mirrored, d_plain)
        for i, j in zip(*np.nonzero(np.triu(d < threshold, k=1)), strict=True):
            (name_a, ta), (name_b, tb) = views[members[i]], views[members[j]]
            ang = angle_distance(template_angles(ta, bool(use_mirror[i, j])), template_angles(tb),
                                 ta.loops and tb.loops)
            if ang < angle_threshold:
                out.append((name_a, name_b, float(d[i, j]), ang))
    return sorted(out, key=lambda x: x[2])


def _pairwise_distances(a: np.ndarray, b: np.ndarray, loops: np.ndarray) -> np.ndarray:
    """feature_distance(a[i], b[j], loops[i] and loops[j]) for every i, j: (n, T, P, 3) features -> (n, n).
    Per point and timing shift, the summed squared difference is |x|^2 + |y|^2 - 2 x.y, the last term one
    matrix product for all pairs."""
    best = np.full((a.shape[0], b.shape[0]), np.inf)
    for s in range(-SHIFT_FRAMES, SHIFT_FRAMES + 1):
        x, y = (a[:, s:], b[:, :a.shape[1] - s]) if s >= 0 else (a[:, :s], b[:, -s:])
        np.minimum(best, _largest_rms(x, y), out=best)
    cyclic = np.flatnonzero(loops)  # two loops compare at every cyclic shift, and only so
    if cyclic.size:
        la, lb = a[cyclic], b[cyclic]
        best[np.ix_(cyclic, cyclic)] = np.min([_largest_rms(la, np.roll(lb, s, axis=1))
                                               for s in range(FEATURE_FRAMES)], axis=0)
    return best


def _largest_rms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The largest per-point RMS distance over time between every x[i] and y[j], (n, T, P, 3) -> (n, m)."""
    frames, points = x.shape[1], x.shape[2]
    xs = np.ascontiguousarray(x.transpose(2, 0, 1, 3)).reshape(points, x.shape[0], -1)
    ys = np.ascontiguousarray(y.transpose(2, 0, 1, 3)).reshape(points, y.shape[0], -1)
    worst = np.zeros((x.shape[0], y.shape[0]))
    for xp, yp in zip(xs, ys, strict=True):
        sq = xp @ yp.T
        sq *= -2.0
        sq += (xp * xp).sum(axis=1)[:, None]
        sq += (yp * yp).sum(axis=1)[None, :]
        np.maximum(worst, sq, out=worst)
    return np.sqrt(np.maximum(worst, 0.0) / frames)


def _swing_toward(local: np.ndarray, bone: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Degrees the bone is turned towards `axis` (in the parent's frame) by the local rotations (T, 4)."""
    moved = quat.rotate(local, np.broadcast_to(bone, local[..., :3].shape))
    return np.degrees(np.arcsin(np.clip(moved @ axis, -1.0, 1.0)))


def joint_limit_findings(t: ActionTemplate) -> list[Finding]:
    """Knees and elbows bent the wrong way, and a head turned into the trunk."""
    out = []
    actors = _actors(t)
    for who, a in actors:
        rot = a.rotation_array()
        for side in ("left", "right"):
            # At rest the shin hangs down (-Z); a knee bends it backwards (+Y). Forwards (-Y) is the wrong way.
            wrong = _swing_toward(rot[:, JOINT_INDEX[f"{side}_knee"]], np.array([0.0, 0.0, -1.0]),
                                  np.array([0.0, -1.0, 0.0]))
            if (k := int(np.argmax(wrong))) is not None and wrong[k] > KNEE_BACKWARD_DEG:
                out.append(Finding(t.id, f"{who}{side} knee bends backwards by {wrong[k]:.0f} degrees at frame {k} "
                                         f"(limit {KNEE_BACKWARD_DEG:g})"))
            # At rest the forearm points out along the arm (+-X), palm down; an elbow folds it forwards (-Y).
            out_x = 1.0 if side == "left" else -1.0
            wrong = _swing_toward(rot[:, JOINT_INDEX[f"{side}_elbow"]], np.array([out_x, 0.0, 0.0]),
                                  np.array([0.0, 1.0, 0.0]))
            if (k := int(np.argmax(wrong))) is not None and wrong[k] > ELBOW_BACKWARD_DEG:
                out.append(Finding(t.id, f"{who}{side} elbow bends backwards by {wrong[k]:.0f} degrees at frame {k} "
                                         f"(limit {ELBOW_BACKWARD_DEG:g})"))
        head = quat.multiply(rot[:, JOINT_INDEX["neck"]], rot[:, JOINT_INDEX["head"]])
        angle = np.degrees(quat.angle(head))
        if (k := int(np.argmax(angle))) is not None and angle[k] > HEAD_OFF_TRUNK_DEG:
            out.append(Finding(t.id, f"{who}head turns {angle[k]:.0f} degrees off the trunk at frame {k}, into "
                                     f"the body (limit {HEAD_OFF_TRUNK_DEG:g})"))
    return out


def _actors(t: ActionTemplate) -> list[tuple[str, ActionTemplate]]:
    return [("", t)] + ([("partner ", _partner_template(t))] if t.partner is not None else [])


def ground_findings(t: ActionTemplate, points: list[np.ndarray] | None = None) -> list[Finding]:
    """Sinking into the floor, or floating above it for longer than a jump. `points`: each actor's posed
    points at every frame, when the caller posed them already (posed_points_many)."""
    out = []
    actors = _actors(t)
    if points is None:
        points = posed_points_many([(a.rotation_array(), a.translation_array()) for _, a in actors])
    for (who, _), pts in zip(actors, points, strict=True):
        low = pts[..., 2].min(axis=1)
        if (k := int(np.argmin(low))) is not None and low[k] < -SINK_M:
            out.append(Finding(t.id, f"{who}sinks {-low[k]:.2f} m into the floor at frame {k}"))
        air = low > AIRBORNE_M
        run = longest = 0
        for flag in air:
            run = run + 1 if flag else 0
            longest = max(longest, run)
        if longest / t.fps > MAX_AIRBORNE_S:
            out.append(Finding(t.id, f"{who}floats above the floor for {longest / t.fps:.1f} s (lowest point over "
                                     f"{AIRBORNE_M:g} m; a jump takes at most {MAX_AIRBORNE_S:g} s)"))
    return out


def check_library(templates: list[ActionTemplate], threshold: float = DUPLICATE_DISTANCE_M) -> list[str]:
    """Every problem of a library, one line each: joint limits, ground contact, near-duplicate pairs."""
    lines = []
    views = performances(templates)
    actors = [_actors(t) for _, t in views]
    points = iter(posed_points_many([(a.rotation_array(), a.translation_array()) for each in actors
                                     for _, a in each]))
    for (name, t), each in zip(views, actors, strict=True):
        found = joint_limit_findings(t) + ground_findings(t, [next(points) for _ in each])
        lines += [f"{name}: {f.message}" for f in found]
    for a, b, d, ang in near_duplicates(templates, threshold):
        what = "performances of one class" if a.split(":")[0] == b.split(":")[0] else "of two classes"
        lines.append(f"{a} and {b} are near-duplicates ({what}): no body point differs by more than "
                     f"{d * 100:.1f} cm RMS and no joint by more than {ang:.1f} degrees (distinct motions differ by "
                     f"{threshold * 100:g} cm or {DUPLICATE_ANGLE_DEG:g} degrees)")
    return lines


assert NUM_JOINTS == 24 and len(_TIPS) == 5
