"""Skin under garments across the built-in actions (render_farm/outfits/fit.py, numpy)."""

from dataclasses import replace

import numpy as np
import pytest

from render_farm import outfits as o
from render_farm.core.geometry import mesh
from render_farm.core.geometry import quaternion as quat
from render_farm.core.plan.jobs import OutfitParams
from render_farm.core.scene import motion
from render_farm.outfits.fit import (
    capped,
    covered_points,
    inside,
    left_out_points,
    skin_exposed,
    skin_through,
)
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


def test_a_tube_closed_at_both_ends_holds_the_points_near_its_open_ends():
    """`capped` fans each open loop to its centre, so the inside test no longer loses points whose rays leave by
    an open end (a short, wide tube: a bent skirt's ends face many ways)."""
    rings, segments = 3, 24
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    tube = np.array([(0.5 * np.cos(t), 0.5 * np.sin(t), z) for z in np.linspace(0, 0.2, rings) for t in a])
    faces = mesh.grid_faces(rings, segments, True)
    points = np.array([[0.0, 0.0, 0.1], [0.1, 0.05, 0.02], [0.0, 0.0, -0.1], [0.7, 0.0, 0.1]])
    vertices, closed = capped(tube, faces)
    assert len(vertices) == len(tube) + 2 and len(closed) == len(faces) + 2 * segments
    assert inside(points, vertices, closed).tolist() == [True, True, False, False]
    assert inside(points, tube, faces).tolist() == [False, False, False, False]  # open: rays leave by the ends


def test_culled_ray_crossings_count_what_testing_every_pair_counts():
    """ray_crossings tests blocks of nearby rays only against the triangles whose grown boxes meet the block's;
    the counts are those of testing every ray against every triangle: rays along one shared direction (the
    inside test's), segments of their own directions and reaches, unbounded rays, rays along an axis, rays that
    start inside the surface and rays that miss it, rays that are not numbers among the others."""
    from render_farm.outfits import fit as check

    rng = np.random.default_rng(7)
    vertices = rng.uniform(-1, 1, size=(400, 3))
    faces = rng.integers(0, 400, size=(900, 3))
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
    origins = np.concatenate([rng.uniform(-1.5, 1.5, size=(700, 3)), vertices[faces[:60]].mean(axis=1)])
    cases = [
        ("shared", np.array([0.3, -0.5, 0.8]), np.inf),
        ("axis", np.array([0.0, 0.0, 1.0]), np.inf),
        ("own, bounded", rng.normal(size=origins.shape), rng.uniform(0.01, 0.8, size=len(origins))),
        ("own, unbounded", rng.normal(size=origins.shape), np.inf),
        ("own, one axis", np.eye(3)[rng.integers(0, 3, size=len(origins))], 0.5),
        ("not numbers among them", np.where(np.arange(len(origins))[:, None] % 50 == 0, np.nan,
                                            rng.normal(size=origins.shape)), 0.6),
    ]
    for name, directions, reach in cases:
        d = np.broadcast_to(directions, origins.shape)
        counted = check.ray_crossings(origins, directions, vertices, faces, reach)
        a = vertices[faces[:, 0]]
        every_pair = check._crossings(origins, d, np.broadcast_to(reach, (len(origins),)).astype(float), a,
                                      vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a)
        np.testing.assert_array_equal(counted, every_pair, err_msg=name)
        assert counted.sum() > 100 and (counted == 0).sum() > 20, (name, counted.sum())
    # Rays from the triangles' own centres along their normals meet them at t = 0, not counted (t > 0); from
    # just behind, they do.
    a, b, c = (vertices[faces[:200, k]] for k in range(3))  # and no degenerate triangle among them
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    centre = (a + b + c) / 3
    assert (check.ray_crossings(centre - normal * 1e-3, normal, vertices, faces[:200], 0.01) >= 1).all()
    float32 = check.ray_crossings(origins.astype(np.float32), np.float32([0, 1, 0]), vertices.astype(np.float32),
                                  faces, np.inf)
    np.testing.assert_array_equal(float32, check._crossings(
        origins.astype(np.float32), np.broadcast_to(np.float32([0, 1, 0]), origins.shape),
        np.full(len(origins), np.inf), *(lambda a32: (a32, vertices.astype(np.float32)[faces[:, 1]] - a32,
                                                      vertices.astype(np.float32)[faces[:, 2]] - a32))(
            vertices.astype(np.float32)[faces[:, 0]])))


