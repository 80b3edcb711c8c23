"""Two-person interactions: a template with a partner, each actor a randomized body, both in the labels.

The partner's poses are written in its own terms (as if it stood alone facing -Y); Partner places it
`distance` metres in front of the first actor, turned to face it. A point in front of the first actor at
`f` metres is `distance - f` metres in front of the partner, and the first actor's right (-X) is the
partner's left: `meet` converts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    ARMS_DOWN,
    STAND,
    Dir,
    Euler,
    Held,
    Partner,
    Pose,
    TemplateSpec,
    _crouch,
    arm,
    arm_swing,
    head,
    keyframed,
    leg,
    merge,
    reach,
    spine,
)


def _rand(noise: float = 2.0) -> RandomizationRanges:
    return RandomizationRanges(speed=(0.85, 1.15), mirror=True, joint_noise_deg=noise)


@dataclass(frozen=True)
class Style:
    """How one performance of an interaction differs from the template's own (the default Style): people
    come from further away or stand further apart, act faster or slower, bigger or smaller, higher or lower,
    repeat a beat or hold a contact longer. Each action reads the fields that mean something for it."""

    name: str = "main"
    tempo: float = 1.0  # factor on the action's duration (> 1: slower)
    amplitude: float = 1.0  # how big the movement is: swing, lean, stagger
    height: float = 0.0  # metres added to where the hands meet or strike
    repeats: int = 0  # extra beats: pumps, taps, waves, punches
    hold: float = 1.0  # factor on how long a contact lasts
    approach_m: float = 0.0  # the first actor walks in from this much further away
    partner_approach_m: float = 0.0  # the partner walks in too, from this much further away
    spacing_m: float = 0.0  # metres added to how far apart the pair stands at the contact
    part_m: float = 0.0  # afterwards the first actor steps back this far (walks on, side by side)
    partner_part_m: float = 0.0  # and the partner steps back this far from where the action left it


STEP_M, STEP_S = 0.42, 0.48  # an unhurried step as people approach each other: 0.9 m/s

STYLES = (
    Style("walk_in", approach_m=1.0),
    Style("both_walk_in", approach_m=0.6, partner_approach_m=0.6, spacing_m=0.05),
    Style("brisk", tempo=0.75, amplitude=1.3, height=0.07, spacing_m=-0.07),
    Style("gentle", tempo=1.3, amplitude=0.6, height=-0.06, spacing_m=0.12),
    Style("long", hold=1.8, repeats=1, tempo=1.1),
    Style("high", height=0.14, spacing_m=0.16, amplitude=1.1),
    Style("low", height=-0.12, amplitude=0.85, spacing_m=-0.1),
    Style("walk_in_brisk", approach_m=0.8, tempo=0.85, amplitude=1.15, repeats=1, part_m=0.8),
    # People who meet in the open walk up from a few metres and move apart afterwards (UT-Interaction's pairs
    # start 2-2.5 m apart): the whole approach, the contact and the parting in one performance.
    Style("meet_and_part", approach_m=0.7, partner_approach_m=0.7, part_m=0.7, partner_part_m=0.7),
    Style("walk_up_and_back", approach_m=1.4, part_m=1.0, tempo=0.9),
    Style("both_walk_in_far", approach_m=0.9, partner_approach_m=0.9, part_m=0.5, spacing_m=0.05, amplitude=1.1),
    # Pairs who stand a step each further apart than at the contact, each take one step in to act and one step
    # back after (what the real handshakes looked at in docs/benchmarks.md do, from about 1.8 m): whole bodies
    # move, but only a stride each way.
    Style("step_in_and_back", approach_m=STEP_M, partner_approach_m=STEP_M, part_m=STEP_M, partner_part_m=STEP_M),
    Style("step_in_and_back_long", approach_m=STEP_M, partner_approach_m=STEP_M, part_m=STEP_M,
          partner_part_m=STEP_M, tempo=1.2, hold=1.5, repeats=1, amplitude=1.25, spacing_m=0.08),
)
"""The further performances of every interaction (tools.families.build_library adds them)."""


def _step(side: str, y: float, forward: bool) -> Pose:
    """Mid-stride of a walk towards -Y: `side`'s leg forward (or passing), the opposite arm swinging."""
    lead, trail = (side, "left" if side == "right" else "right")
    legs = merge(leg(lead, 22, 8), leg(trail, -14, 12)) if forward else merge(leg(lead, 4, 40), leg(trail, 0, 8))
    return merge(ARMS_DOWN, legs, arm_swing(trail, 14), arm_swing(lead, -12), {"spine2": Euler(3, 0, 0)},
                 {"root": (0.0, y, -0.02 if forward else 0.0)})


