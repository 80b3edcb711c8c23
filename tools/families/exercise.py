"""Exercise and sport: calisthenics, boxing and martial arts, throwing, racket and club sports, dance."""

from __future__ import annotations

import numpy as np

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    ARMS_DOWN,
    STAND,
    Dir,
    Euler,
    Held,
    Pose,
    TemplateSpec,
    _arm_swing,
    _crouch,
    _leg,
    _merge,
    arm,
    arm_swing,
    cycle,
    head,
    keyframed,
    leg,
    merge,
    reach,
    spine,
    spread,
)

PELVIS_REST_Z = 0.877


def _rand(mirror: bool = True, noise: float = 2.0, speed: tuple[float, float] = (0.85, 1.2)) -> RandomizationRanges:
    return RandomizationRanges(speed=speed, mirror=mirror, joint_noise_deg=noise)


def _plank(pitch: float, height: float, elbows: float = 0.0, knee: Pose | None = None) -> Pose:
    """Face-down body at `pitch` degrees from vertical, pelvis `height` m up, arms bent by `elbows` (0..1)."""
    upper = (0.15 + 0.4 * elbows, -0.6 * elbows, -1.0)
    return merge({"pelvis": Euler(pitch, 0, 0), "root": (0.0, 0.0, height - PELVIS_REST_Z), "neck": Euler(-35, 0, 0)},
                 leg("left", 0, 0, -10), leg("right", 0, 0, -10),
                 {"left_shoulder": Dir(upper[0], upper[1], upper[2]),
                  "right_shoulder": Dir(-upper[0], upper[1], upper[2]),
                  "left_elbow": Dir(0.05, 0.0, -1.0), "right_elbow": Dir(-0.05, 0.0, -1.0)}, knee or {})


def squat() -> TemplateSpec:
    arms_forward = {"left_shoulder": Dir(0.15, -1.0, 0.0), "right_shoulder": Dir(-0.15, -1.0, 0.0)}
    low = _merge(_crouch(0.42, 105, 125, 25), arms_forward, {"spine1": Euler(30, 0, 0)})
    return keyframed(
        "squat", "squat", "A deep bodyweight squat with the arms held forward, and back up.", 2.6,
        [(0.0, STAND), (0.2, _merge(STAND, arms_forward)), (0.5, low), (0.8, _merge(STAND, arms_forward)),
         (1.0, STAND)],
        randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=False, joint_noise_deg=2.0),
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


def push_up() -> TemplateSpec:
    up, down = _plank(70, 0.33), _plank(80, 0.2, 1.0)
    return keyframed("push_up", "push-up", "Push-ups: the straight body lowered to the floor by bending the arms and "
                     "pushed back up.", 1.6, cycle([up, down]), loops=True, randomization=_rand(False))


def sit_up() -> TemplateSpec:
    lying = merge({"pelvis": Euler(-80, 0, 0), "root": (0.0, 0.0, 0.13 - PELVIS_REST_Z)},
                  leg("left", 50, 100, 30), leg("right", 50, 100, 30),
                  {"left_shoulder": Dir(0.2, -0.6, 0.5), "right_shoulder": Dir(-0.2, -0.6, 0.5)})
    up = merge(lying, spine(forward=75),
               {"left_shoulder": Dir(0.2, -1.0, -0.1), "right_shoulder": Dir(-0.2, -1.0, -0.1)})
    return keyframed("sit_up", "sit-up", "Sit-ups: lying on the back with the knees bent, curling the trunk up to the "
                     "knees and back down.", 2.0, cycle([lying, up]), loops=True, randomization=_rand(False))


def lunge() -> TemplateSpec:
    low = merge(leg("left", 85, 90, 0), leg("right", -15, 95, -40), {"root": (0.0, -0.3, -0.36)},
                reach("left", 0.25, 0.02, 0.98, 2.5), reach("right", 0.25, 0.02, 0.98, 2.5))
    hips = merge(STAND, reach("left", 0.25, 0.02, 0.98, 2.5), reach("right", 0.25, 0.02, 0.98, 2.5))
    return keyframed("lunge", "lunge", "A forward lunge: hands on the hips, a long step forward, the back knee "
                     "dropped towards the floor, and back.", 2.4, spread([STAND, hips, low, low, hips, STAND]),
                     randomization=_rand(True))


