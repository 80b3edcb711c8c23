"""Two-person interactions: a template with a partner, each actor a randomized body, both in the labels.

The partner's poses are written in its own terms (as if it stood alone facing -Y); Partner places it
`distance` metres in front of the first actor, turned to face it. A point in front of the first actor at
`f` metres is `distance - f` metres in front of the partner, and the first actor's right (-X) is the
partner's left: `meet` converts.
"""

from __future__ import annotations

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    ARMS_DOWN,
    STAND,
    Dir,
    Held,
    Partner,
    Pose,
    TemplateSpec,
    _crouch,
    arm,
    head,
    keyframed,
    leg,
    merge,
    reach,
    spine,
    spread,
)


def _rand(noise: float = 2.0) -> RandomizationRanges:
    return RandomizationRanges(speed=(0.85, 1.15), mirror=True, joint_noise_deg=noise)


def meet(side: str, x: float, forward: float, up: float, distance: float, elbow_out: float = 0.6) -> tuple[Pose, Pose]:
    """The first actor's `side` wrist and the partner's `side` wrist at the same world point: `x` metres to
    the first actor's left, `forward` metres in front of it, `up` high."""
    s = 1.0 if side == "left" else -1.0
    mine = reach(side, s * x, forward, up, elbow_out)
    theirs = reach(side, -s * x, distance - forward, up, elbow_out)
    return mine, theirs


def pair(action_id: str, label: str, description: str, duration: float, mine: list[Pose], theirs: list[Pose],
         distance: float, props: tuple[Held, ...] = (), facing_deg: float = 180.0, across: float = 0.0,
         times: list[float] | None = None) -> TemplateSpec:
    keys = list(zip(times, mine, strict=True)) if times else spread(mine)
    return keyframed(action_id, label, description, duration, keys, randomization=_rand(),
                     partner=Partner(theirs, distance, facing_deg, across), props=props)


def handshake() -> TemplateSpec:
    d = 0.95
    a1, b1 = meet("right", 0.0, d / 2, 1.0, d, 0.3)
    a2, b2 = meet("right", 0.0, d / 2, 0.94, d, 0.3)
    mine = [STAND, merge(ARMS_DOWN, a1), merge(ARMS_DOWN, a2), merge(ARMS_DOWN, a1), merge(ARMS_DOWN, a2), STAND]
    theirs = [STAND, merge(ARMS_DOWN, b1), merge(ARMS_DOWN, b2), merge(ARMS_DOWN, b1), merge(ARMS_DOWN, b2), STAND]
    return pair("handshake", "shake hands", "Two people facing each other reach out and shake right hands.", 2.6,
                mine, theirs, d)


def hug() -> TemplateSpec:
    d = 0.38
    wrap_a = merge(reach("left", 0.12, d + 0.12, 1.28, 1.2), reach("right", 0.12, d + 0.12, 1.2, 1.2), head(turn=30))
    wrap_b = merge(reach("left", 0.12, d + 0.12, 1.2, 1.2), reach("right", 0.12, d + 0.12, 1.28, 1.2), head(turn=30))
    open_ = merge(arm("left", (0.8, 0.6, 0.0)), arm("right", (0.8, 0.6, 0.0)))
    mine = [STAND, open_, wrap_a, wrap_a, open_, STAND]
    theirs = [STAND, open_, wrap_b, wrap_b, open_, STAND]
    return pair("hug", "hug", "Two people step into a hug, arms around each other's backs, and let go.", 3.2, mine,
                theirs, d, times=[0.0, 0.2, 0.4, 0.7, 0.85, 1.0])


def high_five() -> TemplateSpec:
    d = 0.9
    a, b = meet("right", 0.0, d / 2, 1.68, d, 1.0)
    cock_a = merge(ARMS_DOWN, arm("right", (0.5, 0.0, 1.0), (0.4, -0.3, 1.0)))
    mine = [STAND, cock_a, merge(ARMS_DOWN, a), STAND]
    theirs = [STAND, cock_a, merge(ARMS_DOWN, b), STAND]
    return pair("high_five", "high five", "Two people slap raised right palms together over their heads.", 1.8, mine,
                theirs, d, times=[0.0, 0.35, 0.55, 1.0])


