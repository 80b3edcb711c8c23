"""Gestures: one arm, both arms, the head, the whole upper body, with left and right variants where a person
would name them differently (those are never mirrored into each other)."""

from __future__ import annotations

from render_farm.core.template.model import RandomizationRanges
from tools.authoring import (
    ARMS_DOWN,
    STAND,
    Dir,
    Pose,
    TemplateSpec,
    _merge,
    arm,
    head,
    keyframed,
    merge,
    reach,
    spine,
    spread,
)

DOWN = ((0.12, 0.0, -1.0), (0.08, 0.12, -1.0))


def _rand(mirror: bool, noise: float = 2.5, speed: tuple[float, float] = (0.85, 1.2)) -> RandomizationRanges:
    return RandomizationRanges(speed=speed, mirror=mirror, joint_noise_deg=noise)


def _hold(action_id: str, label: str, description: str, duration: float, pose: Pose, mirror: bool,
          settle: float = 0.3) -> TemplateSpec:
    """Go into a pose, hold it, come back."""
    return keyframed(action_id, label, description, duration,
                     [(0.0, STAND), (settle, pose), (1.0 - settle, pose), (1.0, STAND)], randomization=_rand(mirror))


def _repeat(action_id: str, label: str, description: str, duration: float, a: Pose, b: Pose, times: int,
            mirror: bool, lead: float = 0.18) -> TemplateSpec:
    """Go into pose a, alternate a and b `times` times, come back."""
    inner = [a, b] * times + [a]
    span = 1.0 - 2 * lead
    keys = [(0.0, STAND)] + [(lead + span * i / (len(inner) - 1), p) for i, p in enumerate(inner)] + [(1.0, STAND)]
    return keyframed(action_id, label, description, duration, keys, randomization=_rand(mirror))


def _raise(side: str) -> TemplateSpec:
    up = merge(ARMS_DOWN, arm(side, (0.15, 0.1, 1.0), (0.1, 0.15, 1.0)))
    return _hold(f"raise_{side}_hand", f"raise {side} hand", f"Raising the {side} hand straight up above the head, "
                 "holding it there and lowering it.", 2.4, up, mirror=False)


def raise_left_hand() -> TemplateSpec:
    return _raise("left")


def raise_right_hand() -> TemplateSpec:
    return _raise("right")


def raise_both_hands() -> TemplateSpec:
    up = merge(arm("left", (0.25, 0.1, 1.0)), arm("right", (0.25, 0.1, 1.0)))
    return _hold("raise_both_hands", "raise both hands", "Raising both hands above the head (hands up) and holding "
                 "them there.", 2.4, up, mirror=True)


def wave() -> TemplateSpec:
    def raised(lean: float) -> Pose:
        return _merge(ARMS_DOWN, {
            "right_shoulder": Dir(-1.0, -0.15, 0.35),
            "right_elbow": Dir(-lean, -0.1, 1.0),
            "right_wrist": Dir(-lean * 1.3, -0.1, 1.0),
        })

    return keyframed(
        "wave", "wave", "Raising the right hand and waving it side to side above the shoulder.", 2.4,
        [
            (0.0, STAND),
            (0.2, raised(0.0)),
            (0.32, raised(0.6)),
            (0.44, raised(-0.5)),
            (0.56, raised(0.6)),
            (0.68, raised(-0.5)),
            (0.8, raised(0.0)),
            (1.0, STAND),
        ],
        randomization=RandomizationRanges(speed=(0.85, 1.2), mirror=True, joint_noise_deg=3.0),
    )


def wave_both_hands() -> TemplateSpec:
    def raised(lean: float) -> Pose:
        return merge(arm("left", (1.0, 0.15, 0.5), (lean, 0.1, 1.0), (lean * 1.3, 0.1, 1.0)),
                     arm("right", (1.0, 0.15, 0.5), (lean, 0.1, 1.0), (lean * 1.3, 0.1, 1.0)))

    return _repeat("wave_both_hands", "wave both hands", "Waving both raised hands side to side above the "
                   "shoulders.", 2.4, raised(0.7), raised(-0.5), 2, mirror=True)