def burpee() -> TemplateSpec:
    squat_hands = merge(_crouch(0.5, 110, 130, 30), {"spine1": Euler(45, 0, 0)},
                        arm("left", (0.1, 0.3, -1.0)), arm("right", (0.1, 0.3, -1.0)), {"root": (0.0, -0.05, -0.5)})
    plank = merge(_plank(70, 0.33), {"root": (0.0, 0.35, 0.33 - PELVIS_REST_Z)})
    air = merge(leg("left", 0, 5, -30), leg("right", 0, 5, -30), arm("left", (0.2, 0.1, 1.0)),
                arm("right", (0.2, 0.1, 1.0)), {"root": (0.0, 0.0, 0.2)})
    return keyframed("burpee", "burpee", "A burpee: squat with the hands on the floor, jump the feet back to a plank, "
                     "jump them in again, and leap up with the arms overhead.", 3.0,
                     [(0.0, STAND), (0.18, squat_hands), (0.38, plank), (0.55, plank), (0.7, squat_hands),
                      (0.85, air), (1.0, STAND)], randomization=_rand(True))


def arm_circles() -> TemplateSpec:
    def at(angle: float) -> Pose:
        c, s = 0.35 * np.cos(np.radians(angle)), 0.35 * np.sin(np.radians(angle))
        return merge(arm("left", (1.0, c, s)), arm("right", (1.0, c, s)))

    return keyframed("arm_circles", "arm circles", "Arm circles: both arms held straight out to the sides, drawing "
                     "circles forward.", 0.9, cycle([at(90), at(0), at(-90), at(180)]), loops=True,
                     randomization=_rand(True))


def uppercut() -> TemplateSpec:
    guard = merge(_leg("left", 10, 20), _leg("right", -5, 20), {"root": (0.0, 0.0, -0.05)},
                  arm("left", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)), arm("right", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)))
    dip = merge(guard, {"root": (0.0, 0.0, -0.15)}, _leg("left", 25, 45), _leg("right", 10, 45), spine(side=-12),
                arm("right", (0.3, 0.2, -1.0), (0.1, 1.0, 0.3)))
    drive = merge(guard, spine(twist=25, forward=-5), arm("right", (-0.1, 1.0, 0.2), (-0.2, 0.3, 1.0)),
                  {"root": (0.0, 0.0, 0.0)})
    return keyframed("uppercut", "uppercut", "A boxing uppercut: from the guard, dip on the knees and drive the right "
                     "fist up from below.", 1.6, spread([STAND, guard, dip, drive, guard, STAND]),
                     randomization=_rand(True))


def hook_punch() -> TemplateSpec:
    guard = merge(_leg("left", 10, 20), _leg("right", -5, 20), {"root": (0.0, 0.0, -0.05)},
                  arm("left", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)), arm("right", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)))
    wind = merge(guard, spine(twist=-20), arm("right", (1.0, 0.0, 0.0), (0.2, 1.0, 0.0)))
    hook = merge(guard, spine(twist=35), arm("right", (0.3, 1.0, 0.05), (-1.0, 0.2, 0.05)))
    return keyframed("hook_punch", "hook punch", "A boxing hook: the bent right arm swung round horizontally from the "
                     "side, the trunk turning into it.", 1.6, spread([STAND, guard, wind, hook, guard, STAND]),
                     randomization=_rand(True))