def _walk_in(distance: float, steps: int) -> list[Pose]:
    """Keys of walking `distance` metres forward in `steps` steps, ending one step short of the action's first
    key (standing at the rest position); no distance: standing."""
    if distance <= 0:
        return [STAND] * steps
    return [_step("left" if i % 2 == 0 else "right", distance * (1 - i / steps), True) for i in range(steps)]


def _walk_out(last: Pose, distance: float, steps: int, ahead: bool) -> list[Pose]:
    """Keys of stepping `distance` metres back from the last pose (on, towards -Y, when `ahead`), the last key
    standing there; no distance: the last pose held."""
    if distance <= 0:
        return [last] * steps
    x, y, _ = last.get("root", (0.0, 0.0, 0.0))
    sign = -1.0 if ahead else 1.0
    keys = [merge(_step("left" if i % 2 == 0 else "right", 0.0, True),
                  {"root": (x, y + sign * distance * (i + 1) / steps, -0.02)}) for i in range(steps - 1)]
    return keys + [merge(STAND, {"root": (x, y + sign * distance, 0.0)})]


def pair(action_id: str, label: str, description: str, duration: float, mine: list[Pose], theirs: list[Pose],
         distance: float, props: tuple[Held, ...] = (), facing_deg: float = 180.0, across: float = 0.0,
         times: list[float] | None = None, style: Style = Style()) -> TemplateSpec:
    """A two-person template; `style`'s tempo, approach and parting apply here (its other fields in each
    action, the spacing in `distance`). A pair side by side parts by the first actor walking on."""
    times = times or [i / (len(mine) - 1) for i in range(len(mine))]
    action_s = duration * style.tempo
    walk = max(style.approach_m, style.partner_approach_m)
    steps = math.ceil(walk / STEP_M) if walk > 0 else 0
    walk_s = steps * STEP_S
    side_by_side = facing_deg != 180.0
    part = max(style.part_m, 0.0 if side_by_side else style.partner_part_m)
    steps_out = math.ceil(part / STEP_M) if part > 0 else 0
    total = walk_s + action_s + steps_out * STEP_S
    keys = [(i * STEP_S / total, p) for i, p in enumerate(_walk_in(style.approach_m, steps))]
    keys += [((walk_s + t * action_s) / total, p) for t, p in zip(times, mine, strict=True)]
    keys += [((walk_s + action_s + (i + 1) * STEP_S) / total, p)
             for i, p in enumerate(_walk_out(mine[-1], style.part_m, steps_out, ahead=side_by_side))]
    theirs = (_walk_in(style.partner_approach_m, steps) + list(theirs)
              + _walk_out(theirs[-1], 0.0 if side_by_side else style.partner_part_m, steps_out, ahead=False))
    props = tuple(Held(h.name, h.shape, h.size, h.hand, 0.0 if h.grab == 0 else (walk_s + h.grab * action_s) / total,
                       1.0 if h.release == 1 else (walk_s + h.release * action_s) / total, h.offset, h.rotation_deg,
                       h.actor) for h in props)
    return keyframed(action_id, label, description, total, keys, randomization=_rand(),
                     partner=Partner(theirs, distance, facing_deg, across), props=props)


def meet(side: str, x: float, forward: float, up: float, distance: float, elbow_out: float = 0.6) -> tuple[Pose, Pose]:
    """The first actor's `side` wrist and the partner's `side` wrist at the same world point: `x` metres to
    the first actor's left, `forward` metres in front of it, `up` high."""
    s = 1.0 if side == "left" else -1.0
    mine = reach(side, s * x, forward, up, elbow_out)
    theirs = reach(side, -s * x, distance - forward, up, elbow_out)
    return mine, theirs


