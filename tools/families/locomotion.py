"""Locomotion: gaits and their styles, turns, jumps, crawling."""

from __future__ import annotations

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    STAND,
    Dir,
    Euler,
    Pose,
    TemplateSpec,
    _arm_swing,
    _crouch,
    _leg,
    _merge,
    arm,
    arm_swing,
    cycle,
    keyframed,
    leg,
    merge,
)


def _gait_phase(hip_l: float, knee_l: float, hip_r: float, knee_r: float, arm_deg: float, elbow: float,
                z: float, extra: Pose | None = None, ankle: float = 0.0) -> Pose:
    return merge(leg("left", hip_l, knee_l, ankle), leg("right", hip_r, knee_r, ankle),
                 arm_swing("left", -arm_deg, elbow), arm_swing("right", arm_deg, elbow),
                 {"root": (0.0, 0.0, z)}, extra or {})


def gait(action_id: str, label: str, description: str, duration: float, stride: float, *, hip: float = 25,
         back: float = 20, knee_swing: float = 45, knee_stance: float = 8, arm_deg: float = 20, elbow: float = 15,
         lean: float = 4, bounce: float = 0.02, ankle: float = 0.0, extra: Pose | None = None,
         speed: tuple[float, float] = (0.85, 1.2), mirror: bool = True, noise: float = 3.0,
         direction: tuple[float, float] = (0.0, -1.0)) -> TemplateSpec:
    """A symmetric two-step cycle: left contact, right passing, right contact, left passing."""
    body = merge({"spine2": Euler(lean, 0, 0)}, extra or {})
    poses = [
        _gait_phase(hip, knee_stance, -back, knee_stance + 5, arm_deg, elbow, -bounce, body, ankle),
        _gait_phase(0, knee_stance, hip * 0.3, knee_swing, 0, elbow, 0.0, body, ankle),
        _gait_phase(-back, knee_stance + 5, hip, knee_stance, -arm_deg, elbow, -bounce, body, ankle),
        _gait_phase(hip * 0.3, knee_swing, 0, knee_stance, 0, elbow, 0.0, body, ankle),
    ]
    return keyframed(action_id, label, description, duration,
                     cycle(poses, (direction[0] * stride, direction[1] * stride, 0.0)), loops=True,
                     randomization=RandomizationRanges(speed=speed, mirror=mirror, joint_noise_deg=noise))


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


def jog() -> TemplateSpec:
    return gait("jog", "jog", "Jogging: an easy run with short strides, bent arms and a light bounce.", 0.8, 1.3,
                hip=35, back=20, knee_swing=80, knee_stance=20, arm_deg=25, elbow=75, lean=6, bounce=0.03)


def sprint() -> TemplateSpec:
    return gait("sprint", "sprint", "Sprinting flat out: very high knees, long strides, arms driving hard, "
                "body leaning well forward.", 0.55, 2.6, hip=70, back=35, knee_swing=120, knee_stance=25,
                arm_deg=60, elbow=90, lean=18, bounce=0.05, extra={"spine1": Euler(8, 0, 0)})


def march() -> TemplateSpec:
    def phase(lift: str | None, arm_deg: float) -> Pose:
        pose = merge(leg("left", 0, 3), leg("right", 0, 3), arm_swing("left", -arm_deg, 0),
                     arm_swing("right", arm_deg, 0), {"root": (0.0, 0.0, 0.0)})
        if lift:
            pose.update(leg(lift, 85, 90, 10))
        return pose

    return keyframed("march", "march", "Marching on: each thigh raised to horizontal in turn, stiff arms "
                     "swinging high.", 1.2, cycle([phase("left", 45), phase(None, 0), phase("right", -45),
                                                  phase(None, 0)], (0.0, -0.9, 0.0)),
                     loops=True, randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=True,
                                                                   joint_noise_deg=2.0))


def walk_backwards() -> TemplateSpec:
    return gait("walk_backwards", "walk backwards", "Walking backwards: each foot reaches behind before it "
                "takes the weight, the body upright and a little stiff.", 1.3, 0.55, hip=-25, back=-15,
                knee_swing=40, knee_stance=10, arm_deg=-12, elbow=20, lean=-2, direction=(0.0, 1.0))


