"""Daily actions with hand-held objects: each template names its props (a primitive shape, the hand that holds
it, when it is grabbed and released), which the farm renders in the hand and records in the label."""

from __future__ import annotations

import numpy as np

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    ARMS_DOWN,
    STAND,
    Dir,
    Held,
    Pose,
    TemplateSpec,
    _crouch,
    arm,
    cycle,
    head,
    keyframed,
    leg,
    merge,
    reach,
    spine,
    spread,
)
from tools.families.locomotion import gait

MOUTH = (0.03, 0.15, 1.42)
EAR = (0.14, 0.0, 1.46)


def _rand(mirror: bool = True, noise: float = 2.0) -> RandomizationRanges:
    return RandomizationRanges(speed=(0.85, 1.2), mirror=mirror, joint_noise_deg=noise)


def _r(side: str, point: tuple[float, float, float], elbow_out: float = 0.6) -> Pose:
    return reach(side, *point, elbow_out=elbow_out)


def _repeat(poses_in: list[Pose], a: Pose, b: Pose, times: int, poses_out: list[Pose]) -> list[tuple[float, Pose]]:
    return spread(poses_in + [a, b] * times + [a] + poses_out)


CUP = Held("cup", "cylinder", (0.08, 0.08, 0.1), "right_hand", offset=(0.0, -0.03, -0.03))
PHONE = Held("phone", "box", (0.07, 0.012, 0.145), "right_hand", offset=(0.0, 0.0, -0.02))


def drink_from_cup() -> TemplateSpec:
    low = merge(ARMS_DOWN, _r("right", (0.12, 0.28, 1.05)))
    sip = merge(ARMS_DOWN, _r("right", MOUTH, 0.8), {"right_wrist": Dir(-0.3, -0.3, 0.9)}, head(nod=-25))
    return keyframed("drink_from_cup", "drink from a cup", "Raising a cup from chest height to the mouth, tipping it "
                     "and the head back to drink, and lowering it.", 3.0,
                     spread([low, low, sip, sip, low, low]), randomization=_rand(), props=(CUP,))


def phone_call() -> TemplateSpec:
    ear = merge(ARMS_DOWN, _r("right", EAR, 1.3), {"right_wrist": Dir(0.2, 0.0, 1.0)}, head(tilt=-10))
    return keyframed("phone_call", "make a phone call", "Bringing a phone up to the ear and talking, the head tilted "
                     "to it, then lowering it.", 3.2, spread([STAND, ear, merge(ear, head(tilt=-10, nod=10)), ear,
                                                              STAND]), randomization=_rand(), props=(PHONE,))


def read_book() -> TemplateSpec:
    hold = merge(_r("left", (0.02, 0.32, 1.12), 0.3), _r("right", (0.1, 0.32, 1.1), 0.3), head(nod=35))
    turn = merge(hold, _r("right", (-0.12, 0.33, 1.16), 0.5))
    return keyframed("read_book", "read a book", "Holding an open book in front of the chest and reading, the head "
                     "bent over it, a hand turning a page.", 3.2, spread([hold, hold, turn, hold, hold]),
                     randomization=_rand(), props=(Held("book", "box", (0.3, 0.2, 0.03), "both_hands",
                                                        offset=(0.0, 0.0, 0.0), rotation_deg=(70, 0, 0)),))


def brush_teeth() -> TemplateSpec:
    a = merge(ARMS_DOWN, _r("right", (-0.04, 0.13, 1.43), 1.0), {"right_wrist": Dir(1.0, 0.0, 0.2)})
    b = merge(ARMS_DOWN, _r("right", (0.08, 0.13, 1.43), 1.0), {"right_wrist": Dir(1.0, 0.0, 0.2)})
    return keyframed("brush_teeth", "brush teeth", "Brushing the teeth: the brush held at the mouth and scrubbed "
                     "quickly from side to side.", 2.4, _repeat([STAND], a, b, 4, [STAND]), randomization=_rand(),
                     props=(Held("toothbrush", "cylinder", (0.015, 0.015, 0.18), "right_hand",
                                 offset=(-0.06, 0.0, 0.0), rotation_deg=(0, 90, 0)),))


