"""Does skin show through what a body wears in a pose? Ray casting in numpy, on the skinning Blender's
Armature modifier computes, so every frame of every built-in template can be checked without Blender.

A point of the rendered skin is *covered* by a garment shell when, in the rest pose, a ray from it out
along the skin's normal meets the shell; in a pose it *shows through* when that ray no longer meets the
shell (nor the body itself, folded over it) within the shell's thickness and a centimetre. A loose piece (a
skirt) covers the skin inside it: a point is inside when most rays from it in a fixed spread of directions
cross the piece an odd number of times. In a pose such a point shows through when the cloth lies between it
and its bone: the segment from the nearest point of the bone that moves it to the point crosses the piece an
odd number of times. Skin that leaves a skirt by its open hem (a knee raised out from under it) has not gone
through the cloth and is not counted; nor is skin near a loose piece's open edges at rest.

Skin left out of the rendered body deep under a skirt (`OutfitPiece.skin_under`) must stay covered the other
way round: in a pose it is *exposed* when it is neither inside the skirt (its waist and hem closed) nor beyond
its cloth as seen from its bone: it came out by the hem, or the bone swung it through the cloth with it, and
the missing skin could show as a hole.
"""

from __future__ import annotations

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.mesh import open_edges, squared_distances, vertex_normals
from render_farm.core.geometry.skeleton import NUM_JOINTS, bone_tail
from render_farm.outfits.garments import hem_vertices
from render_farm.outfits.pieces import OutfitPiece

EDGE = 1e-4  # barycentric slack (see ray_hits)
EDGE_BAND_M = 0.04  # skin this close to a loose piece's open edge is not counted as covered by it
START_M = 0.0005  # rays start just off the skin, so the skin's own face is not hit


def ray_hits(origins: np.ndarray, directions: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
             reach: float | np.ndarray) -> np.ndarray:
    """For each ray, whether it meets a triangle within `reach` (both sides)."""
    return ray_crossings(origins, directions, vertices, faces, reach) > 0


# Directions for the inside test: spread over the sphere (a Fibonacci lattice), none along an axis.
_N = 11
_Z = 1 - (np.arange(_N) + 0.5) * 2 / _N
_PHI = np.arange(_N) * np.pi * (3 - np.sqrt(5)) + 0.3
SPREAD = np.stack([np.sqrt(1 - _Z**2) * np.cos(_PHI), np.sqrt(1 - _Z**2) * np.sin(_PHI), _Z], axis=1)