def _point(action_id: str, label: str, description: str, side: str, direction: tuple[float, float, float],
           mirror: bool, turn: float = 0.0) -> TemplateSpec:
    pose = merge(ARMS_DOWN, arm(side, direction), head(turn=turn))
    return _hold(action_id, label, description, 2.0, pose, mirror=mirror)


def point_forward() -> TemplateSpec:
    return _point("point_forward", "point forward", "Pointing straight ahead with one arm outstretched.", "right",
                  (-0.05, 1.0, 0.1), mirror=True)


def point_left() -> TemplateSpec:
    return _point("point_left", "point to the left", "Pointing out to the actor's left with the left arm, the head "
                  "turned to look.", "left", (1.0, 0.3, 0.15), mirror=False, turn=45)


def point_right() -> TemplateSpec:
    return _point("point_right", "point to the right", "Pointing out to the actor's right with the right arm, the "
                  "head turned to look.", "right", (1.0, 0.3, 0.15), mirror=False, turn=-45)


def point_up() -> TemplateSpec:
    pose = merge(ARMS_DOWN, arm("right", (0.1, 0.35, 1.0)), head(nod=-30))
    return _hold("point_up", "point up", "Pointing up at the sky with one arm and looking up.", 2.2, pose, mirror=True)


def salute() -> TemplateSpec:
    pose = merge(ARMS_DOWN, reach("right", 0.16, 0.10, 1.58, elbow_out=2.0),
                 {"right_wrist": Dir(0.6, -0.3, 0.6)})
    return _hold("salute", "salute", "A military salute: the right hand snapped up to the brow, held, and brought "
                 "down.", 2.2, pose, mirror=False, settle=0.25)


def clap() -> TemplateSpec:
    def arms(gap: float) -> Pose:
        return {
            "left_shoulder": Dir(0.25, -1.0, -0.35),
            "right_shoulder": Dir(-0.25, -1.0, -0.35),
            "left_elbow": Dir(-gap, -1.0, 0.25),
            "right_elbow": Dir(gap, -1.0, 0.25),
        }

    return keyframed(
        "clap", "clap", "Clapping the hands in front of the chest, repeatedly.", 0.6,
        [(0.0, arms(0.95)), (0.5, arms(-0.4)), (1.0, arms(0.95))],
        loops=True,
        randomization=RandomizationRanges(speed=(0.8, 1.3), mirror=True, joint_noise_deg=2.0),
    )


def clap_overhead() -> TemplateSpec:
    def arms(gap: float) -> Pose:
        return merge(arm("left", (0.3 + gap, 0.1, 1.0), (gap - 0.1, 0.1, 1.0)),
                     arm("right", (0.3 + gap, 0.1, 1.0), (gap - 0.1, 0.1, 1.0)))

    return _repeat("clap_overhead", "clap overhead", "Clapping the hands together high above the head.", 2.4,
                   arms(0.6), arms(-0.15), 3, mirror=True)


def cross_arms() -> TemplateSpec:
    pose = merge(reach("left", -0.12, 0.22, 1.17, 1.2), reach("right", -0.12, 0.26, 1.12, 1.2))
    return _hold("cross_arms", "cross arms", "Folding the arms across the chest and holding them there.", 2.4, pose,
                 mirror=True)


def shrug() -> TemplateSpec:
    up = merge(arm("left", (0.5, 0.3, -0.8), (0.7, 0.8, 0.2)), arm("right", (0.5, 0.3, -0.8), (0.7, 0.8, 0.2)),
               {"left_collar": Dir(1.0, 0.0, 0.45), "right_collar": Dir(-1.0, 0.0, 0.45)}, head(tilt=10))
    return keyframed("shrug", "shrug", "Shrugging: shoulders up, palms turned out and up, head tilted, then "
                     "relaxing.", 1.6, [(0.0, STAND), (0.35, up), (0.6, up), (1.0, STAND)], randomization=_rand(True))