def shadow_boxing() -> TemplateSpec:
    guard = merge(_leg("left", 10, 25), _leg("right", -5, 25), {"root": (0.0, 0.0, -0.06)},
                  arm("left", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)), arm("right", (0.3, 0.6, -1.0), (0.0, 0.3, 1.0)))
    bob = merge(guard, {"root": (0.0, 0.0, -0.12)}, _leg("left", 20, 40), _leg("right", 5, 40))
    jab_l = merge(guard, arm("left", (-0.05, 1.0, 0.1)), spine(twist=-15))
    jab_r = merge(guard, arm("right", (-0.05, 1.0, 0.1)), spine(twist=15))
    return keyframed("shadow_boxing", "shadow boxing", "Shadow boxing: bouncing on the feet in a guard, throwing "
                     "quick jabs with alternate fists.", 1.6, cycle([guard, jab_l, bob, jab_r]), loops=True,
                     randomization=_rand(True, 3.0))


def side_kick() -> TemplateSpec:
    arms = merge(arm("left", (0.5, 0.6, -0.5), (0.0, 0.4, 1.0)), arm("right", (0.5, 0.6, -0.5), (0.0, 0.4, 1.0)))
    chamber = merge(arms, {"right_hip": Euler(-80, 0, 0), "right_knee": Euler(120, 0, 0)}, spine(side=15))
    out = merge(arms, {"right_hip": Euler(0, 80, 0), "right_knee": Euler(5, 0, 0), "pelvis": Euler(0, 20, 0)},
                spine(side=25), _leg("left", 0, 15))
    return keyframed("side_kick", "side kick", "A side kick: the right knee chambered, the leg driven straight out to "
                     "the side at hip height, and pulled back.", 1.6, spread([STAND, chamber, out, chamber, STAND]),
                     randomization=_rand(True))


def roundhouse_kick() -> TemplateSpec:
    arms = merge(arm("left", (0.5, 0.6, -0.5), (0.0, 0.4, 1.0)), arm("right", (0.5, 0.6, -0.5), (0.0, 0.4, 1.0)))
    lift = merge(arms, {"right_hip": Euler(-60, 50, 0), "right_knee": Euler(110, 0, 0), "pelvis": Euler(0, 0, 30)},
                 spine(side=20))
    strike = merge(arms, {"right_hip": Euler(-70, 70, 0), "right_knee": Euler(10, 0, 0), "pelvis": Euler(0, 0, 70)},
                   spine(side=30, twist=-30), _leg("left", 0, 15))
    return keyframed("roundhouse_kick", "roundhouse kick", "A roundhouse kick: pivot on the standing foot, swing the "
                     "raised leg round and snap the shin across at head height.", 1.6,
                     spread([STAND, lift, strike, lift, STAND]), randomization=_rand(True))


def throw_overarm() -> TemplateSpec:
    cocked = merge(_leg("left", 30, 15), _leg("right", -10, 20), spine(twist=-35, forward=-10),
                   arm("left", (0.3, 1.0, 0.3)), arm("right", (1.0, -0.4, 0.2), (0.0, -0.3, 1.0)),
                   {"root": (0.0, 0.0, -0.04)})
    release = merge(_leg("left", 35, 25), _leg("right", -30, 20, -30), spine(twist=30, forward=25),
                    arm("left", (0.4, -0.2, -1.0)), arm("right", (-0.2, 1.0, 0.3), (-0.2, 1.0, 0.3)),
                    {"root": (0.0, -0.25, -0.08)})
    follow = merge(_leg("left", 25, 30), _leg("right", -20, 30), spine(twist=40, forward=35),
                   arm("right", (-0.6, 0.5, -1.0)), {"root": (0.0, -0.3, -0.1)})
    return keyframed("throw_overarm", "throw overarm", "An overarm throw: step forward, the throwing hand cocked "
                     "behind the head, whipped over and through.", 1.8, spread([STAND, cocked, release, follow, STAND]),
                     randomization=_rand(True))


