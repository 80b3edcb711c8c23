"""Which points a camera sees past a triangle soup (numpy only): the labels' visibility test.

Every ray starts at the camera, so a ray meets a triangle in front of the camera only where the point's
image falls inside the triangle's image. Triangles are therefore culled by their projected boxes (sorted
queries, two binary searches per triangle), and only the few (ray, triangle) pairs left are intersected,
exactly, in 3D. This replaces one Blender `scene.ray_cast` per point, whose first call of each frame
rebuilt Blender's ray-cast trees of every deformed mesh.

With the origin shared by every ray, the Moller-Trumbore terms that do not depend on the ray's direction
are computed once per triangle; a pair then costs three dot products.
"""

from __future__ import annotations

import numpy as np

# A triangle with a corner this close to the camera plane (or behind it) has no finite image box: it is
# tested against every ray (the ground, a wall behind the camera).
NEAR_PLANE = 1e-6
# The culling boxes are widened by this much (in image-plane units: tangent of the angle) so that a ray
# grazing an edge is decided by the exact test, not by the cull.
BOX_MARGIN = 1e-7
# |det| below this: the ray runs in the triangle's plane and is taken to miss it.
PARALLEL = 1e-12


def occluded(points: np.ndarray, limits: np.ndarray, vertices: np.ndarray, triangles: np.ndarray,
             image: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(N,) bool: the segment from the camera towards points[i] crosses a triangle closer than limits[i].

    Everything is in camera space (the camera at the origin looking down +z, as OpenCV's): points (N, 3)
    in front of the camera, limits (N,) distances along each ray, vertices (V, 3), triangles (T, 3) vertex
    indices. `image`, the vertices' x/z and y/z where the caller has them already. Both faces of a triangle
    count (Blender's ray casts are two-sided)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    limits = np.asarray(limits, dtype=np.float64).reshape(-1)
    out = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or len(triangles) == 0:
        return out
    vertices = np.asarray(vertices, dtype=np.float64)
    query, candidate = _candidate_pairs(points, vertices, triangles, image)
    if len(query) == 0:
        return out
    # Only the triangles that survived the cull get their per-triangle terms.
    used, pair_tri = np.unique(candidate, return_inverse=True)
    corners = vertices[triangles[used]]
    v0 = corners[:, 0]
    e1, e2 = corners[:, 1] - v0, corners[:, 2] - v0
    s = -v0  # from the first corner to the camera
    normal = np.cross(e1, e2)
    u_term, v_term = np.cross(e2, s), np.cross(s, e1)  # the ray's direction is dotted in below
    t_term = (e2 * v_term).sum(axis=1)
    d = points[query] / np.linalg.norm(points[query], axis=1, keepdims=True)
    det = -(d * normal[pair_tri]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        u = (d * u_term[pair_tri]).sum(axis=1) * inv
        v = (d * v_term[pair_tri]).sum(axis=1) * inv
        t = t_term[pair_tri] * inv
    hit = (np.abs(det) > PARALLEL) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (t < limits[query])
    out[query[hit]] = True
    return out


def image_plane(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera-space points' x/z and y/z (infinite or NaN at and behind the camera plane)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return vertices[:, 0] / vertices[:, 2], vertices[:, 1] / vertices[:, 2]


def _candidate_pairs(points: np.ndarray, vertices: np.ndarray, triangles: np.ndarray,
                     image: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """(query index, triangle index) pairs whose image boxes overlap."""
    qx, qy = image_plane(points)
    cx, cy = image if image is not None else image_plane(vertices)
    depth = vertices[:, 2]
    a, b, e = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    near = np.minimum(np.minimum(depth[a], depth[b]), depth[e]) <= NEAR_PLANE
    x0 = np.minimum(np.minimum(cx[a], cx[b]), cx[e]) - BOX_MARGIN
    x1 = np.maximum(np.maximum(cx[a], cx[b]), cx[e]) + BOX_MARGIN
    order = np.argsort(qx, kind="stable")
    sorted_x = qx[order]
    lo, hi = np.searchsorted(sorted_x, x0, "left"), np.searchsorted(sorted_x, x1, "right")
    counts = np.where(near, 0, hi - lo)
    far = np.flatnonzero(counts)
    counts, lo = counts[far], lo[far]
    tri = np.repeat(far, counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    query = order[starts + np.arange(len(tri))]
    ta, tb, te = triangles[tri, 0], triangles[tri, 1], triangles[tri, 2]
    y0 = np.minimum(np.minimum(cy[ta], cy[tb]), cy[te]) - BOX_MARGIN
    y1 = np.maximum(np.maximum(cy[ta], cy[tb]), cy[te]) + BOX_MARGIN
    keep = (qy[query] >= y0) & (qy[query] <= y1)
    query, tri = query[keep], tri[keep]
    near_idx = np.flatnonzero(near)
    if len(near_idx):  # every ray against each triangle that reaches the camera plane
        query = np.concatenate([query, np.repeat(np.arange(len(points)), len(near_idx))])
        tri = np.concatenate([tri, np.tile(near_idx, len(points))])
    return query.astype(np.int64), tri.astype(np.int64)