def stretch_arms_up() -> TemplateSpec:
    up = merge(arm("left", (0.15, 0.0, 1.0)), arm("right", (0.15, 0.0, 1.0)), spine(forward=-12), head(nod=-20))
    return _hold("stretch_arms_up", "stretch arms up", "Stretching both arms high overhead, leaning back a little, "
                 "and relaxing.", 3.0, up, mirror=True, settle=0.35)


def stretch_arms_sideways() -> TemplateSpec:
    out = merge(arm("left", (1.0, -0.15, 0.05)), arm("right", (1.0, -0.15, 0.05)), spine(forward=-5))
    return _hold("stretch_arms_sideways", "stretch arms sideways", "Stretching both arms straight out to the sides, "
                 "pushing them back, and relaxing.", 2.6, out, mirror=True)


def touch_head() -> TemplateSpec:
    pose = merge(reach("left", 0.13, 0.02, 1.64, 1.6), reach("right", 0.13, 0.02, 1.64, 1.6),
                 {"left_wrist": Dir(-0.8, 0.0, 0.5), "right_wrist": Dir(0.8, 0.0, 0.5)})
    return _hold("touch_head", "touch head", "Putting both hands on top of the head and holding them there.", 2.4,
                 pose, mirror=True)


def _touch_knee(side: str) -> TemplateSpec:
    pose = merge(ARMS_DOWN, spine(forward=50, side=(-12 if side == "left" else 12)), head(nod=15),
                 {"root": (0.0, 0.08, -0.03)}, reach(side, 0.12, 0.08, 0.52, 0.3))
    return _hold(f"touch_{side}_knee", f"touch {side} knee", f"Bending forward to touch the {side} knee with the "
                 f"{side} hand, and straightening up.", 2.4, pose, mirror=False)


def touch_left_knee() -> TemplateSpec:
    return _touch_knee("left")


def touch_right_knee() -> TemplateSpec:
    return _touch_knee("right")


def nod() -> TemplateSpec:
    return _repeat("nod", "nod", "Nodding the head yes, a few times.", 1.8, merge(STAND, head(nod=25)),
                   merge(STAND, head(nod=-5)), 2, mirror=True, lead=0.12)


def shake_head() -> TemplateSpec:
    return _repeat("shake_head", "shake head", "Shaking the head no, a few times.", 1.8, merge(STAND, head(turn=40)),
                   merge(STAND, head(turn=-40)), 2, mirror=True, lead=0.12)


def bow() -> TemplateSpec:
    low = merge(ARMS_DOWN, spine(forward=70), head(nod=10), {"root": (0, 0.1, 0)},
                arm("left", (0.05, 0.6, -1.0)), arm("right", (0.05, 0.6, -1.0)))
    return keyframed("bow", "bow", "Bowing deeply from the waist and coming back up.", 2.4,
                     [(0.0, STAND), (0.4, low), (0.6, low), (1.0, STAND)], randomization=_rand(True))


def beckon() -> TemplateSpec:
    out = merge(ARMS_DOWN, arm("right", (0.2, 1.0, -0.1), (0.1, 1.0, 0.2), (0.1, 1.0, 0.2)))
    curl = merge(ARMS_DOWN, arm("right", (0.2, 1.0, -0.1), (0.1, 0.3, 1.0), (0.0, -0.6, 0.8)))
    return _repeat("beckon", "beckon", "Beckoning someone over: the arm held out, the forearm curled in towards the "
                   "body again and again.", 2.2, out, curl, 2, mirror=True)


def hands_on_hips() -> TemplateSpec:
    pose = merge(reach("left", 0.24, 0.02, 0.98, 2.5), reach("right", 0.24, 0.02, 0.98, 2.5))
    return _hold("hands_on_hips", "hands on hips", "Putting both hands on the hips, elbows out, and holding the "
                 "pose.", 2.4, pose, mirror=True)


def scratch_head() -> TemplateSpec:
    a = merge(ARMS_DOWN, reach("right", 0.12, -0.02, 1.62, 1.8), head(tilt=10, nod=10))
    b = merge(ARMS_DOWN, reach("right", 0.08, 0.04, 1.64, 1.8), head(tilt=10, nod=10))
    return _repeat("scratch_head", "scratch head", "Scratching the top of the head with one hand, puzzled.", 2.4,
                   a, b, 3, mirror=True)