def throw_underarm() -> TemplateSpec:
    back = merge(_leg("left", 20, 15), _leg("right", -5, 20), spine(forward=15),
                 arm("right", (0.1, -0.8, -0.6)), arm("left", (0.2, 0.5, -0.8)), {"root": (0.0, 0.0, -0.05)})
    release = merge(_leg("left", 30, 30), _leg("right", -10, 25), spine(forward=10),
                    arm("right", (0.0, 1.0, 0.35)), {"root": (0.0, -0.15, -0.08)})
    return keyframed("throw_underarm", "throw underarm", "An underarm toss: the arm swung back low and then forward "
                     "and up, letting go in front at chest height.", 1.8,
                     spread([STAND, back, release, release, STAND]),
                     randomization=_rand(True))


# Held props run from the hand along the fingers (the right hand's -X at rest): a club or a racket is an
# extension of the arm.
CLUB = Held("club", "cylinder", (0.025, 0.025, 1.0), "right_hand", offset=(-0.5, 0.0, 0.0), rotation_deg=(0, 90, 0))


def golf_swing() -> TemplateSpec:
    address = merge(_crouch(0.08, 25, 25, 10), spine(forward=35), head(nod=30),
                    reach("left", -0.03, 0.35, 0.72, 0.2), reach("right", 0.02, 0.35, 0.70, 0.2))
    top = merge(_crouch(0.08, 25, 25, 10), spine(forward=25, twist=-80), head(nod=30, turn=40),
                reach("left", -0.05, 0.2, 1.35, 0.5), reach("right", 0.3, -0.05, 1.45, 0.4))
    finish = merge(_leg("left", 5, 5), _leg("right", -10, 30, -30), spine(forward=-5, twist=85), head(turn=-50),
                   reach("left", 0.35, -0.05, 1.5, 0.4), reach("right", 0.0, 0.1, 1.4, 0.5))
    return keyframed("golf_swing", "golf swing", "A golf swing with a club: address the ball, a slow backswing, a fast "
                     "downswing through the ball and a high finish.", 2.6,
                     [(0.0, address), (0.15, address), (0.5, top), (0.62, address), (0.8, finish), (1.0, finish)],
                     randomization=_rand(False), props=(CLUB,))


RACKET = Held("racket", "box", (0.62, 0.02, 0.26), "right_hand", offset=(-0.34, 0.0, 0.0))


def tennis_forehand() -> TemplateSpec:
    ready = merge(_crouch(0.1, 25, 30, 10), spine(forward=15), arm("right", (0.3, 0.8, -0.4), (0.1, 1.0, 0.0)),
                  arm("left", (0.3, 0.8, -0.4), (0.1, 1.0, 0.0)))
    back = merge(_crouch(0.1, 25, 30, 10), spine(twist=-60), arm("right", (1.0, -0.6, 0.0), (1.0, -0.4, 0.1)),
                 arm("left", (0.2, 1.0, 0.1)))
    hit = merge(_crouch(0.06, 20, 20, 5), spine(twist=10), arm("right", (0.4, 1.0, 0.0), (0.2, 1.0, 0.05)),
                arm("left", (0.6, 0.3, -0.5)))
    follow = merge(_crouch(0.05, 15, 20, 5), spine(twist=60), arm("right", (-0.8, 0.5, 0.6), (-0.8, -0.3, 0.6)))
    return keyframed("tennis_forehand", "tennis forehand", "A tennis forehand with a racket: turn, take the racket "
                     "back on the right, swing through forwards and finish over the left shoulder.", 2.0,
                     spread([ready, back, hit, follow, ready]), randomization=_rand(False), props=(RACKET,))


def tennis_backhand() -> TemplateSpec:
    ready = merge(_crouch(0.1, 25, 30, 10), spine(forward=15), arm("right", (0.3, 0.8, -0.4), (0.1, 1.0, 0.0)),
                  arm("left", (0.3, 0.8, -0.4), (0.1, 1.0, 0.0)))
    back = merge(_crouch(0.1, 25, 30, 10), spine(twist=60), arm("right", (-0.9, 0.2, -0.2), (-0.4, -0.8, 0.0)),
                 reach("left", -0.1, 0.25, 1.05, 0.3))
    hit = merge(_crouch(0.06, 20, 20, 5), spine(twist=0), arm("right", (0.1, 1.0, -0.1), (0.3, 1.0, 0.0)))
    follow = merge(_crouch(0.05, 15, 20, 5), spine(twist=-40), arm("right", (1.0, 0.3, 0.7), (0.6, 0.25, 1.0)),
                   arm("left", (0.9, -0.5, -0.4)))
    return keyframed("tennis_backhand", "tennis backhand", "A one-handed tennis backhand: racket taken back across "
                     "the body on the left, swung out through to the right, finishing high.", 2.0,
                     spread([ready, back, hit, follow, ready]), randomization=_rand(False), props=(RACKET,))


