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


def _shrunk(piece, factor):
    """A loose piece pulled in towards its axis, into the legs."""
    v = piece.vertices.copy()
    centre = v.mean(axis=0)
    v[:, :2] = centre[:2] + (v[:, :2] - centre[:2]) * factor
    return replace(piece, vertices=v)


@pytest.mark.parametrize("fields", [{"top": "tshirt", "bottom": "skirt"}, {"dress": True}], ids=["skirt", "dress"])
def test_skin_stays_under_a_skirt_in_all_but_the_deepest_bends(default_body, extreme_poses, fields):
    """A skirt is skinned (dual quaternions, no cloth simulation): standing, walking and kicking keep the skin
    under it; the deepest hip bends (a crouch, a burpee) fold the cloth into the top of the thighs. Bounded at
    what was measured, not zero. Skin that comes out from under the hem (a knee raised) is not through it."""
    pieces, rendered, covered = _dressed(default_body, every=10, **fields)
    covered = {k: v for k, v in covered.items() if pieces[k].source is None}
    (k,) = covered
    total = len(covered[k])
    standing = np.tile(quat.IDENTITY, (24, 1))
    assert skin_through(default_body, pieces, rendered, covered, standing, np.zeros(3)).size == 0
    shrunk = [_shrunk(p, 0.6) if i == k else p for i, p in enumerate(pieces)]  # the check can fail
    assert len(skin_through(default_body, shrunk, rendered, covered, standing, np.zeros(3))) > 0.3 * total
    through = {tid: len(skin_through(default_body, pieces, rendered, covered, pose, np.zeros(3)))
               for tid, pose in extreme_poses.items()}
    clean = sum(1 for n in through.values() if n == 0)
    share = sum(through.values()) / (total * len(through))
    # Measured 2026-11-29: skirt 147 of 157 most-bent poses clean, 0.40% of the sampled points through;
    # dress 129 clean, 0.77%. With linear blend skinning: 141 and 128 clean, 0.95% and 1.6%.
    assert total > 50 and clean >= {"skirt": 142, "dress": 124}[pieces[k].kind] and share < 0.01, (clean, share)
    assert through["wave"] == through["walk"] == through["clap"] == 0
    assert through["burpee"] > 0  # the deepest bend still folds the cloth into the thighs
    for tid in ("walk", "jumping_jacks"):  # every frame of these: no skin through
        template = find_template(tid)
        rotations, _ = motion.resample(template, np.arange(template.frame_count, dtype=np.float64))
        assert all(skin_through(default_body, pieces, rendered, covered, r, np.zeros(3)).size == 0
                   for r in rotations), tid
