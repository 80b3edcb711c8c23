"""The legs of a further performance (tools/performance_legs.py): an action whose legs take no part is done
kneeling or sitting cross-legged, its upper body as authored; an action whose legs take part, or that is done
on the feet, stands."""

import numpy as np
import pytest

from render_farm.core.geometry.skeleton import JOINT_INDEX
from render_farm.core.template.checks import posed_points
from tools.authoring import solve_pose
from tools.families import exercise, gestures, interactions, locomotion, objects
from tools.performance_arms import RESTS, WORKING_M, arm_use
from tools.performance_legs import LEGS, seat_pose
from tools.performance_styles import STYLES, PerformanceStyle, can_sit, performances_of, problems, style_name, styled

TRUNK = [JOINT_INDEX[n] for n in ("spine1", "spine2", "spine3", "neck", "head")]
WAVING = [JOINT_INDEX[n] for n in ("right_shoulder", "right_elbow", "right_wrist")]


def _keys(spec):
    return [solve_pose(p) for _, p in spec.keys]


def _same(q, r):
    return np.abs(np.abs((q * r).sum(axis=-1)) - 1.0).max() < 1e-9


@pytest.mark.parametrize("make", [gestures.wave, gestures.nod, objects.phone_call, gestures.clap])
def test_an_action_whose_legs_take_no_part_can_sit(make):
    assert can_sit(make())


@pytest.mark.parametrize("make", [locomotion.walk, locomotion.hop_on_left_leg, exercise.squat, exercise.kick,
                                  gestures.bow, exercise.jump_rope, exercise.calf_raises, interactions.handshake])
def test_an_action_with_its_legs_or_done_on_the_feet_stands(make):
    """Walking, hopping, squatting and kicking use the legs; a bow bends the body over; a jump rope's hop and
    a calf raise are a few centimetres in the keys, and stand by name; a two-person action keeps its pair."""
    spec = make()
    assert not can_sit(spec)
    style = PerformanceStyle("x", seat="kneeling")
    assert style_name(spec, style) == "x"
    if spec.partner is None:
        for (a, ra), (b, rb) in zip(_keys(spec), _keys(styled(spec, style)), strict=True):
            assert _same(a, b) and np.allclose(ra, rb)


@pytest.mark.parametrize("seat", ["kneeling", "cross_legged"])
def test_a_seated_wave_keeps_its_upper_body_and_takes_the_seats_legs(seat):
    spec = gestures.wave()
    sitting = styled(spec, PerformanceStyle("x", seat=seat))
    legs, seat_root = seat_pose(seat)
    at_rest = posed_points(legs[None], seat_root[None])[0]
    height = at_rest[JOINT_INDEX["pelvis"], 2] - at_rest[..., 2].min()  # the pelvis above the seat's lowest point
    assert {"kneeling": 0.35 < height < 0.6, "cross_legged": 0.05 < height < 0.2}[seat]
    travel = arm_use(*(np.stack(k) for k in zip(*_keys(spec), strict=True)), *_keys(spec)[0], False).travel["right"]
    assert travel.min() == 0.0 and travel.max() > 0.8
    for (a, ra), (b, rb), far in zip(_keys(spec), _keys(sitting), travel, strict=True):
        assert _same(b[[JOINT_INDEX[n] for n in LEGS]], legs[[JOINT_INDEX[n] for n in LEGS]])
        assert _same(b[TRUNK], a[TRUNK])
        # The waving arm as authored where it waves; where it hangs, resting on the knee as the seat has it.
        assert _same(b[WAVING], a[WAVING] if far >= WORKING_M else legs[WAVING])
        points, standing = posed_points(b[None], rb[None])[0], posed_points(a[None], ra[None])[0]
        assert points[JOINT_INDEX["pelvis"], 2] - points[..., 2].min() == pytest.approx(height, abs=1e-6)
        assert points[..., 2].min() == pytest.approx(standing[..., 2].min(), abs=1e-9)  # on the floor as standing
        assert points[JOINT_INDEX["head"], 2] < standing[JOINT_INDEX["head"], 2] - 0.3  # lower down
    assert problems(sitting) == []
    # The waving hand is as far above the pelvis as standing: the wave is the same, lower down.
    hand, pelvis = JOINT_INDEX["right_hand"], JOINT_INDEX["pelvis"]
    rise = [posed_points(lo[None], r[None])[0, hand, 2] - posed_points(lo[None], r[None])[0, pelvis, 2]
            for lo, r in _keys(sitting)]
    stand = [posed_points(lo[None], r[None])[0, hand, 2] - posed_points(lo[None], r[None])[0, pelvis, 2]
             for lo, r in _keys(spec)]
    assert np.allclose(rise[1:-1], stand[1:-1], atol=0.05)


def test_free_hands_of_a_seated_action_rest_on_the_seat_unless_the_style_rests_them():
    """Sitting cross-legged, nod's hanging hands would go into the floor: they take the seat's pose (on the
    knees); a style that rests them (arms crossed) keeps its rest."""
    spec = gestures.nod()
    seat, _ = seat_pose("cross_legged")
    arm = [JOINT_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("shoulder", "elbow")]
    for local, _ in _keys(styled(spec, PerformanceStyle("x", seat="cross_legged"))):
        assert _same(local[arm], seat[arm])
    crossed, _ = solve_pose(RESTS["crossed"])
    for local, _ in _keys(styled(spec, PerformanceStyle("x", seat="cross_legged", rest="crossed"))):
        assert _same(local[arm], crossed[arm]) and not _same(local[arm], seat[arm])


def test_seated_performances_are_named_after_their_seat():
    names = [name for name, _ in performances_of(gestures.beckon(), STYLES)]
    assert names == ["brisk", "gentle", "big", "small", "twice", "leaning", "kneeling", "cross_legged"]
    names = [name for name, _ in performances_of(exercise.squat(), STYLES[-2:])]
    assert names == ["wide", "crouched"]


def test_an_unknown_seat_is_named():
    with pytest.raises(ValueError, match="no seat 'stool': one of \\['cross_legged', 'kneeling'\\]"):
        seat_pose("stool")