BALL = Held("ball", "sphere", (0.24, 0.24, 0.24), "right_hand", grab=0.0, release=0.55, offset=(0.0, -0.02, 0.12))


def basketball_shot() -> TemplateSpec:
    set_ = merge(_crouch(0.2, 50, 70, 25), spine(forward=10), reach("right", 0.1, 0.2, 1.5, 1.5),
                 reach("left", -0.02, 0.22, 1.45, 1.0))
    rise = merge(leg("left", 0, 0, -30), leg("right", 0, 0, -30), {"root": (0.0, 0.0, 0.18)},
                 arm("right", (0.1, 0.5, 1.0), (0.0, 0.6, 1.0)), arm("left", (0.4, 0.5, 0.8)))
    land = merge(_crouch(0.1, 25, 35, 15), arm("right", (0.1, 0.8, 0.6), (0.0, 0.9, 0.1)))
    return keyframed("basketball_shot", "basketball shot", "A jump shot: dip with the ball at the forehead, jump, "
                     "extend the shooting arm and flick the ball away at the top, land.", 2.2,
                     spread([STAND, set_, rise, land, STAND]), randomization=_rand(False), props=(BALL,))


def jump_rope() -> TemplateSpec:
    def phase(angle: float, z: float, knee: float) -> Pose:
        c, s = 0.1 * np.cos(np.radians(angle)), 0.1 * np.sin(np.radians(angle))
        toes = -20 if z > 0 else 10
        return merge(leg("left", knee / 2, knee, toes), leg("right", knee / 2, knee, toes),
                     arm("left", (0.35, 0.15, -1.0), (0.6, 0.3 + c, -0.2 + s)),
                     arm("right", (0.35, 0.15, -1.0), (0.6, 0.3 + c, -0.2 + s)), {"root": (0.0, 0.0, z)})

    return keyframed("jump_rope", "jump rope", "Skipping rope: small quick two-footed hops, the wrists turning the "
                     "rope in circles at the hips.", 0.5, cycle([phase(0, -0.03, 20), phase(90, 0.08, 5),
                                                              phase(180, 0.1, 5), phase(270, 0.0, 10)]),
                     loops=True, randomization=_rand(True, 2.0, (0.85, 1.15)))


def high_knees() -> TemplateSpec:
    def phase(up: str | None, arm_deg: float, z: float) -> Pose:
        pose = merge(leg("left", 5, 10, 0), leg("right", 5, 10, 0), arm_swing("left", -arm_deg, 80),
                     arm_swing("right", arm_deg, 80), {"root": (0.0, 0.0, z)})
        if up:
            pose.update(leg(up, 95, 100, 10))
        return pose

    return keyframed("high_knees", "high knees", "Running on the spot with high knees: each thigh driven up past "
                     "horizontal, arms pumping.", 0.6, cycle([phase("left", 40, 0.04), phase(None, 0, -0.02),
                                                            phase("right", -40, 0.04), phase(None, 0, -0.02)]),
                     loops=True, randomization=_rand(True))


def butt_kicks() -> TemplateSpec:
    def phase(up: str | None, arm_deg: float, z: float) -> Pose:
        pose = merge(leg("left", 0, 10, 0), leg("right", 0, 10, 0), arm_swing("left", -arm_deg, 70),
                     arm_swing("right", arm_deg, 70), {"root": (0.0, 0.0, z)}, {"spine2": Euler(8, 0, 0)})
        if up:
            pose.update(leg(up, -10, 140, -30))
        return pose

    return keyframed("butt_kicks", "butt kicks", "Jogging on the spot kicking the heels up to the seat, the thighs "
                     "staying down.", 0.6, cycle([phase("left", 25, 0.03), phase(None, 0, -0.02),
                                                phase("right", -25, 0.03), phase(None, 0, -0.02)]),
                     loops=True, randomization=_rand(True))