def inside(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Whether each point is inside an open surface (a skirt's tube): by most of the SPREAD rays crossing it an
    odd number of times (a ray out of a tube's open end crosses nothing, so one direction is not enough)."""
    odd = np.zeros(len(points), dtype=np.int64)
    for d in SPREAD:
        crossings = ray_crossings(points, np.broadcast_to(d, points.shape), vertices, faces, np.inf)
        odd += crossings % 2
    return odd * 2 > len(SPREAD)


RAY_BLOCK = 256  # rays tested together: (RAY_BLOCK, candidate triangles) arrays
# Slack around a triangle's box (metres) beyond its barycentric EDGE: rounding in the hit test never reaches it.
BOX_SLACK_M = 1e-6


def ray_crossings(origins: np.ndarray, directions: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                  reach: float | np.ndarray) -> np.ndarray:
    """For each ray, how many triangles it meets within `reach` (Moller-Trumbore, both sides): a hit at
    o + t d with 0 < t <= reach, `directions` not necessarily of unit length.

    Rays are tested in blocks of nearby rays against only the triangles whose box (grown by the barycentric
    slack) meets the block's: the boxes of the rays' segments, or, for rays that share one direction, their
    origins seen along it. A triangle outside that cannot be met, so the counts are those of testing every
    pair, in 0.4x the time over the garment checks' queries (docs/benchmarks.md)."""
    origins = np.asarray(origins)  # dtypes as given: the per-pair arithmetic is the whole test's
    directions = np.broadcast_to(np.asarray(directions), origins.shape)
    hit = np.zeros(len(origins), dtype=np.int64)
    if not len(origins) or not len(faces):
        return hit
    reach = np.broadcast_to(np.asarray(reach, dtype=np.float64), (len(origins),))
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    e1, e2 = b - a, c - a
    lo, hi = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
    # u, v >= -EDGE and u + v <= 1 + EDGE reach at most 2 EDGE of the triangle's extent past its box.
    grow = 2 * EDGE * (hi - lo).max(axis=1, keepdims=True) + BOX_SLACK_M
    lo, hi = lo - grow, hi + grow
    shared = bool((directions == directions[0]).all())
    if shared:  # parallel rays: a triangle is met only where its box, seen along the rays, covers the origin
        axes = _across(directions[0])
        corners = np.stack([lo, hi], axis=1)[:, [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1],
                                                 [1, 1, 0], [1, 1, 1]], [0, 1, 2]]  # (T, 8, 3)
        seen = corners @ axes.T  # (T, 8, 2)
        tri_lo, tri_hi = seen.min(axis=1), seen.max(axis=1)
        ray_lo = ray_hi = origins @ axes.T
    else:  # a segment meets a triangle only where their boxes meet
        ends = origins + directions * np.minimum(reach, _exit(origins, directions, lo.min(axis=0),
                                                              hi.max(axis=0)))[:, None]
        ray_lo, ray_hi = np.minimum(origins, ends), np.maximum(origins, ends)
        tri_lo, tri_hi = lo, hi
    for rays in _blocks((ray_lo + ray_hi) / 2):
        # fmin/fmax: a ray that is not a number (it meets nothing) does not hide the triangles from the rest.
        block_lo, block_hi = np.fmin.reduce(ray_lo[rays], axis=0), np.fmax.reduce(ray_hi[rays], axis=0)
        near = np.nonzero(((tri_lo <= block_hi) & (tri_hi >= block_lo)).all(axis=1))[0]
        if len(near):
            hit[rays] = _crossings(origins[rays], directions[rays], reach[rays], a[near], e1[near], e2[near])
    return hit


def _blocks(centres: np.ndarray) -> list[np.ndarray]:
    """The rays in blocks of at most RAY_BLOCK that lie close together: halved along their widest spread
    until small enough."""
    pending, blocks = [np.arange(len(centres))], []
    while pending:
        rays = pending.pop()
        if len(rays) <= RAY_BLOCK:
            blocks.append(rays)
            continue
        spread = centres[rays]
        axis = int(np.argmax(np.ptp(spread, axis=0)))
        rays = rays[np.argsort(spread[:, axis], kind="stable")]
        half = len(rays) // 2
        pending += [rays[:half], rays[half:]]
    return blocks


def _across(direction: np.ndarray) -> np.ndarray:
    """(2, 3): two unit axes at right angles to `direction` and to each other."""
    d = direction / np.linalg.norm(direction)
    helper = np.eye(3)[int(np.argmin(np.abs(d)))]
    u = np.cross(d, helper)
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(d, u)])