def comb_hair() -> TemplateSpec:
    front = merge(ARMS_DOWN, _r("right", (0.1, 0.08, 1.66), 1.5), head(nod=10))
    back = merge(ARMS_DOWN, _r("right", (0.12, -0.12, 1.6), 1.5), head(nod=-5))
    return keyframed("comb_hair", "comb hair", "Combing the hair from the forehead back over the top of the head, "
                     "stroke after stroke.", 2.6, _repeat([STAND], front, back, 2, [STAND]), randomization=_rand(),
                     props=(Held("comb", "box", (0.18, 0.01, 0.04), "right_hand", offset=(-0.05, 0.0, 0.0)),))


def wipe_face() -> TemplateSpec:
    a = merge(_r("left", (0.06, 0.13, 1.52), 0.8), _r("right", (0.06, 0.13, 1.52), 0.8), head(nod=15))
    b = merge(_r("left", (0.02, 0.12, 1.42), 0.8), _r("right", (0.02, 0.12, 1.42), 0.8), head(nod=25))
    return keyframed("wipe_face", "wipe face with a towel", "Wiping the face with a towel held in both hands, up and "
                     "down.", 2.6, _repeat([STAND], a, b, 2, [STAND]), randomization=_rand(),
                     props=(Held("towel", "box", (0.3, 0.03, 0.22), "both_hands", offset=(0.0, -0.02, 0.0),
                                 rotation_deg=(90, 0, 0), grab=0.1, release=0.9),))


def eat_with_spoon() -> TemplateSpec:
    bowl = merge(ARMS_DOWN, _r("right", (0.08, 0.35, 0.98), 0.5), _r("left", (0.05, 0.35, 0.95), 0.5), head(nod=25))
    mouth = merge(bowl, _r("right", MOUTH, 0.8), head(nod=5))
    return keyframed("eat_with_spoon", "eat with a spoon", "Eating: the spoon dipped into a bowl held low and brought "
                     "up to the mouth, again and again.", 3.6, _repeat([STAND], bowl, mouth, 2, [STAND]),
                     randomization=_rand(), props=(Held("spoon", "cylinder", (0.015, 0.015, 0.16), "right_hand",
                                                        offset=(-0.05, -0.02, 0.0), rotation_deg=(0, 90, 0)),))


HAT = (0.22, 0.22, 0.1)


def put_on_hat() -> TemplateSpec:
    low = merge(ARMS_DOWN, _r("right", (0.1, 0.3, 1.0)))
    high = merge(_r("left", (0.14, 0.0, 1.66), 1.6), _r("right", (0.14, 0.0, 1.66), 1.6))
    return keyframed("put_on_hat", "put on a hat", "Putting on a hat: lifted from in front of the body with both "
                     "hands and pulled down onto the head.", 2.6, spread([low, high, high, STAND]),
                     randomization=_rand(), props=(Held("hat", "cylinder", HAT, "both_hands", 0.0, 0.62,
                                                        offset=(0.0, 0.0, 0.02)),))


def take_off_hat() -> TemplateSpec:
    high = merge(_r("left", (0.14, 0.0, 1.66), 1.6), _r("right", (0.14, 0.0, 1.66), 1.6))
    low = merge(ARMS_DOWN, _r("right", (0.1, 0.3, 1.0)))
    return keyframed("take_off_hat", "take off a hat", "Taking off a hat with both hands and holding it in front of "
                     "the body.", 2.6, spread([STAND, high, low, low]), randomization=_rand(),
                     props=(Held("hat", "cylinder", HAT, "both_hands", 0.34, 1.0, offset=(0.0, 0.0, 0.02)),))


BOX = (0.38, 0.3, 0.28)


def carry_box() -> TemplateSpec:
    hold = merge(_r("left", (0.2, 0.3, 1.02), 0.3), _r("right", (0.2, 0.3, 1.02), 0.3))
    spec = gait("carry_box", "carry a box", "Walking while carrying a box in both hands in front of the body.", 1.2,
                0.62, arm_deg=0.0, lean=-4, extra=hold)
    return keyframed(spec.id, spec.label, spec.description, spec.duration, spec.keys, loops=True,
                     randomization=spec.randomization,
                     props=(Held("box", "box", BOX, "both_hands", offset=(0, 0, 0.04)),))


def _floor_reach() -> Pose:
    return merge(_crouch(0.45, 105, 120, 25), spine(forward=40), head(nod=20),
                 _r("left", (0.17, 0.4, 0.2 + 0.45), 0.2), _r("right", (0.17, 0.4, 0.2 + 0.45), 0.2))