def toe_touches() -> TemplateSpec:
    down = merge(leg("left", 0, 0, 0, 12), leg("right", 0, 0, 0, 12), spine(forward=95), head(nod=20),
                 arm("left", (0.1, 0.4, -1.0)), arm("right", (0.1, 0.4, -1.0)), {"root": (0.0, 0.15, -0.04)})
    up = merge(leg("left", 0, 0, 0, 12), leg("right", 0, 0, 0, 12), arm("left", (0.2, 0.1, 1.0)),
               arm("right", (0.2, 0.1, 1.0)))
    return keyframed("toe_touches", "toe touches", "Toe touches: reaching up tall, then bending down with straight "
                     "legs to touch the toes, and up again.", 2.4, cycle([up, down]), loops=True,
                     randomization=_rand(True))


def torso_twist() -> TemplateSpec:
    base = merge(leg("left", 0, 5, 0, 10), leg("right", 0, 5, 0, 10), arm("left", (1.0, 0.1, 0.0)),
                 arm("right", (1.0, 0.1, 0.0)))
    return keyframed("torso_twist", "torso twist", "Standing torso twists: arms held out to the sides, the trunk "
                     "turning far left and far right.", 1.6, cycle([merge(base, spine(twist=60), head(turn=20)),
                                                                  merge(base, spine(twist=-60), head(turn=-20))]),
                     loops=True, randomization=_rand(True))


def side_bends() -> TemplateSpec:
    base = merge(leg("left", 0, 0, 0, 10), leg("right", 0, 0, 0, 10))
    left = merge(base, spine(side=40), arm("right", (0.0, 0.0, 1.0)), arm("left", (0.0, 0.0, -1.0)))
    right = merge(base, spine(side=-40), arm("left", (0.0, 0.0, 1.0)), arm("right", (0.0, 0.0, -1.0)))
    return keyframed("side_bends", "side bends", "Side bends: one arm over the head, bending the trunk to the other "
                     "side, then the other way.", 2.4, cycle([left, right]), loops=True, randomization=_rand(True))


def calf_raises() -> TemplateSpec:
    low = merge(STAND, leg("left", 0, 0, 0), leg("right", 0, 0, 0), reach("left", 0.24, 0.02, 0.98, 2.5),
                reach("right", 0.24, 0.02, 0.98, 2.5))
    high = merge(low, leg("left", 0, 0, -40), leg("right", 0, 0, -40), {"root": (0.0, 0.0, 0.08)})
    return keyframed("calf_raises", "calf raises", "Calf raises: hands on the hips, rising up onto the toes and "
                     "lowering the heels again.", 1.4, cycle([low, high]), loops=True, randomization=_rand(True))


def mountain_climbers() -> TemplateSpec:
    a = _plank(70, 0.38, 0.0, leg("left", 100, 110, 0))
    b = _plank(70, 0.38, 0.0, leg("right", 100, 110, 0))
    return keyframed("mountain_climbers", "mountain climbers", "Mountain climbers: in a high plank, driving the knees "
                     "to the chest one after the other.", 0.8, cycle([a, b]), loops=True, randomization=_rand(True))


def squat_jump() -> TemplateSpec:
    low = merge(_crouch(0.38, 100, 115, 25), {"spine1": Euler(30, 0, 0)}, arm("left", (0.1, 0.8, -0.6)),
                arm("right", (0.1, 0.8, -0.6)))
    air = merge(leg("left", 0, 0, -30), leg("right", 0, 0, -30), {"root": (0.0, 0.0, 0.25)},
                arm("left", (0.2, 0.2, -1.0)), arm("right", (0.2, 0.2, -1.0)))
    return keyframed("squat_jump", "squat jump", "Squat jumps: a deep squat, an explosive jump straight up with the "
                     "arms thrown down, landing back into the squat.", 1.4, cycle([low, air]), loops=True,
                     randomization=_rand(True))


