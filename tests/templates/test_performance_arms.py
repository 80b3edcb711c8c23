"""The arms of a further performance (tools/performance_arms.py): which hands an action works with is read
from its keys; the idle hand joins a one-handed action, the working hands are carried higher or lower, the
free hands rest somewhere, each only where the action allows it."""

import numpy as np
import pytest

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX
from render_farm.core.template.checks import posed_points
from tools.authoring import solve_pose
from tools.families import exercise, gestures, locomotion, objects
from tools.performance_arms import ARM_CHAIN, RESTS, arm_use
from tools.performance_styles import STYLES, PerformanceStyle, performances_of, problems, styled

PELVIS, HAND = JOINT_INDEX["pelvis"], {s: JOINT_INDEX[f"{s}_hand"] for s in ("left", "right")}
_MIRROR = np.array([1.0, 1.0, -1.0, -1.0])


def _keys(spec):
    return [solve_pose(p) for _, p in spec.keys]


def _points(spec):
    return [posed_points(local[None], root[None])[0] for local, root in _keys(spec)]


def _same(q, r):
    return np.abs(np.abs((q * r).sum(axis=-1)) - 1.0).max() < 1e-9


def _chain(side):
    return [JOINT_INDEX[f"{side}_{part}"] for part in ARM_CHAIN]


def _use(spec, one_handed=False, holding=frozenset(), keeps_hands=False):
    keys = _keys(spec)
    local, root = np.stack([k[0] for k in keys]), np.stack([k[1] for k in keys])
    return arm_use(local, root, local[0], root[0], one_handed, holding, keeps_hands)


def test_the_working_hand_is_read_from_the_keys():
    assert _use(gestures.beckon()).working == ("right",) and _use(gestures.beckon()).joinable == "right"
    assert _use(gestures.raise_left_hand()).working == ("left",)
    assert _use(gestures.cheer()).working == ("left", "right") and _use(gestures.cheer()).joinable is None
    assert _use(gestures.nod()).working == () and _use(gestures.nod()).free == ("left", "right")


def test_the_idle_hand_joins_a_one_handed_action_mirrored():
    spec = gestures.stop_sign()
    both = styled(spec, PerformanceStyle("both", join=True))
    for (a, _), (b, _) in zip(_keys(spec), _keys(both), strict=True):
        assert _same(b[_chain("left")], a[_chain("right")] * _MIRROR)  # the left arm plays the right's, mirrored
        assert _same(b[_chain("right")], a[_chain("right")])
        others = [j for j in range(24) if j not in _chain("left")]
        assert _same(b[others], a[others])
    # The left hand now travels as far as the right: out in front, at the same height.
    peak = max(_points(both), key=lambda p: p[HAND["right"], 1] * -1)
    assert peak[HAND["left"], 2] == pytest.approx(peak[HAND["right"], 2], abs=0.02)
    assert peak[HAND["left"], 0] == pytest.approx(-peak[HAND["right"], 0], abs=0.03)


@pytest.mark.parametrize("make", [gestures.salute, gestures.wave, gestures.cough, objects.drink_from_cup])
def test_a_hand_that_must_stay_alone_is_not_joined(make):
    """A salute and a wave mean one hand (wave_both_hands is a class of its own); a cough's hand is at the
    mouth, where a second would meet it; a cup is held in one hand."""
    spec = make()
    joined = styled(spec, PerformanceStyle("both", join=True))
    for (a, ra), (b, rb) in zip(_keys(spec), _keys(joined), strict=True):
        assert _same(a, b) and np.allclose(ra, rb)


@pytest.mark.parametrize("degrees", [20.0, -20.0])
def test_reach_turns_the_working_arm_in_proportion_to_how_far_its_hand_travels(degrees):
    spec = gestures.beckon()
    reached = styled(spec, PerformanceStyle("reach", reach=degrees))
    travel = _use(spec).travel["right"]
    shoulder = JOINT_INDEX["right_shoulder"]
    turned = [np.degrees(quat.angle(quat.multiply(b[shoulder], quat.conjugate(a[shoulder]))))
              for (a, _), (b, _) in zip(_keys(spec), _keys(reached), strict=True)]
    assert np.allclose(turned, abs(degrees) * travel / travel.max(), atol=1e-6)
    before, after = _points(spec), _points(reached)
    assert np.allclose(before[0], after[0])  # the start is where it was
    furthest = int(np.argmax(travel))
    rise = after[furthest][HAND["right"], 2] - before[furthest][HAND["right"], 2]
    assert np.sign(rise) == np.sign(degrees) and abs(rise) > 0.05
    idle = [b[HAND["left"]] - a[HAND["left"]] for a, b in zip(before, after, strict=True)]
    assert np.abs(idle).max() < 1e-9  # the idle hand stays


