"""Further performances of every class from its own keys (tools/performance_styles.py): each style changes
what it says and nothing else, and a style the library checks refuse is made milder until they pass."""

import numpy as np
import pytest

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX
from render_farm.core.template.checks import DUPLICATE_ANGLE_DEG, DUPLICATE_DISTANCE_M, posed_points, template_distance
from tools.authoring import solve_pose
from tools.families import exercise, gestures, locomotion, postures
from tools.performance_styles import STYLES, PerformanceStyle, performances_of, played, problems, styled


def _keys(spec):
    return [solve_pose(p) for _, p in spec.keys]


def _same(q, r):
    return np.abs(np.abs((q * r).sum(axis=-1)) - 1.0).max() < 1e-9


def _lowest(keys):
    return np.array([posed_points(local[None], root[None])[..., 2].min() for local, root in keys])


def test_tempo_changes_the_duration_alone():
    spec = gestures.wave()
    slow = styled(spec, PerformanceStyle("slow", tempo=1.3))
    assert slow.duration == pytest.approx(spec.duration * 1.3)
    assert [t for t, _ in slow.keys] == [t for t, _ in spec.keys]
    for (a, ra), (b, rb) in zip(_keys(spec), _keys(slow), strict=True):
        assert _same(a, b) and np.allclose(ra, rb)


def test_amplitude_scales_every_turn_from_the_first_key():
    spec = gestures.wave()
    half = styled(spec, PerformanceStyle("half", amplitude=0.5))
    (ref, _), *_ = original = _keys(spec)
    for (a, _), (b, _) in zip(original, _keys(half), strict=True):
        turned = quat.angle(quat.multiply(quat.conjugate(ref), a))
        halved = quat.angle(quat.multiply(quat.conjugate(ref), b))
        assert np.allclose(halved, turned / 2, atol=1e-9)
    # The raised hand's highest point comes down: the wave is smaller.
    wrist = JOINT_INDEX["right_wrist"]
    top = lambda keys: max(posed_points(lo[None], r[None])[0, wrist, 2] for lo, r in keys)  # noqa: E731
    assert top(_keys(half)) < top(original) - 0.2


def test_a_scaled_turn_stops_at_170_degrees():
    """Amplitude 3 on a wave: turns under 170/3 degrees are tripled, the larger ones stop at 170 (or stay as
    authored, when they already pass it): none folds through."""
    spec = gestures.wave()
    big = styled(spec, PerformanceStyle("huge", amplitude=3.0))
    (ref, _), *_ = original = _keys(spec)
    crossed = 0
    for (a, _), (b, _) in zip(original, _keys(big), strict=True):
        turned = np.degrees(quat.angle(quat.multiply(quat.conjugate(ref), a)))
        scaled = np.degrees(quat.angle(quat.multiply(quat.conjugate(ref), b)))
        small = turned < 170 / 3
        assert np.allclose(scaled[small], 3 * turned[small], atol=1e-6)
        assert np.allclose(scaled[~small], np.maximum(turned[~small], 170.0), atol=1e-6)
        crossed += int((~small & (turned > 0.1)).sum())
    assert crossed >= 3  # the limit is crossed at several keys


def test_lean_turns_the_spine_and_the_feet_stay_where_they_were():
    spec = exercise.squat()
    leaning = styled(spec, PerformanceStyle("lean", lean=15.0))
    turn = quat.from_euler_xyz((5.0, 0.0, 0.0))
    original, lean = _keys(spec), _keys(leaning)
    for (a, _), (b, _) in zip(original, lean, strict=True):
        for joint in ("spine1", "spine2", "spine3"):
            j = JOINT_INDEX[joint]
            assert _same(quat.multiply(turn, a[j]), b[j])
        untouched = [JOINT_INDEX[n] for n in ("left_knee", "right_elbow", "head")]
        assert _same(a[untouched], b[untouched])
    assert np.allclose(_lowest(lean), _lowest(original), atol=1e-9)