def _beats(first: Pose, second: Pose, count: int) -> list[Pose]:
    """first, second, first, second ... `count` pairs."""
    return [first, second] * count


def handshake(style: Style = Style()) -> TemplateSpec:
    # People shaking hands stand close, elbows bent and forearms level, the hands meeting at the waist (what
    # UT-Interaction's real handshakes show, docs/benchmarks.md; arms straight and slanting down from 0.95 m
    # apart read as a shove or a punch).
    d = 0.78 + style.spacing_m
    # Standing further apart, the hands meet higher: at 1 m high, 0.95 m apart is as far as the arms reach.
    up = max(1.0 + style.height, 1.0 + 1.2 * (d - 0.95))
    # Each wrist stops 4 cm short of the middle, so the hands close round each other rather than past.
    a1, b1 = meet("right", 0.0, d / 2 - 0.04, up, d - 0.08, 0.3)
    a2, b2 = meet("right", 0.0, d / 2 - 0.04, up - 0.06 * style.amplitude, d - 0.08, 0.3)
    pumps = 2 + style.repeats
    # Leaning in a little; a smaller handshake comes with a slight bow.
    bow = spine(forward=6 + 20 * max(0.0, 1 - style.amplitude))
    mine = [STAND, *_beats(merge(ARMS_DOWN, a1, bow), merge(ARMS_DOWN, a2, bow), pumps), STAND]
    theirs = [STAND, *_beats(merge(ARMS_DOWN, b1, bow), merge(ARMS_DOWN, b2, bow), pumps), STAND]
    return pair("handshake", "shake hands", "Two people facing each other reach out and shake right hands.",
                2.6 * (len(mine) - 1) / 5 * (1 + (style.hold - 1) / 2), mine, theirs, d, style=style)


def hug(style: Style = Style()) -> TemplateSpec:
    d = 0.38 + style.spacing_m / 2
    # The arms wrap round the partner: one over a shoulder, one under the other arm, the hands on the partner's
    # back near its spine (hands reaching past the partner's back at shoulder height stuck out like a shove).
    hi, lo = 1.34 + style.height / 2, 1.1 + style.height / 2
    wrap_a = merge(reach("left", -0.04, d + 0.08, hi, 1.4), reach("right", -0.04, d + 0.08, lo, 1.4), head(turn=30))
    wrap_b = merge(reach("left", -0.04, d + 0.08, lo, 1.4), reach("right", -0.04, d + 0.08, hi, 1.4), head(turn=30))
    out = 0.8 * style.amplitude
    open_ = merge(arm("left", (out, 0.6, 0.0)), arm("right", (out, 0.6, 0.0)))
    spans = [0.2, 0.2, 0.3 * style.hold, 0.15, 0.15]
    times = [sum(spans[:i]) / sum(spans) for i in range(len(spans) + 1)]
    times[-1] = 1.0
    mine = [STAND, open_, wrap_a, wrap_a, open_, STAND]
    theirs = [STAND, open_, wrap_b, wrap_b, open_, STAND]
    return pair("hug", "hug", "Two people step into a hug, arms around each other's backs, and let go.",
                3.2 * sum(spans), mine, theirs, d, times=times, style=style)


def high_five(style: Style = Style()) -> TemplateSpec:
    d = 0.9 + style.spacing_m
    a, b = meet("right", 0.0, d / 2, 1.68 + style.height, d, 1.0)
    cock_a = merge(ARMS_DOWN, arm("right", (0.5 * style.amplitude, 0.0, 1.0), (0.4 * style.amplitude, -0.3, 1.0)))
    slap_a, slap_b = merge(ARMS_DOWN, a), merge(ARMS_DOWN, b)
    mine = [STAND, cock_a, *[slap_a, cock_a] * style.repeats, slap_a, STAND]
    theirs = [STAND, cock_a, *[slap_b, cock_a] * style.repeats, slap_b, STAND]
    return pair("high_five", "high five", "Two people slap raised right palms together over their heads.",
                1.8 * (1 + 0.6 * style.repeats), mine, theirs, d,
                times=None if style.repeats else [0.0, 0.35, 0.55, 1.0], style=style)