def push_person() -> TemplateSpec:
    d = 0.7
    shove = merge(arm("left", (0.2, 1.0, 0.05)), arm("right", (0.2, 1.0, 0.05)), spine(forward=15),
                  leg("left", 30, 20), {"root": (0.0, -0.15, -0.03)})
    ready = merge(reach("left", 0.15, 0.3, 1.2, 0.6), reach("right", 0.15, 0.3, 1.2, 0.6))
    hit = merge(STAND, spine(forward=-20), arm("left", (0.6, 0.6, 0.3)), arm("right", (0.6, 0.6, 0.3)),
                {"root": (0.0, 0.25, 0.0)}, leg("left", -20, 20))
    back = merge(STAND, {"root": (0.0, 0.55, 0.0)}, spine(forward=5), leg("right", -15, 15))
    return pair("push_person", "push someone", "One person shoves the other in the chest with both hands; the other "
                "staggers back a few steps.", 2.4, [STAND, ready, shove, shove, STAND],
                [STAND, STAND, hit, back, merge(STAND, {"root": (0.0, 0.6, 0.0)})], d)


def pass_object() -> TemplateSpec:
    d = 1.0
    hold_a = reach("right", 0.1, 0.3, 1.02, 0.4)
    give_a, take_b = meet("right", 0.0, 0.5, 1.1, d, 0.3)
    hold_b = reach("right", 0.1, 0.3, 1.02, 0.4)
    mine = [merge(ARMS_DOWN, hold_a), merge(ARMS_DOWN, give_a), merge(ARMS_DOWN, give_a), STAND, STAND]
    theirs = [STAND, STAND, merge(ARMS_DOWN, take_b), merge(ARMS_DOWN, hold_b), merge(ARMS_DOWN, hold_b)]
    box = (0.16, 0.12, 0.1)
    return pair("pass_object", "pass an object", "One person hands a small box to the other, who takes it and draws "
                "it in.", 3.0, mine, theirs, d,
                props=(Held("parcel", "box", box, "right_hand", 0.0, 0.5, offset=(0.0, -0.04, -0.03)),
                       Held("parcel", "box", box, "right_hand", 0.5, 1.0, offset=(0.0, -0.04, -0.03), actor=1)))


def point_at_other() -> TemplateSpec:
    d = 1.6
    point = merge(ARMS_DOWN, arm("right", (0.12, 1.0, 0.12)), head(nod=5))
    look = merge(STAND, head(nod=-5, tilt=10), arm("left", (0.3, 0.5, -0.8), (0.1, 0.6, 0.7)))
    return pair("point_at_other", "point at someone", "One person points straight at the other, who looks back and "
                "raises a hand to the chest: me?", 2.4, [STAND, point, point, STAND], [STAND, look, look, STAND], d)


def punch_person() -> TemplateSpec:
    d = 0.85
    guard = merge(leg("left", 10, 20), leg("right", -5, 20), arm("left", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)),
                  arm("right", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)))
    strike = merge(guard, arm("right", (0.1, 1.0, 0.15)), spine(twist=25), {"root": (0.0, -0.1, -0.03)})
    hit = merge(STAND, head(nod=-30, turn=30), spine(forward=-20, twist=-15), {"root": (0.0, 0.2, -0.02)},
                arm("left", (0.5, 0.5, -0.3)), arm("right", (0.6, 0.3, -0.3)))
    return pair("punch_person", "punch someone", "One person punches the other in the face; the other's head snaps "
                "back and they reel away.", 2.0, [STAND, guard, strike, guard, STAND],
                [STAND, STAND, hit, merge(hit, {"root": (0.0, 0.4, -0.05)}), merge(STAND, {"root": (0.0, 0.45, 0.0)})],
                d)


def kick_person() -> TemplateSpec:
    d = 1.1
    arms = merge(arm("left", (0.4, 0.6, -0.5), (0.0, 0.4, 1.0)), arm("right", (0.4, 0.6, -0.5), (0.0, 0.4, 1.0)))
    chamber = merge(arms, leg("right", 85, 110))
    extend = merge(arms, leg("right", 80, 5, -20), spine(forward=-15))
    fold = merge(_crouch(0.15, 30, 40, 10), spine(forward=45), head(nod=30), reach("left", 0.05, 0.25, 0.95, 0.3),
                 reach("right", 0.05, 0.25, 0.95, 0.3), {"root": (0.0, 0.25, -0.15)})
    return pair("kick_person", "kick someone", "One person kicks the other in the stomach; the other doubles over and "
                "stumbles back.", 2.2, [STAND, chamber, extend, chamber, STAND],
                [STAND, STAND, fold, merge(fold, {"root": (0.0, 0.4, -0.15)}), merge(STAND, {"root": (0, 0.45, 0)})],
                d)