def test_reach_keeps_an_arm_clear_of_straight_up():
    """point_forward's arm is level at the furthest point: 85 degrees higher would be 5 from straight up, so
    it stops 15 degrees short of it; raise_right_hand's arm, already 10 degrees from it, stays."""

    def from_up(spec):
        out = []
        for p in _points(spec):
            upper = p[JOINT_INDEX["right_elbow"]] - p[JOINT_INDEX["right_shoulder"]]
            out.append(np.degrees(np.arccos(upper[2] / np.linalg.norm(upper))))
        return np.array(out)

    point = from_up(styled(gestures.point_forward(), PerformanceStyle("reach", reach=85.0)))
    assert point.min() == pytest.approx(15.0, abs=1e-6)
    raised = gestures.raise_right_hand()
    assert np.allclose(from_up(styled(raised, PerformanceStyle("reach", reach=40.0))), from_up(raised))
    assert from_up(raised).min() < 15.0


@pytest.mark.parametrize("make", [gestures.scratch_head, gestures.touch_head, gestures.facepalm, gestures.cover_ears])
def test_a_hand_touching_the_body_keeps_its_height(make):
    spec = make()
    assert not _use(spec).reachable
    reached = styled(spec, PerformanceStyle("reach", reach=25.0))
    for (a, _), (b, _) in zip(_keys(spec), _keys(reached), strict=True):
        assert _same(a, b)


@pytest.mark.parametrize("rest", ["hips", "front", "behind", "crossed"])
def test_free_hands_rest_in_place_through_the_action(rest):
    """Walking with the hands on the hips, in front, behind the back or the arms crossed: the arms stop
    swinging, each wrist is where the rest puts it relative to the chest, and the legs walk as before."""
    spec = locomotion.walk()
    resting = styled(spec, PerformanceStyle(rest, rest=rest))
    place, _ = solve_pose(RESTS[rest])
    for (a, _), (b, _) in zip(_keys(spec), _keys(resting), strict=True):
        for side in ("left", "right"):
            assert _same(b[_chain(side)], place[_chain(side)])
        legs = [JOINT_INDEX[n] for n in ("left_hip", "right_knee", "spine2", "head")]
        assert _same(a[legs], b[legs])
    assert problems(resting) == []


def test_crossed_arms_need_both_hands_free_and_one_free_hand_rests_alone():
    spec = gestures.beckon()
    for (a, _), (b, _) in zip(_keys(spec), _keys(styled(spec, PerformanceStyle("x", rest="crossed"))), strict=True):
        assert _same(a, b)
    hips, _ = solve_pose(RESTS["hips"])
    for (a, _), (b, _) in zip(_keys(spec), _keys(styled(spec, PerformanceStyle("x", rest="hips"))), strict=True):
        assert _same(b[_chain("left")], hips[_chain("left")]) and _same(b[_chain("right")], a[_chain("right")])


@pytest.mark.parametrize(("make", "why"), [
    (exercise.push_up, "not upright"), (exercise.mountain_climbers, "not upright"),
    (gestures.touch_left_knee, "touches a knee"), (exercise.jump_rope, "keeps its hands"),
    (objects.carry_box, "holds a prop"),
])
def test_hands_that_bear_weight_touch_the_legs_or_hold_something_are_not_free(make, why):
    spec = make()
    holding = frozenset(s for h in spec.props for s in ("left", "right") if h.hand in (f"{s}_hand", "both_hands"))
    assert _use(spec, holding=holding, keeps_hands=spec.id == "jump_rope").free == (), why
    if spec.props or spec.id == "jump_rope":  # the styles read these from the class
        rested = styled(spec, PerformanceStyle("x", rest="hips"))
        for (a, _), (b, _) in zip(_keys(spec), _keys(rested), strict=True):
            assert _same(a, b)


def test_every_style_with_arms_passes_the_checks_on_classes_it_changes():
    """Each further performance of a sample that every arm change reaches passes the joint-limit and floor
    checks (the library check holds every class; this names the style that broke one)."""
    for make in (gestures.beckon, gestures.nod, locomotion.walk, gestures.fist_pump, objects.phone_call):
        for name, performance in performances_of(make(), STYLES):
            assert problems(performance) == [], (make.__name__, name)