def facepalm() -> TemplateSpec:
    pose = merge(ARMS_DOWN, reach("right", 0.0, 0.14, 1.48, 0.5), head(nod=25), spine(forward=8))
    return keyframed("facepalm", "facepalm", "Dropping the face into one palm in dismay.", 2.0,
                     [(0.0, STAND), (0.3, pose), (0.75, pose), (1.0, STAND)], randomization=_rand(True))


def cover_ears() -> TemplateSpec:
    pose = merge(reach("left", 0.13, 0.0, 1.47, 1.5), reach("right", 0.13, 0.0, 1.47, 1.5), head(nod=10),
                 spine(forward=10))
    return _hold("cover_ears", "cover ears", "Covering both ears with the hands against a loud noise.", 2.2, pose,
                 mirror=True)


def cough() -> TemplateSpec:
    a = merge(ARMS_DOWN, reach("right", 0.02, 0.16, 1.42, 0.6), spine(forward=15), head(nod=20))
    b = merge(ARMS_DOWN, reach("right", 0.02, 0.16, 1.40, 0.6), spine(forward=28), head(nod=30))
    return _repeat("cough", "cough", "Coughing into a hand held at the mouth, the body jerking forward with each "
                   "cough.", 2.2, a, b, 2, mirror=True)


def check_watch() -> TemplateSpec:
    look = merge(ARMS_DOWN, arm("left", (0.3, 0.5, -0.6), (-0.6, 1.0, 0.35), (-0.6, 1.0, 0.35)), head(nod=30))
    return _hold("check_watch", "check watch", "Raising the left wrist and looking down at a watch.", 2.2, look,
                 mirror=False)


def fist_pump() -> TemplateSpec:
    low = merge(ARMS_DOWN, arm("right", (0.3, 0.3, -0.5), (0.0, 0.2, 1.0)))
    high = merge(ARMS_DOWN, arm("right", (0.2, 0.2, 1.0), (0.1, 0.2, 1.0)))
    return _repeat("fist_pump", "fist pump", "Pumping a fist in the air in triumph, a few times.", 2.0, low, high, 2,
                   mirror=True)


def hand_on_chest() -> TemplateSpec:
    pose = merge(ARMS_DOWN, reach("right", -0.08, 0.16, 1.22, 1.3), head(nod=-5))
    return _hold("hand_on_chest", "hand on chest", "Placing the right hand flat over the heart, as for a pledge.", 2.4,
                 pose, mirror=False)


def blow_kiss() -> TemplateSpec:
    mouth = merge(ARMS_DOWN, reach("right", 0.02, 0.14, 1.45, 0.5))
    out = merge(ARMS_DOWN, arm("right", (0.3, 1.0, 0.35), (0.2, 1.0, 0.45)))
    return keyframed("blow_kiss", "blow a kiss", "Kissing the fingertips and sweeping the hand out towards someone.",
                     2.0, [(0.0, STAND), (0.3, mouth), (0.45, mouth), (0.7, out), (0.85, out), (1.0, STAND)],
                     randomization=_rand(True))


def stop_sign() -> TemplateSpec:
    pose = merge(ARMS_DOWN, arm("right", (0.1, 1.0, 0.15), (0.05, 1.0, 0.2), (0.0, 0.0, 1.0)))
    return _hold("stop_sign", "stop sign", "Holding one arm straight out in front, palm up and out: stop!", 2.0, pose,
                 mirror=True, settle=0.2)


def push_away() -> TemplateSpec:
    near = merge(arm("left", (0.3, 0.3, -0.8), (0.1, 0.5, 0.8), (0.0, 0.0, 1.0)),
                 arm("right", (0.3, 0.3, -0.8), (0.1, 0.5, 0.8), (0.0, 0.0, 1.0)))
    far = merge(arm("left", (0.15, 1.0, 0.1), (0.1, 1.0, 0.15), (0.0, 0.0, 1.0)),
                arm("right", (0.15, 1.0, 0.1), (0.1, 1.0, 0.15), (0.0, 0.0, 1.0)), spine(forward=8))
    return keyframed("push_away", "push away", "Shoving both palms forward to push something away, twice.", 2.0,
                     spread([STAND, near, far, near, far, STAND]), randomization=_rand(True))