def _sidestep(side: str) -> TemplateSpec:
    s = 1.0 if side == "left" else -1.0
    lead, trail = side, "right" if side == "left" else "left"
    arms_out = merge(arm("left", (0.35, 0.1, -1.0), (0.3, 0.3, -1.0)),
                     arm("right", (0.35, 0.1, -1.0), (0.3, 0.3, -1.0)))
    together = merge(leg("left", 0, 8), leg("right", 0, 8), arms_out, {"root": (0.0, 0.0, -0.03)})
    reach = merge(leg(lead, 12, 25, 0, 22), leg(trail, 0, 10, 0, 3), arms_out, {"root": (s * 0.10, 0.0, -0.02)})
    apart = merge(leg(lead, 0, 10, 0, 14), leg(trail, 0, 10, 0, 14), arms_out, {"root": (s * 0.20, 0.0, -0.05)})
    follow = merge(leg(lead, 0, 8, 0, 4), leg(trail, 12, 25, 0, 12), arms_out, {"root": (s * 0.32, 0.0, -0.02)})
    keys = [(0.0, together), (0.25, reach), (0.5, apart), (0.75, follow),
            (1.0, merge(together, {"root": (s * 0.42, 0.0, -0.03)}))]
    return keyframed(f"sidestep_{side}", f"sidestep {side}", f"Stepping sideways to the {side}: the {side} "
                     "foot leads out, the other closes up to it.", 1.0, keys, loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=False, joint_noise_deg=2.0))


def sidestep_left() -> TemplateSpec:
    return _sidestep("left")


def sidestep_right() -> TemplateSpec:
    return _sidestep("right")


def gallop_sideways() -> TemplateSpec:
    arms = merge(arm("left", (1.0, 0.0, 0.1)), arm("right", (1.0, 0.0, 0.1)))
    closed = merge(leg("left", 0, 20, 10, 2), leg("right", 0, 20, 10, 2), arms, {"root": (0.0, 0.0, -0.06)})
    air = merge(leg("left", 0, 5, -20, 18), leg("right", 0, 5, -20, 18), arms, {"root": (0.2, 0.0, 0.12)})
    land = merge(leg("left", 0, 25, 15, 12), leg("right", 0, 10, 0, 5), arms, {"root": (0.38, 0.0, -0.04)})
    keys = [(0.0, closed), (0.4, air), (0.75, land), (1.0, merge(closed, {"root": (0.5, 0.0, -0.06)}))]
    return keyframed("gallop_sideways", "gallop sideways", "Galloping sideways: springy slide steps with a "
                     "moment in the air, arms held out to the sides.", 0.6, keys, loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=2.0))


def skip() -> TemplateSpec:
    def phase(up: str, z: float, knee_lift: float) -> Pose:
        down = "right" if up == "left" else "left"
        return merge(leg(up, knee_lift, knee_lift + 10, 10), leg(down, -10, 10, -20),
                     arm(down, (0.15, 0.8, 0.6), (0.1, 0.9, 0.8)), arm_swing(up, -30, 30), {"root": (0.0, 0.0, z)})

    return keyframed("skip", "skip", "Skipping along: a step and a hop on each foot, the other knee high and "
                     "the opposite arm swung up.", 0.9,
                     cycle([phase("left", 0.0, 20), phase("left", 0.12, 80), phase("right", 0.0, 20),
                            phase("right", 0.12, 80)], (0.0, -1.3, 0.0)), loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=2.5))


def _hop(side: str) -> TemplateSpec:
    free = "right" if side == "left" else "left"
    arms = merge(arm("left", (0.6, 0.3, -0.6), (0.5, 0.6, -0.2)), arm("right", (0.6, 0.3, -0.6), (0.5, 0.6, -0.2)))
    held = leg(free, 30, 90, 0)
    down = merge(leg(side, 20, 35, 20), held, arms, {"root": (0.0, 0.0, -0.07)})
    up = merge(leg(side, 0, 3, -25), held, arms, {"root": (0.0, 0.0, 0.10)})
    return keyframed(f"hop_on_{side}_leg", f"hop on {side} leg", f"Hopping on the spot on the {side} leg, the "
                     f"{free} foot held up behind.", 0.55, cycle([down, up]), loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=False, joint_noise_deg=2.0))


def hop_on_left_leg() -> TemplateSpec:
    return _hop("left")


def hop_on_right_leg() -> TemplateSpec:
    return _hop("right")