def test_stance_and_knees_keep_every_key_on_the_floor():
    spec = gestures.wave()
    wide = styled(spec, PerformanceStyle("wide", stance=16.0, knees=20.0))
    original, changed = _keys(spec), _keys(wide)
    assert np.allclose(_lowest(changed), _lowest(original), atol=1e-9)
    ankles = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    feet = lambda keys: [np.ptp(posed_points(lo[None], r[None])[0, ankles, 0]) for lo, r in keys]  # noqa: E731
    assert min(feet(changed)) > max(feet(original)) + 0.2  # the feet are further apart at every key
    knee = JOINT_INDEX["left_knee"]
    assert all(np.degrees(quat.angle(lo[knee])) > 15 for lo, _ in changed)


def test_a_repeat_plays_the_middle_keys_again_and_keeps_each_gap():
    spec = postures.kneel_down()
    assert not spec.loops and len(spec.keys) >= 3
    twice = styled(spec, PerformanceStyle("twice", repeats=1))
    inner = len(spec.keys) - 2
    assert len(twice.keys) == len(spec.keys) + inner + 1  # the middle again, after one key half way back
    original, again = _keys(spec), _keys(twice)
    for k in range(inner):
        assert _same(again[1 + k][0], original[1 + k][0])
        assert _same(again[2 + inner + k][0], original[1 + k][0])
    seconds = np.diff([t for t, _ in spec.keys]) * spec.duration
    assert twice.duration == pytest.approx(spec.duration + seconds[:-1].sum())


def test_a_loop_keeps_its_keys_and_its_seam():
    spec = locomotion.walk()
    for style in STYLES:
        out = styled(spec, style)
        assert out.loops and len(out.keys) == len(spec.keys)
        (first, r0), *_, (last, r1) = _keys(out)
        assert _same(first, last)  # no seam where the cycle repeats


def test_a_style_the_checks_refuse_is_made_milder_until_they_pass():
    spec = postures.rise_from_kneeling()
    big = next(s for s in STYLES if s.name == "big")
    assert any("knee bends backwards" in p for p in problems(styled(spec, big)))
    chosen = dict(performances_of(spec, (big,)))["big"]
    assert problems(chosen) == []
    passing = next(t for t in big.tries() if not problems(styled(spec, t)))
    assert passing != big and passing.stance == big.stance  # milder turns, the posture kept
    assert chosen.duration == pytest.approx(styled(spec, passing).duration)
    for (a, ra), (b, rb) in zip(_keys(chosen), _keys(styled(spec, passing)), strict=True):
        assert _same(a, b) and np.allclose(ra, rb)


def test_a_repeat_that_cannot_pass_is_left_out_and_the_posture_kept():
    spec = postures.kneel_down()
    twice = next(s for s in STYLES if s.name == "twice")
    assert all(problems(styled(spec, twice.milder(f, posture=1.0))) for f in (1.0, 0.6, 0.3))
    chosen = dict(performances_of(spec, (twice,)))["twice"]
    assert problems(chosen) == [] and len(chosen.keys) == len(spec.keys)  # played once
    d, ang = template_distance(played(spec), played(chosen), angles_within=1.0, keys=("main", "twice"))
    assert d >= DUPLICATE_DISTANCE_M or ang >= DUPLICATE_ANGLE_DEG  # still a performance of its own


def test_played_keys_ease_in_and_out_of_each_key():
    spec = gestures.wave()
    sampled = played(spec)
    frames = spec.key_frames()
    rot = sampled.rotation_array()
    for frame, (local, _) in zip(frames, _keys(spec), strict=True):
        if frame <= spec.frame_count:
            assert _same(rot[frame - 1], local)
    # Half way between two keys the motion is half way (the sine easing is symmetric).
    a, b = frames[1], frames[2]
    if (b - a) % 2 == 0:
        mid = rot[(a + b) // 2 - 1]
        la, lb = _keys(spec)[1][0], _keys(spec)[2][0]
        lb = np.where((la * lb).sum(-1, keepdims=True) < 0, -lb, lb)
        assert _same(mid, quat.normalize(la + lb))