def pat_on_back() -> TemplateSpec:
    side = 0.5
    tap_hi = merge(ARMS_DOWN, reach("left", side - 0.05, 0.0, 1.3, 0.3), head(turn=30))
    tap_lo = merge(ARMS_DOWN, reach("left", side - 0.05, 0.0, 1.2, 0.3), head(turn=30))
    them = merge(STAND, head(turn=-30))
    return pair("pat_on_back", "pat on the back", "Standing side by side, one person pats the other on the back a few "
                "times; the other turns to look.", 2.4, [STAND, tap_hi, tap_lo, tap_hi, tap_lo, STAND],
                [STAND, them, them, them, them, STAND], 0.0, facing_deg=0.0, across=side)


def bow_to_each_other() -> TemplateSpec:
    d = 1.4
    low = merge(ARMS_DOWN, spine(forward=60), head(nod=10), {"root": (0.0, 0.08, 0.0)})
    return pair("bow_to_each_other", "bow to each other", "Two people face each other and bow at the same time.", 2.6,
                [STAND, low, low, STAND], [STAND, low, low, STAND], d)


def wave_at_each_other() -> TemplateSpec:
    d = 2.2

    def raised(lean: float) -> Pose:
        return merge(ARMS_DOWN, {"right_shoulder": Dir(-1.0, -0.15, 0.35), "right_elbow": Dir(-lean, -0.1, 1.0)})

    return pair("wave_at_each_other", "wave at each other", "Two people a few steps apart wave their right hands at "
                "each other.", 2.6, [STAND, raised(0.6), raised(-0.5), raised(0.6), raised(-0.5), STAND],
                [STAND, raised(-0.5), raised(0.6), raised(-0.5), raised(0.6), STAND], d)


def fist_bump() -> TemplateSpec:
    d = 0.95
    a, b = meet("right", 0.0, d / 2, 1.12, d, 0.3)
    back_a = merge(ARMS_DOWN, arm("right", (0.3, 0.5, -0.6), (0.0, 0.8, 0.5)))
    return pair("fist_bump", "fist bump", "Two people bump right fists together at chest height.", 1.8,
                [STAND, back_a, merge(ARMS_DOWN, a), back_a, STAND],
                [STAND, back_a, merge(ARMS_DOWN, b), back_a, STAND],
                d)


def pull_person() -> TemplateSpec:
    d = 0.9
    grab_a, grab_b = meet("right", 0.0, 0.5, 1.0, d, 0.3)
    pulled_a = merge(ARMS_DOWN, reach("right", 0.12, 0.25, 1.0, 0.4), spine(forward=-15), leg("left", -20, 15),
                     {"root": (0.0, 0.3, -0.03)})
    lean_b = merge(ARMS_DOWN, arm("right", (0.05, 1.0, -0.2)), spine(forward=25), leg("left", 35, 20),
                   {"root": (0.0, -0.3, -0.05)})
    return pair("pull_person", "pull someone", "One person grabs the other by the hand and pulls them along; the "
                "other is dragged forward off balance.", 2.6,
                [STAND, merge(ARMS_DOWN, grab_a), pulled_a, merge(pulled_a, {"root": (0.0, 0.5, -0.03)})],
                [STAND, merge(ARMS_DOWN, grab_b), lean_b, merge(lean_b, {"root": (0.0, -0.5, -0.05)})], d)


def whisper() -> TemplateSpec:
    side = 0.4
    lean = merge(ARMS_DOWN, spine(side=20, forward=10), head(turn=60, tilt=10),
                 reach("left", 0.1, 0.14, 1.45, 0.8))
    listen = merge(STAND, head(tilt=-15, turn=-10), spine(side=-5))
    return pair("whisper", "whisper to someone", "Standing side by side, one person leans over and whispers into the "
                "other's ear behind a hand.", 2.6, [STAND, lean, lean, STAND], [STAND, listen, listen, STAND], 0.0,
                facing_deg=0.0, across=side)


ACTIONS = (handshake, hug, high_five, push_person, pass_object, point_at_other, punch_person, kick_person, pat_on_back,
           bow_to_each_other, wave_at_each_other, fist_bump, pull_person, whisper)