def tiptoe() -> TemplateSpec:
    return gait("tiptoe", "tiptoe", "Walking on tiptoe: heels up, short careful steps, arms held a little out.",
                1.0, 0.4, hip=18, back=12, knee_swing=40, knee_stance=5, arm_deg=5, elbow=40, lean=2, bounce=-0.05,
                ankle=-35, extra=merge(arm("left", (0.5, 0.2, -0.8), (0.5, 0.6, -0.3)),
                                       arm("right", (0.5, 0.2, -0.8), (0.5, 0.6, -0.3))))


def limp() -> TemplateSpec:
    def phase(hip_l, knee_l, hip_r, knee_r, z, tilt, y):
        return merge(leg("left", hip_l, knee_l), leg("right", hip_r, knee_r), arm_swing("left", -10),
                     arm_swing("right", 10), {"root": (0.0, y, z), "pelvis": Euler(0, tilt, 0),
                                              "spine2": Euler(8, -tilt * 1.5, 0)})

    keys = [(0.0, phase(20, 5, -10, 0, -0.02, 0, 0.0)), (0.3, phase(0, 10, 10, 5, -0.06, -6, -0.12)),
            (0.55, phase(-15, 10, 20, 0, -0.05, -4, -0.3)), (0.8, phase(5, 50, 0, 0, 0.0, 3, -0.42)),
            (1.0, phase(20, 5, -10, 0, -0.02, 0, -0.55))]
    return keyframed("limp", "limp", "Limping forward on a stiff right leg: a short hurried step onto it, the "
                     "body dipping and leaning away, a long step with the good leg.", 1.4, keys, loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.15), mirror=True, joint_noise_deg=2.0))


def crawl() -> TemplateSpec:
    def phase(l_hip, r_hip, l_arm, r_arm):
        return merge(
            {"pelvis": Euler(85, 0, 0), "root": (0.0, 0.0, -0.37), "spine1": Euler(-5, 0, 0),
             "neck": Euler(-30, 0, 0), "head": Euler(-25, 0, 0)},
            leg("left", 90 + l_hip, 95, -40), leg("right", 90 + r_hip, 95, -40),
            {"left_shoulder": Dir(0.15, -l_arm, -1.0), "right_shoulder": Dir(-0.15, -r_arm, -1.0),
             "left_elbow": Dir(0.1, -l_arm, -1.0), "right_elbow": Dir(-0.1, -r_arm, -1.0)},
        )

    return keyframed("crawl", "crawl", "Crawling on hands and knees, opposite hand and knee moving together.",
                     1.6, cycle([phase(15, -15, -0.15, 0.35), phase(0, 0, 0.1, 0.1), phase(-15, 15, 0.35, -0.15),
                                 phase(0, 0, 0.1, 0.1)], (0.0, -0.45, 0.0)), loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=2.0))


def _turn(side: str, total: float) -> TemplateSpec:
    s = 1.0 if side == "left" else -1.0

    def turned(angle: float, lift: str | None) -> Pose:
        pose = merge(STAND, {"pelvis": Euler(0, 0, s * angle)})
        if lift:
            pose.update(leg(lift, 30, 50))
        return pose

    first = side
    second = "right" if side == "left" else "left"
    keys = [(0.0, turned(0, None)), (0.2, turned(total * 0.2, first)), (0.4, turned(total * 0.45, None)),
            (0.6, turned(total * 0.7, second)), (0.8, turned(total, None)), (1.0, turned(total, None))]
    return keyframed(f"turn_{side}", f"turn {side}", f"Turning on the spot a quarter turn to the {side}, in two "
                     "small steps.", 1.4, keys,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=False, joint_noise_deg=2.0))


def turn_left() -> TemplateSpec:
    return _turn("left", 90)


def turn_right() -> TemplateSpec:
    return _turn("right", 90)


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