def leg_swings() -> TemplateSpec:
    hold = merge(ARMS_DOWN, arm("left", (1.0, 0.0, 0.0)))
    front = merge(hold, leg("right", 75, 5, 10), spine(forward=-8))
    back = merge(hold, leg("right", -35, 10, -10), spine(forward=10))
    return keyframed("leg_swings", "leg swings", "Leg swings: standing on the left leg, swinging the straight right "
                     "leg high in front and back behind.", 1.2, cycle([front, back]), loops=True,
                     randomization=_rand(True))


def star_jump() -> TemplateSpec:
    tuck = merge(_crouch(0.25, 60, 80, 25), arm("left", (0.2, 0.6, -0.8)), arm("right", (0.2, 0.6, -0.8)),
                 {"spine1": Euler(20, 0, 0)})
    star = merge(leg("left", 0, 0, -30, 35), leg("right", 0, 0, -30, 35), arm("left", (0.7, 0.0, 0.7)),
                 arm("right", (0.7, 0.0, 0.7)), {"root": (0.0, 0.0, 0.3)})
    return keyframed("star_jump", "star jump", "A star jump: crouch, spring up spreading arms and legs wide like a "
                     "star, land and crouch.", 1.4, cycle([tuck, star]), loops=True, randomization=_rand(True))


def soccer_kick() -> TemplateSpec:
    plant = merge(_leg("left", 20, 25), _leg("right", -30, 60), arm("left", (0.9, 0.3, -0.2)),
                  arm("right", (0.6, -0.3, -0.6)), spine(forward=-5), {"root": (0.0, -0.3, -0.05)})
    back = merge(_leg("left", 10, 25), _leg("right", -45, 110, -30), arm("left", (1.0, 0.2, 0.1)),
                 arm("right", (0.8, 0.4, -0.3)), spine(side=10), {"root": (0.0, -0.45, -0.06)})
    strike = merge(_leg("left", 5, 20), _leg("right", 70, 15, -30), arm("left", (0.8, -0.3, 0.2)),
                   arm("right", (0.8, 0.6, -0.2)), spine(forward=-15), {"root": (0.0, -0.5, -0.03)})
    return keyframed("soccer_kick", "kick a ball", "Kicking a ball: a run-up step, plant the left foot, the right leg "
                     "drawn back and swung through hard, arms out for balance.", 1.8,
                     spread([STAND, plant, back, strike, merge(STAND, {"root": (0.0, -0.6, 0.0)})]),
                     randomization=_rand(True))


def bowling() -> TemplateSpec:
    start = merge(STAND, reach("right", 0.05, 0.3, 1.05, 0.3), reach("left", -0.02, 0.32, 1.05, 0.3))
    back = merge(_leg("left", 15, 20), _leg("right", -10, 20), arm("right", (0.15, -0.9, -0.3)),
                 arm("left", (0.8, 0.3, -0.2)), spine(forward=15), {"root": (0.0, -0.3, -0.05)})
    slide = merge(_leg("left", 70, 90, 10), _leg("right", -40, 40, -40), arm("right", (0.05, 1.0, -0.6)),
                  arm("left", (1.0, -0.2, 0.0)), spine(forward=40), {"root": (0.0, -0.7, -0.3)})
    return keyframed("bowling", "bowl a bowling ball", "Bowling: ball held at the chest, steps forward with the arm "
                     "swung back and through, a deep slide on the left knee at release.", 2.6,
                     spread([start, back, slide, slide]), randomization=_rand(False),
                     props=(Held("bowling_ball", "sphere", (0.22, 0.22, 0.22), "right_hand", 0.0, 0.7,
                                 offset=(0.0, 0.0, -0.1)),))


