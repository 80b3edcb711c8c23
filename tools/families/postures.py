"""Posture changes: sitting, lying, kneeling, crouching and falling, and getting back up."""

from __future__ import annotations

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    LEANING,
    SEATED,
    STAND,
    Dir,
    Euler,
    Pose,
    TemplateSpec,
    _crouch,
    _leg,
    _merge,
    arm,
    head,
    keyframed,
    leg,
    merge,
    reach,
    spine,
    spread,
)

PELVIS_REST_Z = 0.877


def _rand(mirror: bool = True) -> RandomizationRanges:
    return RandomizationRanges(speed=(0.9, 1.15), mirror=mirror, joint_noise_deg=2.0)


def _at(z: float) -> float:
    """A root height that puts the pelvis `z` metres above the ground."""
    return z - PELVIS_REST_Z


FLOOR_SIT: Pose = merge(
    leg("left", 85, 10, 0, 5), leg("right", 85, 10, 0, 5), spine(forward=-10),
    arm("left", (0.35, -0.5, -1.0), (0.2, -0.3, -1.0)), arm("right", (0.35, -0.5, -1.0), (0.2, -0.3, -1.0)),
    {"root": (0.0, 0.1, _at(0.12))},
)
LYING_BACK: Pose = merge(
    leg("left", 0, 3, 30), leg("right", 0, 3, 30), {"pelvis": Euler(-88, 0, 0), "root": (0.0, 0.45, _at(0.11))},
    arm("left", (0.4, 0.0, -0.1)), arm("right", (0.4, 0.0, -0.1)), head(nod=10),
)
KNEELING: Pose = merge(
    leg("left", 0, 92, -55), leg("right", 0, 92, -55), {"root": (0.0, 0.02, _at(0.47))},
    arm("left", (0.12, 0.1, -1.0)), arm("right", (0.12, 0.1, -1.0)),
)
ONE_KNEE: Pose = merge(
    leg("left", 85, 90, 0), leg("right", 5, 95, -55), {"root": (0.0, 0.05, _at(0.5))},
    reach("left", 0.15, 0.3, 0.9 + 0.39, 0.3), arm("right", (0.15, 0.05, -1.0)),
)
CROSS_LEGGED: Pose = merge(  # sitting on the floor, thighs out, each shin folded in across the body, hands on the knees
    {"left_hip": Euler(-100, 75, 20), "right_hip": Euler(-100, -75, -20), "left_knee": Euler(120, 0, 0),
     "right_knee": Euler(140, 0, 0)},  # the left shin in front of the right
    reach("left", 0.26, 0.26, 1.0, 0.5), reach("right", 0.26, 0.26, 1.0, 0.5),
    {"root": (0.0, 0.05, _at(0.13))},
)
CROUCHED: Pose = merge(_crouch(0.5, 120, 140, 30), {"spine1": Euler(35, 0, 0)}, head(nod=-20),
                       arm("left", (0.1, 0.5, -1.0), (0.05, 0.6, -1.0)),
                       arm("right", (0.1, 0.5, -1.0), (0.05, 0.6, -1.0)))


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


def lie_down() -> TemplateSpec:
    return keyframed("lie_down", "lie down", "Lying down on the floor: crouch, sit down on the ground with a hand "
                     "behind, and lie back flat.", 4.0,
                     spread([STAND, CROUCHED, FLOOR_SIT, merge(FLOOR_SIT, spine(forward=-45)), LYING_BACK,
                             LYING_BACK]), randomization=_rand())


def get_up() -> TemplateSpec:
    return keyframed("get_up", "get up", "Getting up off the floor from lying on the back: sit up, tuck the legs, "
                     "crouch and stand.", 4.0,
                     spread([LYING_BACK, LYING_BACK, merge(FLOOR_SIT, spine(forward=-45)), FLOOR_SIT, CROUCHED,
                             STAND]), randomization=_rand())


def kneel_down() -> TemplateSpec:
    return keyframed("kneel_down", "kneel down", "Kneeling down: one knee to the floor, then the other, and staying "
                     "upright on both knees.", 3.0, spread([STAND, ONE_KNEE, KNEELING, KNEELING]),
                     randomization=_rand())


def rise_from_kneeling() -> TemplateSpec:
    return keyframed("rise_from_kneeling", "rise from kneeling", "Getting up from both knees: one foot forward, "
                     "push up off the knee and stand.", 3.0, spread([KNEELING, KNEELING, ONE_KNEE, STAND]),
                     randomization=_rand())