def push_person(style: Style = Style()) -> TemplateSpec:
    d = 0.7 + style.spacing_m
    amp, up = style.amplitude, style.height
    shove = merge(arm("left", (0.2, 1.0, 0.05 + up)), arm("right", (0.2, 1.0, 0.05 + up)), spine(forward=15 * amp),
                  leg("left", 30, 20), {"root": (0.0, -0.15 * amp, -0.03)})
    ready = merge(reach("left", 0.15, 0.3, 1.2 + up, 0.6), reach("right", 0.15, 0.3, 1.2 + up, 0.6))
    hit = merge(STAND, spine(forward=-20 * amp), arm("left", (0.6, 0.6, 0.3)), arm("right", (0.6, 0.6, 0.3)),
                {"root": (0.0, 0.25 * amp, 0.0)}, leg("left", -20, 20))
    back = merge(STAND, {"root": (0.0, 0.55 * amp, 0.0)}, spine(forward=5), leg("right", -15, 15))
    final = merge(STAND, {"root": (0.0, 0.6 * amp, 0.0)})
    mine, theirs = [STAND, ready, shove], [STAND, STAND, hit]
    for _ in range(style.repeats):  # shoved again as they stagger
        mine += [ready, shove]
        theirs += [merge(hit, {"root": (0.0, 0.35 * amp, 0.0)}), merge(hit, {"root": (0.0, 0.45 * amp, 0.0)})]
    mine += [shove, STAND]
    theirs += [back, final]
    return pair("push_person", "push someone", "One person shoves the other in the chest with both hands; the other "
                "staggers back a few steps.", 2.4 * (len(mine) - 1) / 4 * (1 + (style.hold - 1) / 4), mine, theirs,
                d, style=style)


def pass_object(style: Style = Style()) -> TemplateSpec:
    d = 1.0 + style.spacing_m
    hold_a = reach("right", 0.1, 0.3, 1.02, 0.4)
    give_a, take_b = meet("right", 0.0, 0.5, 1.1 + style.height, d, 0.3)
    hold_b = reach("right", 0.1, 0.3, 1.02, 0.4)
    look_b = reach("right", 0.05, 0.35, 1.35, 0.4)  # lifted to look at it
    mine = [merge(ARMS_DOWN, hold_a), merge(ARMS_DOWN, give_a), merge(ARMS_DOWN, give_a), STAND, STAND]
    theirs = [STAND, STAND, merge(ARMS_DOWN, take_b), merge(ARMS_DOWN, hold_b),
              merge(ARMS_DOWN, look_b if style.repeats else hold_b)]
    box = (0.16, 0.12, 0.1)
    return pair("pass_object", "pass an object", "One person hands a small box to the other, who takes it and draws "
                "it in.", 3.0, mine, theirs, d,
                props=(Held("parcel", "box", box, "right_hand", 0.0, 0.5, offset=(0.0, -0.04, -0.03)),
                       Held("parcel", "box", box, "right_hand", 0.5, 1.0, offset=(0.0, -0.04, -0.03), actor=1)),
                style=style)


def point_at_other(style: Style = Style()) -> TemplateSpec:
    d = 1.6 + 3 * style.spacing_m
    point = merge(ARMS_DOWN, arm("right", (0.12, 1.0, 0.12 + 2 * style.height)), head(nod=5))
    cocked = merge(ARMS_DOWN, arm("right", (0.25, 0.7, -0.3), (0.1, 1.0, 0.3)), head(nod=5))
    look = merge(STAND, head(nod=-5 * style.amplitude, tilt=10 * style.amplitude),
                 arm("left", (0.3, 0.5, -0.8), (0.1, 0.6, 0.7)))
    mine, theirs = [STAND, point], [STAND, look]
    for _ in range(style.repeats):  # jabbing the finger
        mine += [cocked, point]
        theirs += [look, look]
    mine += [point, STAND]
    theirs += [look, STAND]
    return pair("point_at_other", "point at someone", "One person points straight at the other, who looks back and "
                "raises a hand to the chest: me?", 2.4 * (len(mine) - 1) / 3 * (1 + (style.hold - 1) / 2), mine,
                theirs, d, style=style)