def pick_up_object() -> TemplateSpec:
    hold = merge(_r("left", (0.16, 0.3, 1.0), 0.3), _r("right", (0.16, 0.3, 1.0), 0.3))
    return keyframed("pick_up_object", "pick up an object", "Squatting down to pick a box up off the floor with both "
                     "hands and standing up holding it.", 3.0, spread([STAND, _floor_reach(), _floor_reach(), hold,
                                                                      hold]),
                     randomization=_rand(), props=(Held("box", "box", (0.3, 0.25, 0.2), "both_hands", 0.25, 1.0,
                                                        offset=(0, 0, 0.0)),))


def put_down_object() -> TemplateSpec:
    hold = merge(_r("left", (0.16, 0.3, 1.0), 0.3), _r("right", (0.16, 0.3, 1.0), 0.3))
    return keyframed("put_down_object", "put down an object", "Squatting down to set a box held in both hands on the "
                     "floor, and standing up without it.", 3.0, spread([hold, hold, _floor_reach(), _floor_reach(),
                                                                       STAND]),
                     randomization=_rand(), props=(Held("box", "box", (0.3, 0.25, 0.2), "both_hands", 0.0, 0.75,
                                                        offset=(0, 0, 0.0)),))


def open_door() -> TemplateSpec:
    reach_ = merge(ARMS_DOWN, _r("right", (0.12, 0.5, 1.0), 0.3), spine(forward=8))
    turned = merge(reach_, {"right_wrist": Dir(-0.3, -1.0, -0.6)})
    pulled = merge(ARMS_DOWN, _r("right", (0.25, 0.3, 1.0), 0.6), leg("left", -15, 10), spine(twist=-15),
                   {"root": (0.0, 0.08, 0.0)})
    return keyframed("open_door", "open a door", "Opening a door: reaching for the handle, pushing it down, and "
                     "pulling the door open while stepping back.", 2.8, spread([STAND, reach_, turned, pulled, pulled]),
                     randomization=_rand())


def type_on_keyboard() -> TemplateSpec:
    def keys(a: float) -> Pose:
        return merge(_r("left", (0.15 + a, 0.38, 0.98 + abs(a) * 0.4), 0.4),
                     _r("right", (0.15 - a, 0.38, 0.98 + abs(a) * 0.4), 0.4), spine(forward=15), head(nod=20))

    return keyframed("type_on_keyboard", "type on a keyboard", "Typing on a keyboard at a standing desk: forearms "
                     "level, both hands tapping and shifting over the keys.", 2.4,
                     _repeat([STAND], keys(0.03), keys(-0.03), 3, [STAND]), randomization=_rand())


def hammer_nail() -> TemplateSpec:
    up = merge(ARMS_DOWN, _r("right", (0.2, 0.25, 1.35), 0.3), _r("left", (0.05, 0.4, 0.95), 0.3), spine(forward=25),
               head(nod=30))
    hit = merge(up, _r("right", (0.1, 0.42, 0.95), 0.3))
    return keyframed("hammer_nail", "hammer a nail", "Hammering a nail at waist height: the hammer raised and brought "
                     "down hard, again and again.", 2.4, _repeat([STAND], up, hit, 3, [STAND]), randomization=_rand(),
                     props=(Held("hammer", "cylinder", (0.03, 0.03, 0.32), "right_hand", offset=(-0.04, -0.1, 0.0),
                                 rotation_deg=(90, 0, 0)),))


def sweep_floor() -> TemplateSpec:
    def stroke(x: float) -> Pose:
        return merge(_crouch(0.05, 15, 20, 5), spine(forward=25, twist=x * 60), head(nod=25),
                     _r("left", (x * 0.3 - 0.05, 0.35, 1.15), 0.4), _r("right", (x * 0.3 + 0.1, 0.45, 0.8), 0.4))

    return keyframed("sweep_floor", "sweep the floor", "Sweeping the floor with a broom, long strokes from side to "
                     "side in front of the feet.", 2.4, cycle([stroke(-1), stroke(1)]), loops=True,
                     randomization=_rand(), props=(Held("broom", "cylinder", (0.03, 0.03, 1.3), "right_hand",
                                                        offset=(0.0, 0.0, 0.1)),))


def wipe_table() -> TemplateSpec:
    def at(angle: float) -> Pose:
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        return merge(ARMS_DOWN, spine(forward=35), head(nod=20), _r("left", (0.2, 0.35, 0.78), 0.3),
                     _r("right", (0.2 + 0.12 * c, 0.5 + 0.08 * s, 0.74), 0.3))

    return keyframed("wipe_table", "wipe a table", "Wiping a table top with a cloth: bent over it, the right hand "
                     "making circles while the left leans on the table.", 2.0,
                     cycle([at(0), at(90), at(180), at(270)]), loops=True, randomization=_rand(),
                     props=(Held("cloth", "box", (0.2, 0.15, 0.02), "right_hand", offset=(0.0, 0.0, -0.03)),))