def jump_forward() -> TemplateSpec:
    arms_back = merge(arm_swing("left", -50, 10), arm_swing("right", -50, 10))
    arms_fwd = merge(arm("left", (0.2, 1.0, 0.5)), arm("right", (0.2, 1.0, 0.5)))
    return keyframed(
        "jump_forward", "jump forward", "A standing broad jump: crouch with the arms back, swing them forward and "
        "leap forward, land on both feet and stand.", 2.0,
        [(0.0, STAND),
         (0.2, merge(crouch_pose(0.22, 60, 90, 30), arms_back, {"spine1": Euler(35, 0, 0)})),
         (0.36, merge(crouch_pose(0.0, 10, 5, -30), arms_fwd, {"spine1": Euler(25, 0, 0), "root": (0, -0.25, 0.0)})),
         (0.5, merge(crouch_pose(-0.2, 60, 70, 0), arms_fwd, {"spine1": Euler(15, 0, 0), "root": (0, -0.6, 0.2)})),
         (0.64, merge(crouch_pose(0.25, 70, 100, 30), arms_fwd, {"spine1": Euler(35, 0, 0), "root": (0, -1.0, -0.25)})),
         (0.85, merge(STAND, {"root": (0, -1.05, 0.0)})), (1.0, merge(STAND, {"root": (0, -1.05, 0.0)}))],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def crouch_pose(depth: float, hip: float, knee: float, ankle: float) -> Pose:
    return _crouch(depth, hip, knee, ankle)


def leap() -> TemplateSpec:
    run_arms = merge(arm_swing("left", 40, 60), arm_swing("right", -40, 60))
    split = merge(leg("left", 70, 10, 10), leg("right", -45, 30, -20), arm("left", (0.3, 0.6, 0.7)),
                  arm("right", (0.6, -0.4, 0.6)), {"spine1": Euler(5, 0, 0)})
    return keyframed(
        "leap", "leap", "A running leap: two quick steps, a long leap with the legs split front and back, landing "
        "on the front foot.", 1.6,
        [(0.0, merge(leg("left", 25, 10), leg("right", -20, 15), run_arms)),
         (0.2, merge(leg("left", -20, 15), leg("right", 40, 30), run_arms, {"root": (0, -0.45, -0.03)})),
         (0.38, merge(leg("left", 45, 30), leg("right", -25, 10, -30), run_arms, {"root": (0, -0.9, 0.0)})),
         (0.58, merge(split, {"root": (0, -1.6, 0.3)})),
         (0.78, merge(leg("left", 35, 40, 10), leg("right", -30, 20), run_arms, {"root": (0, -2.3, -0.08)})),
         (1.0, merge(STAND, {"root": (0, -2.6, 0.0)}))],
        randomization=RandomizationRanges(speed=(0.9, 1.15), mirror=True, joint_noise_deg=2.0),
    )


def shuffle() -> TemplateSpec:
    return gait("shuffle", "shuffle", "Shuffling forward: tiny dragging steps, feet barely leaving the ground, "
                "head and shoulders stooped.", 1.1, 0.32, hip=10, back=6, knee_swing=15, knee_stance=12, arm_deg=4,
                elbow=30, lean=8, bounce=0.03, extra=merge({"spine1": Euler(12, 0, 0)}, {"neck": Euler(15, 0, 0)}),
                speed=(0.85, 1.15))


def stagger() -> TemplateSpec:
    def phase(hip_l, hip_r, sway, x, y):
        return merge(leg("left", hip_l, 15, 0, max(0, -sway) / 2), leg("right", hip_r, 15, 0, max(0, sway) / 2),
                     arm("left", (0.8, 0.1, -0.4), (0.7, 0.3, -0.2)), arm("right", (0.8, 0.1, -0.4), (0.7, 0.3, -0.2)),
                     {"root": (x, y, -0.04), "pelvis": Euler(0, sway, 0), "spine2": Euler(5, -sway * 2, 0),
                      "head": Euler(10, sway, 0)})

    keys = [(0.0, phase(20, -10, 0, 0.0, 0.0)), (0.25, phase(0, 15, 8, 0.18, -0.15)),
            (0.5, phase(-10, 20, 0, 0.0, -0.35)), (0.75, phase(15, 0, -8, -0.18, -0.5)),
            (1.0, phase(20, -10, 0, 0.0, -0.7))]
    return keyframed("stagger", "stagger", "Staggering forward off balance, weaving from side to side with the arms "
                     "held out.", 1.8, keys, loops=True,
                     randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=3.0))


ACTIONS = (walk, jog, run, sprint, march, walk_backwards, sidestep_left, sidestep_right, gallop_sideways, skip,
           hop_on_left_leg, hop_on_right_leg, tiptoe, limp, crawl, turn_left, turn_right, turn_around, jump,
           jump_forward, leap, shuffle, stagger)