def punch_person(style: Style = Style()) -> TemplateSpec:
    d = 0.85 + style.spacing_m
    amp = style.amplitude
    guard = merge(leg("left", 10, 20), leg("right", -5, 20), arm("left", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)),
                  arm("right", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)))
    strike = merge(guard, arm("right", (0.1, 1.0, 0.15 + 2 * style.height)), spine(twist=25 * amp),
                   {"root": (0.0, -0.1 * amp, -0.03)})
    hit = merge(STAND, head(nod=-30 * amp, turn=30), spine(forward=-20 * amp, twist=-15),
                {"root": (0.0, 0.2 * amp, -0.02)}, arm("left", (0.5, 0.5, -0.3)), arm("right", (0.6, 0.3, -0.3)))
    mine, theirs = [STAND, guard, strike], [STAND, STAND, hit]
    for k in range(style.repeats):  # another blow as they reel
        mine += [guard, strike]
        theirs += [merge(hit, {"root": (0.0, (0.25 + 0.1 * k) * amp, -0.02)}),
                   merge(hit, {"root": (0.0, (0.3 + 0.1 * k) * amp, -0.02)})]
    mine += [guard, STAND]
    theirs += [merge(hit, {"root": (0.0, (0.4 + 0.1 * style.repeats) * amp, -0.05)}),
               merge(STAND, {"root": (0.0, (0.45 + 0.1 * style.repeats) * amp, 0.0)})]
    return pair("punch_person", "punch someone", "One person punches the other in the face; the other's head snaps "
                "back and they reel away.", 2.0 * (len(mine) - 1) / 4 * (1 + (style.hold - 1) / 4), mine, theirs, d,
                style=style)


def kick_person(style: Style = Style()) -> TemplateSpec:
    d = 1.1 + style.spacing_m
    amp = style.amplitude
    arms = merge(arm("left", (0.4, 0.6, -0.5), (0.0, 0.4, 1.0)), arm("right", (0.4, 0.6, -0.5), (0.0, 0.4, 1.0)))
    chamber = merge(arms, leg("right", min(100.0, 85 * amp), 110))
    extend = merge(arms, leg("right", min(105.0, 80 + 100 * style.height), 5, -20), spine(forward=-15 * amp))
    fold = merge(_crouch(0.15, 30, 40, 10), spine(forward=45 * amp), head(nod=30), reach("left", 0.05, 0.25, 0.95, 0.3),
                 reach("right", 0.05, 0.25, 0.95, 0.3), {"root": (0.0, 0.25 * amp, -0.15)})
    mine, theirs = [STAND, chamber, extend], [STAND, STAND, fold]
    for _ in range(style.repeats):  # kicked again while doubled over
        mine += [chamber, extend]
        theirs += [fold, merge(fold, {"root": (0.0, 0.35 * amp, -0.15)})]
    mine += [chamber, STAND]
    theirs += [merge(fold, {"root": (0.0, 0.4 * amp, -0.15)}), merge(STAND, {"root": (0, 0.45 * amp, 0)})]
    return pair("kick_person", "kick someone", "One person kicks the other in the stomach; the other doubles over and "
                "stumbles back.", 2.2 * (len(mine) - 1) / 4 * (1 + (style.hold - 1) / 4), mine, theirs, d,
                style=style)


def pat_on_back(style: Style = Style()) -> TemplateSpec:
    side = 0.5 + style.spacing_m
    tap_hi = merge(ARMS_DOWN, reach("left", side - 0.05, 0.0, 1.3 + style.height, 0.3), head(turn=30))
    tap_lo = merge(ARMS_DOWN, reach("left", side - 0.05, 0.0, 1.3 + style.height - 0.1 * style.amplitude, 0.3),
                   head(turn=30))
    them = merge(STAND, head(turn=-30))
    return pair("pat_on_back", "pat on the back", "Standing side by side, one person pats the other on the back a few "
                "times; the other turns to look.", 2.4 * (2 + style.repeats) / 2,
                [STAND, *_beats(tap_hi, tap_lo, 2 + style.repeats), STAND],
                [STAND, *[them] * (4 + 2 * style.repeats), STAND],
                0.0, facing_deg=0.0, across=side, style=style)