def pour_drink() -> TemplateSpec:
    hold = merge(_r("left", (0.05, 0.32, 1.0), 0.4), _r("right", (0.15, 0.3, 1.1), 0.4))
    pour = merge(hold, _r("right", (0.03, 0.3, 1.15), 0.9), {"right_wrist": Dir(0.6, -0.2, -0.8)}, head(nod=25))
    return keyframed("pour_drink", "pour a drink", "Pouring from a bottle in the right hand into a cup held in the "
                     "left: the bottle tipped over the cup, held, and set upright.", 3.0,
                     spread([STAND, hold, pour, pour, hold, STAND]), randomization=_rand(),
                     props=(Held("bottle", "cylinder", (0.07, 0.07, 0.26), "right_hand", offset=(0.0, 0.0, -0.04)),
                            Held("cup", "cylinder", (0.08, 0.08, 0.1), "left_hand", offset=(0.0, -0.03, -0.03))))


def take_photo() -> TemplateSpec:
    frame = merge(_r("left", (0.05, 0.32, 1.45), 0.5), _r("right", (0.05, 0.32, 1.45), 0.5))
    tilt = merge(frame, head(nod=5), spine(twist=10))
    return keyframed("take_photo", "take a photo", "Holding a phone up in front of the face with both hands to frame "
                     "a photo and take it.", 2.8, spread([STAND, frame, tilt, frame, STAND]), randomization=_rand(),
                     props=(Held("phone", "box", (0.145, 0.012, 0.07), "both_hands", 0.0, 1.0),))


def text_on_phone() -> TemplateSpec:
    def tap(a: float) -> Pose:
        return merge(_r("left", (0.06 + a, 0.3, 1.08), 0.3), _r("right", (0.06 - a, 0.3, 1.08), 0.3), head(nod=40))

    return keyframed("text_on_phone", "text on a phone", "Typing a message on a phone held at chest height in both "
                     "hands, the head bent down to it.", 2.6, _repeat([STAND], tap(0.02), tap(-0.02), 3, [STAND]),
                     randomization=_rand(), props=(Held("phone", "box", (0.07, 0.145, 0.012), "both_hands"),))


def bicep_curl() -> TemplateSpec:
    down = merge(ARMS_DOWN, arm("right", (0.1, 0.0, -1.0), (0.1, 0.05, -1.0)))
    up = merge(ARMS_DOWN, arm("right", (0.1, 0.05, -1.0), (0.05, 0.5, 1.0)))
    return keyframed("bicep_curl", "lift a dumbbell", "Bicep curls with a dumbbell in the right hand: the forearm "
                     "curled up to the shoulder and lowered slowly.", 2.0, cycle([down, up]), loops=True,
                     randomization=_rand(), props=(Held("dumbbell", "cylinder", (0.05, 0.05, 0.3), "right_hand",
                                                        offset=(-0.02, 0.0, -0.02), rotation_deg=(90, 0, 0)),))


def stir_pot() -> TemplateSpec:
    def at(angle: float) -> Pose:
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        return merge(ARMS_DOWN, spine(forward=15), head(nod=30), _r("right", (0.15 + 0.1 * c, 0.4 + 0.1 * s, 1.0), 0.4))

    return keyframed("stir_pot", "stir a pot", "Stirring a pot at waist height with a long spoon, round and round.",
                     1.6, cycle([at(0), at(90), at(180), at(270)]), loops=True, randomization=_rand(),
                     props=(Held("ladle", "cylinder", (0.02, 0.02, 0.35), "right_hand", offset=(0.0, 0.0, -0.15)),))


def put_on_glasses() -> TemplateSpec:
    low = merge(_r("left", (0.08, 0.3, 1.15), 0.4), _r("right", (0.08, 0.3, 1.15), 0.4))
    eyes = merge(_r("left", (0.1, 0.1, 1.5), 1.2), _r("right", (0.1, 0.1, 1.5), 1.2))
    return keyframed("put_on_glasses", "put on glasses", "Unfolding glasses in front of the chest and putting them on "
                     "with both hands.", 2.6, spread([STAND, low, eyes, eyes, STAND]), randomization=_rand(),
                     props=(Held("glasses", "box", (0.14, 0.05, 0.04), "both_hands", 0.15, 0.78,
                                 offset=(0, -0.02, 0)),))