def _exit(origins: np.ndarray, directions: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per ray, the t at which it leaves the box lo..hi (0 where it never enters it in front of the origin):
    how far an unbounded ray can meet anything inside the box."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - origins) / directions, (hi - origins) / directions
    # Along an axis the ray does not move: inside the slab it never leaves it, outside it never enters.
    still = directions == 0
    inside_slab = (origins >= lo) & (origins <= hi)
    near = np.where(still, np.where(inside_slab, -np.inf, np.inf), np.minimum(t1, t2))
    far = np.where(still, np.where(inside_slab, np.inf, -np.inf), np.maximum(t1, t2))
    enter, leave = near.max(axis=1), far.min(axis=1)
    return np.where((leave >= np.maximum(enter, 0.0)) & (leave > 0), leave, 0.0)


def _crossings(o: np.ndarray, d: np.ndarray, reach: np.ndarray, a: np.ndarray, e1: np.ndarray,
               e2: np.ndarray) -> np.ndarray:
    """How many of the triangles (a, e1, e2) each ray meets: every pair tested."""
    o, d = o[:, None, :], d[:, None, :]
    p = np.cross(d, e2[None])
    det = (e1[None] * p).sum(axis=2)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = o - a[None]
    u = (s * p).sum(axis=2) * inv
    q = np.cross(s, e1[None])
    v = (d * q).sum(axis=2) * inv
    t = (e2[None] * q).sum(axis=2) * inv
    # A shell's vertex lies right on the ray from the skin vertex it was made from: a little slack in the
    # barycentric test keeps such rays from slipping between the triangles that share it.
    within = (t > 0) & (t <= reach[:, None])
    meets = ok & (u >= -EDGE) & (v >= -EDGE) & (u + v <= 1 + EDGE) & within
    return meets.sum(axis=1)


def posed_piece(piece: OutfitPiece, joints: np.ndarray, glob: np.ndarray, rest_joints: np.ndarray) -> np.ndarray:
    """A piece's vertices in a pose: skinned, then (shells) pushed out along the posed normals, as in Blender."""
    skin = kinematics.skin_dual_quaternion if piece.dual_quaternion else kinematics.skin
    moved = skin(piece.vertices.astype(np.float64), piece.weights, rest_joints, joints, glob)
    if piece.thickness:
        moved = moved + vertex_normals(moved, piece.faces) * piece.thickness
    return moved


def covered_points(body: BakedBody, pieces: list[OutfitPiece], rendered_faces: np.ndarray, every: int = 5
                   ) -> dict[int, np.ndarray]:
    """Per piece, the rendered skin vertices it covers in the rest pose (every `every`-th of them)."""
    rest_joints = body.rest_joints.astype(np.float64)
    rendered = np.zeros(len(body.vertices), dtype=bool)
    rendered[body.faces[rendered_faces]] = True
    skin = body.vertices.astype(np.float64)
    normals = vertex_normals(skin, body.faces)
    out = {}
    identity = np.tile([1.0, 0.0, 0.0, 0.0], (len(rest_joints), 1))
    for k, piece in enumerate(pieces):
        if piece.name.startswith("hair") or piece.kind in ("glasses", "hat", "bag", "watch"):
            continue  # garments only: hair and accessories cover nothing a pose could push through
        candidates = np.nonzero(rendered)[0]
        if piece.source is not None:  # a shell covers the skin it was made from, less its own edge
            candidates = np.intersect1d(candidates, piece.source[~hem_vertices(piece)])
        else:  # a loose piece covers what lies inside it, less a band along its open edges (a hem shows the
            # skin right at it from some side in any pose)
            edge = piece.vertices[hem_vertices(piece)].astype(np.float64)
            candidates = candidates[np.sqrt(squared_distances(skin[candidates], edge).min(axis=1)) > EDGE_BAND_M]
        candidates = candidates[::every]
        verts = posed_piece(piece, rest_joints, identity, rest_joints)
        if piece.source is None:  # inside it, with no cloth between the point and its bone
            candidates = candidates[inside(skin[candidates], verts, piece.faces)]
            anchors, _ = bone_points(body, candidates)
            out[k] = candidates[ray_crossings(anchors, skin[candidates] - anchors, verts, piece.faces, 1.0) % 2 == 0]
            continue
        hit = ray_hits(skin[candidates] + normals[candidates] * START_M, normals[candidates], verts, piece.faces,
                       piece.thickness + 0.01)
        out[k] = candidates[hit]
    return out


def bone_points(body: BakedBody, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For body vertices, the nearest point of the bone of the joint that weighs most on each (rest pose), and
    that joint: a point inside the limb that moves rigidly with it."""
    rest = body.rest_joints.astype(np.float64)
    joint = body.joint_weights[points].argmax(axis=1)
    heads = rest[joint]
    bones = np.array([bone_tail(rest, j) for j in range(NUM_JOINTS)])[joint] - heads
    t = ((body.vertices[points] - heads) * bones).sum(axis=1) / (bones * bones).sum(axis=1)
    return heads + bones * np.clip(t, 0.0, 1.0)[:, None], joint


def through_cloth(body: BakedBody, points: np.ndarray, skin: np.ndarray, joints: np.ndarray, glob: np.ndarray,
                  vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Whether the cloth (posed `vertices`, `faces`) lies between each of the body vertices `points` (posed at
    `skin`) and its bone: the segment from the bone (posed by `joints`, `glob`) crosses it an odd number of
    times. All in the armature's space."""
    anchors, joint = bone_points(body, points)
    rest = body.rest_joints.astype(np.float64)
    posed = np.einsum("vab,vb->va", quat.to_matrix(glob)[joint], anchors - rest[joint]) + joints[joint]
    return ray_crossings(posed, skin - posed, vertices, faces, 1.0) % 2 == 1


def skin_through(body: BakedBody, pieces: list[OutfitPiece], rendered_faces: np.ndarray,
                 covered: dict[int, np.ndarray], rotations: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Body vertices that show through their garment in one pose (local rotations (24, 4), root (3,))."""
    rest_joints = body.rest_joints.astype(np.float64)
    joints, glob = kinematics.forward_kinematics(rest_joints, rotations[None], translation[None])
    joints, glob = joints[0], glob[0]
    # Only the covered points and their neighbours are skinned (their normals need the faces around them):
    # skinning the whole body for a few hundred points was half of the check's time.
    wanted = np.concatenate([np.asarray(v, dtype=np.int64) for v in covered.values()] + [np.zeros(0, np.int64)])
    around = body.faces[np.isin(body.faces, wanted).any(axis=1)]
    near = np.union1d(np.unique(around), wanted)
    skin_near = _skinned(body, near, joints, glob)
    normals_near = vertex_normals(skin_near, np.searchsorted(near, around))
    full_skin = None
    through = []
    for k, points in covered.items():
        if not len(points):
            continue
        piece = pieces[k]
        verts = posed_piece(piece, joints, glob, rest_joints)
        at = np.searchsorted(near, points)
        if piece.source is None:
            through.append(points[through_cloth(body, points, skin_near[at], joints, glob, verts, piece.faces)])
            continue
        reach = piece.thickness + 0.01
        origins, dirs = skin_near[at] + normals_near[at] * START_M, normals_near[at]
        missed = ~ray_hits(origins, dirs, verts, piece.faces, reach)
        if missed.any():  # skin folded over it covers it too (the back of a bent knee)
            if full_skin is None:
                full_skin = _skinned(body, np.arange(len(body.vertices)), joints, glob)
            folded = ray_hits(origins[missed], dirs[missed], full_skin, body.faces[rendered_faces], reach)
            missed[np.nonzero(missed)[0][folded]] = False
        through.append(points[missed])
    return np.concatenate(through) if through else np.zeros(0, dtype=np.int64)


def _skinned(body: BakedBody, index: np.ndarray, joints: np.ndarray, glob: np.ndarray) -> np.ndarray:
    """The body vertices `index` posed (linear blend skinning, as Blender's Armature modifier)."""
    return kinematics.skin(body.vertices[index].astype(np.float64), body.joint_weights[index],
                           body.rest_joints.astype(np.float64), joints, glob)


def left_out_points(body: BakedBody, pieces: list[OutfitPiece], rendered_faces: np.ndarray, every: int = 5
                    ) -> dict[int, np.ndarray]:
    """Per loose piece, the body vertices left out under it (every `every`-th of them): on no rendered face."""
    rendered = np.zeros(len(body.vertices), dtype=bool)
    rendered[body.faces[rendered_faces]] = True
    return {k: np.setdiff1d(p.skin_under, np.nonzero(rendered)[0])[::every] for k, p in enumerate(pieces)
            if p.skin_under is not None}


def capped(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open surface closed: each loop of open edges fanned to its centre (a tube's waist and hem)."""
    edges = open_edges(faces)
    loop = np.arange(len(vertices))  # connected open edges share a loop label (labels spread to a fixed point)
    for _ in range(len(edges)):
        low = np.minimum(loop[edges[:, 0]], loop[edges[:, 1]])
        if (loop[edges[:, 0]] == low).all() and (loop[edges[:, 1]] == low).all():
            break
        np.minimum.at(loop, edges[:, 0], low)
        np.minimum.at(loop, edges[:, 1], low)
    labels = loop[edges[:, 0]]
    centres, fans = [], []
    for i, label in enumerate(np.unique(labels)):
        ring = edges[labels == label]
        centres.append(vertices[np.unique(ring)].mean(axis=0))
        fans.append(np.column_stack([ring, np.full(len(ring), len(vertices) + i)]))
    if not centres:
        return vertices, faces
    return np.concatenate([vertices, centres]), np.concatenate([faces, *fans]).astype(faces.dtype)


def skin_exposed(body: BakedBody, pieces: list[OutfitPiece], left_out: dict[int, np.ndarray], rotations: np.ndarray,
                 translation: np.ndarray) -> np.ndarray:
    """Left-out body vertices (see `left_out_points`) that a pose brings outside their skirt: neither inside it
    nor with its cloth between them and their bone."""
    rest_joints = body.rest_joints.astype(np.float64)
    joints, glob = kinematics.forward_kinematics(rest_joints, rotations[None], translation[None])
    joints, glob = joints[0], glob[0]
    exposed = []
    for k, points in left_out.items():
        if not len(points):
            continue
        verts = posed_piece(pieces[k], joints, glob, rest_joints)
        skin = _skinned(body, points, joints, glob)  # the left-out points alone
        # Inside the skirt with its waist and hem closed: a bent tube's open ends face many ways, and rays
        # out of them would count skin deep inside as outside.
        out = ~inside(skin, *capped(verts, pieces[k].faces))
        if out.any():
            beyond = through_cloth(body, points[out], skin[out], joints, glob, verts, pieces[k].faces)
            out[np.nonzero(out)[0][beyond]] = False
        exposed.append(points[out])
    return np.concatenate(exposed) if exposed else np.zeros(0, dtype=np.int64)