def test_the_check_sees_skin_through_a_garment_that_sinks_into_it(default_body):
    pieces, rendered, covered = _dressed(default_body, top="longsleeve", bottom="trousers")
    standing = np.tile(quat.IDENTITY, (24, 1))
    assert skin_through(default_body, pieces, rendered, covered, standing, np.zeros(3)).size == 0
    sunk = [replace(p, thickness=-p.thickness) for p in pieces]  # the cloth under the skin
    through = skin_through(default_body, sunk, rendered, covered, standing, np.zeros(3))
    assert through.size == sum(len(v) for v in covered.values()) > 50


@pytest.mark.slow
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


def _lifted(piece, metres):
    """A loose piece moved up the body, its hem above the skin left out under it."""
    return replace(piece, vertices=piece.vertices + np.array([0.0, 0.0, metres], dtype=np.float32))


@pytest.mark.slow
@pytest.mark.parametrize("fields", [{"top": "tshirt", "bottom": "skirt"}, {"dress": True}], ids=["skirt", "dress"])
def test_no_skin_comes_through_a_skirt_and_little_left_out_skin_comes_out_by_its_hem(default_body, extreme_poses,
                                                                                   fields):
    """A skirt is skinned (dual quaternions, no cloth simulation), and the skin deep under it (hips and upper
    thighs, away from its waist and hem) is not rendered: at every template's most bent pose no rendered skin
    shows through it. The deepest hip bends (a crouch, sitting on the floor) swing the front of the thighs
    through the top of the skirt, where left-out skin then lies outside it: bounded at what was measured.
    Skin that comes out from under the hem (a knee raised) is not through it."""
    pieces, rendered, covered = _dressed(default_body, every=5, **fields)
    covered = {k: v for k, v in covered.items() if pieces[k].source is None}
    (k,) = covered
    left_out = left_out_points(default_body, pieces, rendered, every=10)
    assert set(left_out) == {k} and len(left_out[k]) > 30
    assert not np.intersect1d(covered[k], left_out[k]).size  # left-out skin is not rendered skin
    total = len(covered[k])
    standing = np.tile(quat.IDENTITY, (24, 1))
    assert skin_through(default_body, pieces, rendered, covered, standing, np.zeros(3)).size == 0
    assert skin_exposed(default_body, pieces, left_out, standing, np.zeros(3)).size == 0
    # Both checks can fail: a skirt pulled in into the legs lets skin through, one lifted up the body bares the
    # left-out skin under its hem.
    shrunk = [_shrunk(p, 0.6) if i == k else p for i, p in enumerate(pieces)]
    assert len(skin_through(default_body, shrunk, rendered, covered, standing, np.zeros(3))) > 0.1 * total
    lifted = [_lifted(p, 0.6) if i == k else p for i, p in enumerate(pieces)]
    assert len(skin_exposed(default_body, lifted, left_out, standing, np.zeros(3))) > 0.3 * len(left_out[k])
    through = {tid: len(skin_through(default_body, pieces, rendered, covered, pose, np.zeros(3)))
               for tid, pose in extreme_poses.items()}
    assert total > 40 and not {t: n for t, n in through.items() if n}
    exposed = {tid: len(skin_exposed(default_body, pieces, left_out, pose, np.zeros(3)))
               for tid, pose in extreme_poses.items()}
    clean = sum(1 for n in exposed.values() if n == 0)
    share = sum(exposed.values()) / (len(left_out[k]) * len(exposed))
    # Measured 2026-12-01 (every 10th left-out point): skirt 141 of 157 poses with none outside it, 0.65% of the
    # points; dress 134, 1.0%. Where they lie outside, the skirt's cloth is mostly just behind them (the lap
    # shows the skirt). Before the skin under skirts was left out, rendered skin showed through at these poses:
    # skirt in 10 of 157, 0.40% of the sampled covered points; dress in 28, 0.77%.
    bound = {"skirt": (136, 0.01), "dress": (129, 0.015)}[pieces[k].kind]
    assert clean >= bound[0] and share < bound[1], (clean, share)
    assert exposed["burpee"] > 0  # the deepest bend swings the thighs through the top of the skirt
    assert exposed["wave"] == exposed["walk"] == exposed["clap"] == 0
    for tid in ("walk", "jumping_jacks"):  # every frame of these: no skin through, none left out bared
        template = find_template(tid)
        rotations, _ = motion.resample(template, np.arange(template.frame_count, dtype=np.float64))
        assert all(skin_through(default_body, pieces, rendered, covered, r, np.zeros(3)).size == 0
                   and skin_exposed(default_body, pieces, left_out, r, np.zeros(3)).size == 0
                   for r in rotations), tid