def lift_box_overhead() -> TemplateSpec:
    chest = merge(_r("left", (0.2, 0.28, 1.1), 0.3), _r("right", (0.2, 0.28, 1.1), 0.3))
    over = merge(arm("left", (0.35, 0.2, 1.0)), arm("right", (0.35, 0.2, 1.0)), head(nod=-20))
    return keyframed("lift_box_overhead", "lift a box overhead", "Lifting a box from chest height up over the head "
                     "with both arms straight, holding it there and bringing it down.", 3.0,
                     spread([chest, over, over, chest]), randomization=_rand(),
                     props=(Held("box", "box", (0.34, 0.28, 0.22), "both_hands"),))


def play_guitar() -> TemplateSpec:
    def strum(z: float) -> Pose:
        return merge(_r("left", (-0.35, 0.25, 1.2), 1.0), _r("right", (-0.02, 0.25, z), 1.2), head(nod=25, turn=15))

    return keyframed("play_guitar", "play guitar", "Playing a guitar held across the body: the left hand on the neck, "
                     "the right hand strumming up and down.", 2.0, cycle([strum(1.02), strum(0.9)]), loops=True,
                     randomization=_rand(mirror=True),
                     props=(Held("guitar", "box", (0.9, 0.1, 0.3), "left_hand", offset=(0.38, -0.05, 0.0),
                                 rotation_deg=(0, 0, 0)),))


def write_on_board() -> TemplateSpec:
    def at(x: float, z: float) -> Pose:
        return merge(ARMS_DOWN, _r("right", (0.15 + x, 0.45, z), 0.5), head(nod=-10))

    return keyframed("write_on_board", "write on a board", "Writing on a wall board at head height with a marker, "
                     "stroke by stroke from left to right.", 3.0,
                     spread([STAND, at(-0.2, 1.5), at(-0.1, 1.42), at(0.0, 1.5), at(0.1, 1.42), at(0.2, 1.5),
                             STAND]), randomization=_rand(mirror=False),
                     props=(Held("marker", "cylinder", (0.02, 0.02, 0.13), "right_hand", offset=(-0.04, -0.03, 0.0),
                                 rotation_deg=(90, 0, 0)),))


def tie_shoelaces() -> TemplateSpec:
    kneel = merge(leg("left", 95, 110, 10), leg("right", 10, 100, -50), {"root": (0.0, 0.15, 0.42 - 0.877)},
                  spine(forward=45), head(nod=30))
    a = merge(kneel, _r("left", (0.14, 0.55, 0.12 + 0.45), 0.3), _r("right", (0.06, 0.55, 0.12 + 0.45), 0.3))
    b = merge(kneel, _r("left", (0.08, 0.52, 0.18 + 0.45), 0.3), _r("right", (0.12, 0.52, 0.18 + 0.45), 0.3))
    return keyframed("tie_shoelaces", "tie shoelaces", "Going down on one knee to tie the laces of the front shoe, "
                     "hands looping the laces, and standing up.", 4.0, spread([STAND, a, b, a, b, STAND]),
                     randomization=_rand())


def look_through_binoculars() -> TemplateSpec:
    eyes = merge(_r("left", (0.05, 0.16, 1.5), 1.2), _r("right", (0.05, 0.16, 1.5), 1.2))
    return keyframed("look_through_binoculars", "look through binoculars", "Raising binoculars to the eyes and "
                     "scanning slowly from one side to the other.", 3.4,
                     spread([STAND, eyes, merge(eyes, spine(twist=35)), merge(eyes, spine(twist=-35)), eyes, STAND]),
                     randomization=_rand(), props=(Held("binoculars", "box", (0.14, 0.12, 0.06), "both_hands"),))


ACTIONS = (drink_from_cup, phone_call, read_book, brush_teeth, comb_hair, wipe_face, eat_with_spoon, put_on_hat,
           take_off_hat, carry_box, pick_up_object, put_down_object, open_door, type_on_keyboard, hammer_nail,
           sweep_floor, wipe_table, pour_drink, take_photo, text_on_phone, bicep_curl, stir_pot, put_on_glasses,
           lift_box_overhead, play_guitar, write_on_board, tie_shoelaces, look_through_binoculars)