def crouch_down() -> TemplateSpec:
    return keyframed("crouch_down", "crouch down", "Crouching down low on the heels, hands in front, and staying "
                     "there.", 2.4, [(0.0, STAND), (0.4, CROUCHED), (1.0, CROUCHED)], randomization=_rand())


def fall_backward() -> TemplateSpec:
    stumble = merge(_crouch(0.1, 10, 30, 20), spine(forward=-25), head(nod=20),
                    arm("left", (0.5, 1.0, 0.4)), arm("right", (0.5, 1.0, 0.4)), {"root": (0.0, 0.15, -0.1)})
    seat = merge(FLOOR_SIT, spine(forward=-40), {"root": (0.0, 0.4, _at(0.12))},
                 arm("left", (0.3, -0.8, -0.6)), arm("right", (0.3, -0.8, -0.6)))
    flat = merge(LYING_BACK, {"root": (0.0, 0.75, _at(0.11))})
    return keyframed("fall_backward", "fall backward", "Losing balance backwards: arms flung forward, landing on the "
                     "seat and rolling flat on the back.", 2.2,
                     [(0.0, STAND), (0.15, STAND), (0.4, stumble), (0.62, seat), (0.85, flat), (1.0, flat)],
                     randomization=_rand())


def fall_sideways() -> TemplateSpec:
    tip = merge(_leg("left", 0, 20), _leg("right", 0, 5, 0, 15), {"pelvis": Euler(0, 25, 0)},
                arm("left", (1.0, 0.2, -0.3)), arm("right", (1.0, 0.2, 0.6)), {"root": (0.15, 0.0, -0.12)})
    knee = merge(_leg("left", 10, 80, -40), _leg("right", 0, 20, 0, 10), {"pelvis": Euler(0, 50, 0)},
                 reach("left", 0.5, 0.05, 0.85, 0.3), {"root": (0.35, 0.0, _at(0.4))})
    lying = merge(_leg("left", 10, 25), _leg("right", 15, 20), {"pelvis": Euler(0, 86, 0)},
                  arm("left", (0.0, 0.4, 1.0)), arm("right", (0.2, 0.6, -1.0)), head(tilt=-20),
                  {"root": (0.55, 0.0, _at(0.16))})
    return keyframed("fall_sideways", "fall sideways", "Toppling over sideways: a leg gives way, a hand breaks the "
                     "fall, and the actor ends lying on one side.", 2.2,
                     [(0.0, STAND), (0.15, STAND), (0.38, tip), (0.6, knee), (0.82, lying), (1.0, lying)],
                     randomization=_rand())


def sit_on_floor() -> TemplateSpec:
    return keyframed("sit_on_floor", "sit on the floor", "Sitting down on the floor with the legs out in front, "
                     "leaning back on the hands.", 3.2, spread([STAND, CROUCHED, FLOOR_SIT, FLOOR_SIT]),
                     randomization=_rand())


def stand_up_from_floor() -> TemplateSpec:
    return keyframed("stand_up_from_floor", "stand up from the floor", "Getting up from sitting on the floor: legs "
                     "tucked in, a push off the hands, up to standing.", 3.2,
                     spread([FLOOR_SIT, FLOOR_SIT, CROUCHED, STAND]), randomization=_rand())


def sit_cross_legged() -> TemplateSpec:
    return keyframed("sit_cross_legged", "sit cross-legged", "Lowering down to sit cross-legged on the floor, hands "
                     "resting on the knees.", 3.2, spread([STAND, CROUCHED, CROSS_LEGGED, CROSS_LEGGED]),
                     randomization=_rand())


def lean_forward_on_knees() -> TemplateSpec:
    lean = merge(_crouch(0.12, 35, 35, 5), spine(forward=40), head(nod=-25), {"root": (0.0, 0.1, -0.12)},
                 reach("left", 0.14, 0.28, 0.62, 0.3), reach("right", 0.14, 0.28, 0.62, 0.3))
    return keyframed("catch_breath", "catch breath", "Bending over with the hands on the knees to catch one's "
                     "breath, the back rising and falling.", 3.0,
                     spread([STAND, lean, merge(lean, spine(forward=34)), lean, merge(lean, spine(forward=34)),
                             STAND]), randomization=_rand())


ACTIONS = (sit_down, stand_up, lie_down, get_up, kneel_down, rise_from_kneeling, crouch_down, fall_down,
           fall_backward, fall_sideways, sit_on_floor, stand_up_from_floor, sit_cross_legged, lean_forward_on_knees,
           bend_pick_up)