def rub_hands() -> TemplateSpec:
    a = merge(reach("left", -0.04, 0.3, 1.05, 0.8), reach("right", 0.06, 0.3, 1.08, 0.8))
    b = merge(reach("left", 0.06, 0.3, 1.08, 0.8), reach("right", -0.04, 0.3, 1.05, 0.8))
    return _repeat("rub_hands", "rub hands", "Rubbing the hands together in front of the body, as if cold.", 2.2, a,
                   b, 3, mirror=True)


def look_around() -> TemplateSpec:
    left = merge(STAND, head(turn=60, nod=-5), spine(twist=25))
    right = merge(STAND, head(turn=-60, nod=-5), spine(twist=-25))
    return keyframed("look_around", "look around", "Looking around: head and shoulders turning far to one side, "
                     "then to the other.", 3.0, spread([STAND, left, left, right, right, STAND]),
                     randomization=_rand(True))


def cheer() -> TemplateSpec:
    up = merge(arm("left", (0.6, 0.1, 1.0)), arm("right", (0.6, 0.1, 1.0)), {"root": (0.0, 0.0, 0.0)})
    higher = merge(arm("left", (0.45, 0.0, 1.0)), arm("right", (0.45, 0.0, 1.0)), head(nod=-15))
    return _repeat("cheer", "cheer", "Cheering: both arms thrown up in a V and shaken in joy.", 2.0, up, higher, 3,
                   mirror=True, lead=0.15)


def yawn() -> TemplateSpec:
    stretch = merge(arm("left", (0.45, -0.2, 0.8), (0.1, 0.1, 1.0)), arm("right", (0.45, -0.2, 0.8), (0.1, 0.1, 1.0)),
                    head(nod=-35), spine(forward=-15))
    return keyframed("yawn", "yawn and stretch", "A big yawn: head back, elbows bent and arms stretched up and back.",
                     3.0, [(0.0, STAND), (0.35, stretch), (0.65, stretch), (1.0, STAND)], randomization=_rand(True))


def sneeze() -> TemplateSpec:
    wind_up = merge(ARMS_DOWN, reach("right", 0.02, 0.2, 1.4, 0.6), head(nod=-25), spine(forward=-10))
    burst = merge(ARMS_DOWN, reach("right", 0.02, 0.12, 1.3, 0.6), head(nod=35), spine(forward=30))
    return keyframed("sneeze", "sneeze", "A sneeze: the head goes back, a hand comes up, then everything jerks "
                     "forward into the hand.", 2.0, [(0.0, STAND), (0.4, wind_up), (0.55, burst), (0.75, burst),
                                                    (1.0, STAND)], randomization=_rand(True))


def wipe_brow() -> TemplateSpec:
    a = merge(ARMS_DOWN, reach("right", -0.08, 0.14, 1.6, 1.6))
    b = merge(ARMS_DOWN, reach("right", 0.12, 0.12, 1.6, 1.6))
    return keyframed("wipe_brow", "wipe brow", "Wiping the sweat off the brow with the back of the right forearm.",
                     2.0, [(0.0, STAND), (0.35, a), (0.6, b), (1.0, STAND)], randomization=_rand(True))


ACTIONS = (raise_left_hand, raise_right_hand, raise_both_hands, wave, wave_both_hands, point_forward, point_left,
           point_right, point_up, salute, clap, clap_overhead, cross_arms, shrug, stretch_arms_up,
           stretch_arms_sideways, touch_head, touch_left_knee, touch_right_knee, nod, shake_head, bow, beckon,
           hands_on_hips, scratch_head, facepalm, cover_ears, cough, check_watch, fist_pump, hand_on_chest, blow_kiss,
           stop_sign, push_away, rub_hands, look_around, cheer, yawn, sneeze, wipe_brow)