def bow_to_each_other(style: Style = Style()) -> TemplateSpec:
    d = 1.4 + style.spacing_m
    low = merge(ARMS_DOWN, spine(forward=min(85.0, 60 * style.amplitude)), head(nod=10), {"root": (0.0, 0.08, 0.0)})
    keys = [STAND, low, low, *[STAND, low] * style.repeats, STAND]
    return pair("bow_to_each_other", "bow to each other", "Two people face each other and bow at the same time.",
                2.6 * (len(keys) - 1) / 3, keys, keys, d, style=style)


def wave_at_each_other(style: Style = Style()) -> TemplateSpec:
    d = 2.2 + style.spacing_m

    a, b = 0.6 * style.amplitude, 0.5 * style.amplitude

    def raised(lean: float) -> Pose:
        return merge(ARMS_DOWN, {"right_shoulder": Dir(-1.0, -0.15, 0.35 + 2 * style.height),
                                 "right_elbow": Dir(-lean, -0.1, 1.0)})

    return pair("wave_at_each_other", "wave at each other", "Two people a few steps apart wave their right hands at "
                "each other.", 2.6 * (2 + style.repeats) / 2,
                [STAND, *_beats(raised(a), raised(-b), 2 + style.repeats), STAND],
                [STAND, *_beats(raised(-b), raised(a), 2 + style.repeats), STAND], d, style=style)


def fist_bump(style: Style = Style()) -> TemplateSpec:
    d = 0.95 + style.spacing_m
    a, b = meet("right", 0.0, d / 2, 1.12 + style.height, d, 0.3)
    back_a = merge(ARMS_DOWN, arm("right", (0.3, 0.5, -0.6), (0.0, 0.8, 0.5)))
    bumps = 1 + style.repeats
    return pair("fist_bump", "fist bump", "Two people bump right fists together at chest height.",
                1.8 * (1 + 0.5 * style.repeats),
                [STAND, *[back_a, merge(ARMS_DOWN, a)] * bumps, back_a, STAND],
                [STAND, *[back_a, merge(ARMS_DOWN, b)] * bumps, back_a, STAND],
                d, style=style)


def pull_person(style: Style = Style()) -> TemplateSpec:
    d = 0.9 + style.spacing_m
    grab_a, grab_b = meet("right", 0.0, 0.5, 1.0 + style.height, d, 0.3)
    pulled_a = merge(ARMS_DOWN, reach("right", 0.12, 0.25, 1.0, 0.4), spine(forward=-15), leg("left", -20, 15),
                     {"root": (0.0, 0.3, -0.03)})
    lean_b = merge(ARMS_DOWN, arm("right", (0.05, 1.0, -0.2)), spine(forward=25), leg("left", 35, 20),
                   {"root": (0.0, -0.3, -0.05)})
    return pair("pull_person", "pull someone", "One person grabs the other by the hand and pulls them along; the "
                "other is dragged forward off balance.", 2.6,
                [STAND, merge(ARMS_DOWN, grab_a), pulled_a,
                 *[merge(pulled_a, {"root": (0.0, 0.5 * (k + 1), -0.03)}) for k in range(1 + style.repeats)]],
                [STAND, merge(ARMS_DOWN, grab_b), lean_b,
                 *[merge(lean_b, {"root": (0.0, -0.5 * (k + 1), -0.05)}) for k in range(1 + style.repeats)]],
                d, style=style)


def whisper(style: Style = Style()) -> TemplateSpec:
    side = 0.4 + style.spacing_m
    lean = merge(ARMS_DOWN, spine(side=20 * style.amplitude, forward=10), head(turn=60, tilt=10),
                 reach("left", 0.1, 0.14, 1.45, 0.8))
    listen = merge(STAND, head(tilt=-15, turn=-10), spine(side=-5))
    return pair("whisper", "whisper to someone", "Standing side by side, one person leans over and whispers into the "
                "other's ear behind a hand.", 2.6 * (1 + 0.5 * style.repeats),
                [STAND, lean, lean, *[STAND, lean] * style.repeats, STAND],
                [STAND, listen, listen, *[listen, listen] * style.repeats, STAND], 0.0,
                facing_deg=0.0, across=side, style=style)


ACTIONS = (handshake, hug, high_five, push_person, pass_object, point_at_other, punch_person, kick_person, pat_on_back,
           bow_to_each_other, wave_at_each_other, fist_bump, pull_person, whisper)
