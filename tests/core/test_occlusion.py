"""The labels' visibility test in numpy (render_farm/core/geometry/occlusion.py), held to a plain per-pair
ray-plane test over every (ray, triangle) pair, the cull left out."""

import numpy as np

from render_farm.core.geometry import occlusion


def occluded(origin, forward, points, limits, corners):
    """The module works in camera space on vertices and indices; the tests speak of a camera at `origin`
    looking along `forward` and of triangles as corners (T, 3, 3). (Shared vertices are covered by the
    Blender tests, whose meshes share them.)"""
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    rotation = np.stack([right, np.cross(forward, right), forward])  # rows: camera x, y (down), z (forward)
    corners = np.asarray(corners, dtype=np.float64).reshape(-1, 3)
    indices = np.arange(len(corners)).reshape(-1, 3)
    return occlusion.occluded((np.asarray(points) - origin) @ rotation.T, limits, (corners - origin) @ rotation.T,
                              indices)


def _brute_force(origin, points, limits, triangles):
    """Ray-plane intersection, then the hit point's barycentric coordinates from sub-triangle areas."""
    out = np.zeros(len(points), dtype=bool)
    for i, p in enumerate(points):
        d = (p - origin) / np.linalg.norm(p - origin)
        for a, b, c in triangles:
            n = np.cross(b - a, c - a)
            denom = n @ d
            if abs(denom) < 1e-12:
                continue
            t = n @ (a - origin) / denom
            if not 0 <= t < limits[i]:
                continue
            x = origin + t * d
            area = np.linalg.norm(n)
            parts = [np.linalg.norm(np.cross(q - x, r - x)) for q, r in ((b, c), (c, a), (a, b))]
            if sum(parts) <= area * (1 + 1e-9):
                out[i] = True
                break
    return out


def test_a_triangle_hides_what_lies_behind_it_and_nothing_else():
    origin, forward = np.zeros(3), np.array([0.0, 1.0, 0.0])
    wall = np.array([[[-1.0, 2.0, -1.0], [1.0, 2.0, -1.0], [0.0, 2.0, 1.0]]])
    points = np.array([[0.0, 3.0, 0.0],   # behind the wall
                       [0.0, 1.5, 0.0],   # in front of it
                       [3.0, 3.0, 0.0],   # beside it
                       [0.5, 3.0, 0.9]])  # behind, but its ray passes beside the wall's apex
    limits = np.linalg.norm(points, axis=1)
    np.testing.assert_array_equal(occluded(origin, forward, points, limits, wall), [True, False, False, False])
    # The limit is a distance along the ray: the wall at 2 m hides a point 3 m away only within 2 m.
    assert not occluded(origin, forward, points[:1], np.array([1.9]), wall)[0]
    assert occluded(origin, forward, points[:1], np.array([2.1]), wall)[0]
    # Both faces hide (the wall's corners in the other order).
    assert occluded(origin, forward, points[:1], limits[:1], wall[:, ::-1])[0]


def test_a_floor_reaching_behind_the_camera_is_tested_against_every_ray():
    origin, forward = np.array([0.0, 0.0, 1.5]), np.array([0.0, 1.0, 0.0])
    floor = np.array([[[-50.0, -50.0, 0.0], [50.0, -50.0, 0.0], [50.0, 50.0, 0.0]],
                      [[-50.0, -50.0, 0.0], [50.0, 50.0, 0.0], [-50.0, 50.0, 0.0]]])
    points = np.array([[0.0, 4.0, -0.1], [0.0, 4.0, 0.1]])  # just under the floor, just above it
    limits = np.linalg.norm(points - origin, axis=1)
    np.testing.assert_array_equal(occluded(origin, forward, points, limits, floor), [True, False])


def test_random_soups_agree_with_the_brute_force_test():
    rng = np.random.default_rng(7)
    for trial in range(6):
        origin = rng.normal(size=3) * 2
        forward = rng.normal(size=3)
        forward /= np.linalg.norm(forward)
        centres = origin + forward * rng.uniform(1, 6, size=(300, 1)) + rng.normal(size=(300, 3))
        triangles = centres[:, None] + rng.normal(scale=0.3, size=(300, 3, 3))
        if trial % 2:  # some large triangles that reach behind the camera
            triangles[:5] = origin + rng.normal(scale=8, size=(5, 3, 3))
        points = origin + forward * rng.uniform(1, 8, size=(80, 1)) + rng.normal(size=(80, 3))
        points = points[(points - origin) @ forward > 0.1]
        limits = np.linalg.norm(points - origin, axis=1) - rng.uniform(0, 0.3, size=len(points))
        got = occluded(origin, forward, points, limits, triangles)
        np.testing.assert_array_equal(got, _brute_force(origin, points, limits, triangles))
        assert 0 < got.sum() < len(got), "the soup hides some points and not others"


def test_no_points_or_no_triangles():
    origin, forward = np.zeros(3), np.array([0.0, 1.0, 0.0])
    assert occluded(origin, forward, np.zeros((0, 3)), np.zeros(0), np.ones((4, 3, 3))).shape == (0,)
    np.testing.assert_array_equal(occluded(origin, forward, np.ones((2, 3)), np.ones(2), np.zeros((0, 3, 3))),
                                  [False, False])
