"""Skin under garments across the built-in actions (render_farm/bodies/baked/outfit_check.py, numpy)."""

from dataclasses import replace

import numpy as np
import pytest

from render_farm.bodies.baked import outfit as o
from render_farm.bodies.baked.outfit_check import covered_points, skin_through
from render_farm.core.geometry import quaternion as quat
from render_farm.core.plan.jobs import OutfitParams
from render_farm.core.scene import motion
from render_farm.templates import find_template, load_library


def _dressed(body, every=5, **fields):
    pieces = o.outfit_pieces(body, OutfitParams(**fields))
    rendered = ~o.hidden_body_faces(body, pieces)
    return pieces, rendered, covered_points(body, pieces, rendered, every)


def _most_bent_frame(template) -> np.ndarray:
    """The template's pose furthest from standing: the largest sum of joint rotation angles."""
    rotations, _ = motion.resample(template, np.arange(0, template.frame_count, 2, dtype=np.float64))
    angle = 2 * np.arccos(np.clip(np.abs(rotations[..., 0]), 0.0, 1.0)).sum(axis=1)
    return rotations[int(np.argmax(angle))]


@pytest.fixture(scope="module")
def extreme_poses():
    return {t.id: _most_bent_frame(t) for t in load_library()}


def test_the_check_sees_skin_through_a_garment_that_sinks_into_it(default_body):
    pieces, rendered, covered = _dressed(default_body, top="longsleeve", bottom="trousers")
    standing = np.tile(quat.IDENTITY, (24, 1))
    assert skin_through(default_body, pieces, rendered, covered, standing, np.zeros(3)).size == 0
    sunk = [replace(p, thickness=-p.thickness) for p in pieces]  # the cloth under the skin
    through = skin_through(default_body, sunk, rendered, covered, standing, np.zeros(3))
    assert through.size == sum(len(v) for v in covered.values()) > 50


def test_no_skin_comes_through_a_garment_shell_in_any_built_in_action(default_body, extreme_poses):
    """Every template at its most bent pose, in long sleeves, trousers, an open jacket and shoes, and in a
    t-shirt and shorts: the skin under a shell is not rendered, and the band left at its edges stays under it."""
    for fields in ({"top": "longsleeve", "bottom": "trousers", "jacket": True, "shoes": True},
                   {"top": "tshirt", "bottom": "shorts", "shoes": True}):
        pieces, rendered, covered = _dressed(default_body, **fields)
        assert sum(len(v) for v in covered.values()) > 100
        bad = {tid: len(skin_through(default_body, pieces, rendered, covered, pose, np.zeros(3)))
               for tid, pose in extreme_poses.items()}
        assert not {k: v for k, v in bad.items() if v}, fields


def test_thighs_stay_inside_a_skirt_in_most_built_in_actions(default_body, extreme_poses):
    """A skirt is skinned like the skin it hangs over (no cloth simulation): seated and kneeling poses still
    push the front of the thighs and the seat through it. Bounded at what was measured, not zero."""
    pieces, rendered, covered = _dressed(default_body, every=10, top="tshirt", bottom="skirt")
    (skirt,) = [k for k in covered if pieces[k].name == "bottom"]
    covered = {skirt: covered[skirt]}
    total = len(covered[skirt])
    through = {tid: len(skin_through(default_body, pieces, rendered, covered, pose, np.zeros(3)))
               for tid, pose in extreme_poses.items()}
    clean = sum(1 for n in through.values() if n == 0)
    share = sum(through.values()) / (total * len(through))
    # Measured 2026-11-29: 96 of 157 most-bent poses clean; 2.4% of the sampled covered points through overall.
    assert total > 50 and clean >= 85 and share < 0.03, (clean, share)
    assert through["wave"] == 0 and through["clap"] == 0  # standing, the arms moving
    assert through["kneel_down"] > 0  # the check does see a thigh come out (so the bound above can fail)
    # Walking: at most a few points, at the hem, in any frame.
    walk = find_template("walk")
    rotations, _ = motion.resample(walk, np.arange(walk.frame_count, dtype=np.float64))
    worst = max(len(skin_through(default_body, pieces, rendered, covered, r, np.zeros(3))) for r in rotations)
    assert worst <= 0.06 * total, worst