def dance_step_touch() -> TemplateSpec:
    def phase(x: float, spread_l: float, spread_r: float, sway: float) -> Pose:
        return merge(leg("left", 0, 15, 0, spread_l), leg("right", 0, 15, 0, spread_r),
                     arm("left", (0.6, 0.4, -0.5 + sway), (0.2, 0.8, 0.4 + sway)),
                     arm("right", (0.6, 0.4, -0.5 - sway), (0.2, 0.8, 0.4 - sway)),
                     {"root": (x, 0.0, -0.05), "pelvis": Euler(0, -sway * 15, 0), "head": Euler(0, sway * 10, 0)})

    return keyframed("dance_step_touch", "dance: step touch", "A step-touch dance: step to one side and tap the "
                     "other foot in, then back, bent arms swinging with the beat.", 1.6,
                     cycle([phase(0.0, 2, 2, 0.0), phase(0.22, 18, 3, 0.6), phase(0.0, 2, 2, 0.0),
                            phase(-0.22, 3, 18, -0.6)]), loops=True, randomization=_rand(True, 3.0))


def dance_disco() -> TemplateSpec:
    up = merge(leg("left", 0, 10), leg("right", 10, 25, 0, 8), arm("left", (0.3, 0.2, -1.0), (0.0, 0.6, 0.8)),
               arm("right", (0.6, 0.3, 1.0)), spine(side=-8), {"root": (0.0, 0.0, -0.03)})
    down = merge(leg("left", 0, 10), leg("right", 0, 15), arm("left", (0.3, 0.2, -1.0), (0.0, 0.6, 0.8)),
                 arm("right", (-0.45, 0.3, -0.9)), spine(side=8), {"root": (0.0, 0.0, -0.05)})
    return keyframed("dance_disco", "dance: disco point", "The disco point: the right index finger jabbed up and "
                     "out, then down across the body, hips swaying with it.", 1.0, cycle([up, down]), loops=True,
                     randomization=_rand(True, 3.0))


def dance_twist() -> TemplateSpec:
    def phase(turn: float, low: float) -> Pose:
        return merge(_crouch(low, 25, 40, 10), {"pelvis": Euler(0, 0, turn)}, spine(twist=-turn * 1.6),
                     arm("left", (0.8, 0.6, -0.2), (0.3, 1.0, 0.2)), arm("right", (0.8, 0.6, -0.2), (0.3, 1.0, 0.2)))

    return keyframed("dance_twist", "dance: the twist", "The twist: knees bent, the hips and the shoulders twisting "
                     "against each other on the balls of the feet.", 0.8, cycle([phase(25, 0.1), phase(-25, 0.14)]),
                     loops=True, randomization=_rand(True, 3.0))


def dance_arms_sway() -> TemplateSpec:
    def phase(sway: float) -> Pose:
        return merge(leg("left", 0, 10, 0, 8), leg("right", 0, 10, 0, 8), arm("left", (0.4 - sway, 0.1, 1.0)),
                     arm("right", (0.4 + sway, 0.1, 1.0)), spine(side=sway * 25), {"root": (sway * 0.05, 0, -0.03)})

    return keyframed("dance_arms_sway", "dance: arms up sway", "Dancing with both arms up, swaying them and the "
                     "body from side to side like at a concert.", 1.6, cycle([phase(0.5), phase(-0.5)]), loops=True,
                     randomization=_rand(True, 3.0))


ACTIONS = (squat, jumping_jacks, punch, kick, push_up, sit_up, lunge, burpee, arm_circles, uppercut, hook_punch,
           shadow_boxing, side_kick, roundhouse_kick, throw_overarm, throw_underarm, golf_swing, tennis_forehand,
           tennis_backhand, basketball_shot, jump_rope, high_knees, butt_kicks, toe_touches, torso_twist, side_bends,
           calf_raises, mountain_climbers, squat_jump, leg_swings, star_jump, soccer_kick, bowling, dance_step_touch,
           dance_disco, dance_twist, dance_arms_sway)
