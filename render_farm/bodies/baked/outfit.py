"""Garments, hair and accessories as meshes of their own, built from a baked body (numpy only).

Each piece is skinned to the body's canonical joints, so it follows every pose exactly as the body does:
- **shells** (shirts, trousers, shorts, shoes, an open jacket, a dress's bodice, short and curly hair): the
  body's own faces in a region, keeping the body's skin weights and UVs (patterns print on them as on the
  painted body), pushed out by the cloth's thickness along the normals of the posed surface, so the skin
  stays under them in every pose;
- **loose pieces** (skirts and a dress's skirt, long hair, a ponytail): generated tubes, sheets and cones
  whose weights blend from the joint they hang from towards the joints they follow (a skirt from the pelvis
  towards each thigh), the measured-cheap alternative to cloth simulation;
- **accessories** (glasses, a hat, a bag, a watch): primitives on the head, the hip or the wrist.

Positions come from the body in the canonical T-pose (arms along +-X, facing -Y, feet on the ground).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.skeleton import JOINT_INDEX, NUM_JOINTS
from render_farm.core.plan.seeding import Stream

TOPS = ("none", "tshirt", "longsleeve")
BOTTOMS = ("none", "trousers", "shorts", "skirt")
HAIR_STYLES = ("none", "short", "long", "ponytail", "curly")
ACCESSORIES = ("glasses", "hat", "bag", "watch")
# Cloth thickness (metres): how far a shell stands off the skin. The jacket goes over a shirt.
THICKNESS = {"tshirt": 0.008, "longsleeve": 0.008, "bodice": 0.008, "trousers": 0.009, "shorts": 0.01,
             "shoes": 0.012, "jacket": 0.022, "short": 0.012, "curly": 0.022}


@dataclass(frozen=True)
class OutfitPiece:
    """One mesh: rest-pose vertices, triangles, skin weights per canonical joint, and what colours it."""

    name: str  # e.g. "top", "hair", "glasses"
    kind: str  # e.g. "longsleeve", "ponytail"
    vertices: np.ndarray  # (N, 3) float32
    faces: np.ndarray  # (F, 3) int32
    weights: np.ndarray  # (N, 24) float32, rows sum to 1
    color: str  # the appearance colour it takes: shirt, trousers, shoes, hair, or an outfit colour
    corner_uvs: np.ndarray | None = None  # (F * 3, 2) for shells: patterns print as on the body
    source: np.ndarray | None = None  # (N,) for shells: the body vertex each vertex lies on
    thickness: float = 0.0  # shells: how far they stand off the skin along the posed normals (see `shell`)
    hides_skin: bool = False  # garments: the body's faces under it are left out (see `hidden_body_faces`)
    dual_quaternion: bool = False  # skinned with dual quaternions (Blender's Preserve Volume), see `skirt`
    skin_under: np.ndarray | None = None  # loose pieces: the body vertices deep under it, left out (see `skirt`)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit normals per vertex."""
    v = vertices.astype(np.float64)
    n = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    out = np.zeros_like(v)
    for k in range(3):
        np.add.at(out, faces[:, k], n)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _joint(body: BakedBody, name: str) -> np.ndarray:
    return body.rest_joints[JOINT_INDEX[name]]


def _dominant(body: BakedBody, *names: str) -> np.ndarray:
    dom = body.joint_weights.argmax(axis=1)
    return np.isin(dom, [JOINT_INDEX[n] for n in names])


def shell(body: BakedBody, mask: np.ndarray, thickness: float, name: str, kind: str, color: str,
          bumps: float = 0.0) -> OutfitPiece:
    """The body's faces whose three vertices are in `mask`, on the skin, to stand off it by `thickness`.

    The offset is applied after skinning, along the posed surface's normals (in Blender a Displace modifier
    after the Armature modifier): offsetting the rest mesh instead and skinning that, the shell sank up to
    7 mm under the skin at the top of a raised shoulder (linear blend skinning turns the offset with the
    blended joints, not with the surface)."""
    selected = np.nonzero(mask[body.faces].all(axis=1))[0]
    faces = body.faces[selected]
    used = np.unique(faces)
    remap = np.full(len(body.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    vertices = body.vertices[used].astype(np.float64)
    if bumps:  # curly hair: a deterministic ripple over the scalp, on top of the thickness
        normals = vertex_normals(body.vertices, body.faces)[used]
        p = body.vertices[used]
        ripple = bumps * (0.5 + 0.5 * np.sin(p[:, 0] * 90) * np.sin(p[:, 1] * 90) * np.sin(p[:, 2] * 90))
        vertices = vertices + normals * ripple[:, None]
    uvs = body.corner_uvs.reshape(-1, 3, 2)[selected].reshape(-1, 2)
    return OutfitPiece(name, kind, vertices.astype(np.float32), remap[faces].astype(np.int32),
                       body.joint_weights[used].astype(np.float32), color, uvs.astype(np.float32), used, thickness)


def _weights(n: int, blend: dict[str, np.ndarray | float]) -> np.ndarray:
    w = np.zeros((n, NUM_JOINTS), dtype=np.float64)
    for name, value in blend.items():
        w[:, JOINT_INDEX[name]] += value
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def _grid_faces(rings: int, segments: int, closed: bool) -> np.ndarray:
    """Triangles of a (rings x segments) vertex grid; `closed`: the last segment joins the first."""
    faces = []
    cols = segments if closed else segments - 1
    for r in range(rings - 1):
        for s in range(cols):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            c, d = a + segments, b + segments
            faces += [(a, b, d), (a, d, c)]
    return np.array(faces, dtype=np.int32)


def _cross_section(body: BakedBody, z: float, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (x, y) and half extents of the body's vertices in `mask` within 2 cm of height z."""
    near = mask & (np.abs(body.vertices[:, 2] - z) < 0.02)
    pts = body.vertices[near][:, :2] if near.any() else body.vertices[mask][:, :2]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2, (hi - lo) / 2


def squared_distances(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(P, O) squared distances between two point sets, without a (P, O, 3) array."""
    return np.maximum((points**2).sum(axis=1)[:, None] - 2.0 * points @ others.T + (others**2).sum(axis=1)[None, :],
                      0.0)


# Rows of a distance matrix computed at a time by `nearest`: its (rows, O) temporaries stay in the cache.
# One (P, O) matrix of a clip's 1,440 hair points against 4,700 head vertices took 3x as long (issue 15).
NEAREST_ROWS = 64


def nearest(points: np.ndarray, others: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the indices (P, k) of its k nearest `others`, nearest first, and their squared
    distances (P, k): what ranking each row of squared_distances(points, others) gives, a few rows at a time."""
    others_t = np.ascontiguousarray(others.T)
    others_sq = (others**2).sum(axis=1)[None, :]
    index = np.empty((len(points), k), dtype=np.int64)
    value = np.empty((len(points), k))
    for start in range(0, len(points), NEAREST_ROWS):
        p = points[start:start + NEAREST_ROWS]
        # The same sum, in the same order, as squared_distances.
        d2 = np.maximum((p**2).sum(axis=1)[:, None] - 2.0 * p @ others_t + others_sq, 0.0)
        # Each row ranked whole, as before: a partition picks another of two equally near vertices at the k-th
        # place (different weights at 9 of 18 skirts' one or two vertices).
        picked = d2.argmin(axis=1)[:, None] if k == 1 else np.argsort(d2, axis=1)[:, :k]
        index[start:start + NEAREST_ROWS] = picked
        value[start:start + NEAREST_ROWS] = np.take_along_axis(d2, picked, axis=1)
    return index, value


def _nearest_skin_weights(body: BakedBody, points: np.ndarray, region: np.ndarray, k: int = 6) -> np.ndarray:
    """Skin weights at `points`: the inverse-distance blend of the `k` nearest body vertices in `region`."""
    skin = body.vertices[region].astype(np.float64)
    weights = body.joint_weights[region].astype(np.float64)
    nearest_k, d2 = nearest(points, skin, k)
    inv = 1.0 / np.sqrt(np.maximum(d2, 1e-8))
    w = (weights[nearest_k] * inv[:, :, None]).sum(axis=1)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


# Skin under a skirt that is left out of the rendered body: from this far below the waist down to this far above
# the hem (and no lower than this share of the way from hip to knee), see `skirt`.
SKIRT_WAIST_BAND_M = 0.05
SKIRT_HEM_BAND_M = 0.12
SKIRT_THIGH_SHARE = 0.7


def skirt(body: BakedBody, top_z: float, hem_z: float, name: str, kind: str, color: str,
          flare: float = 0.10, segments: int = 56, rings: int = 17) -> OutfitPiece:
    """A flared tube from the waist (top_z) to the hem, hanging from the pelvis and following each thigh more
    the lower it reaches."""
    legs = _dominant(body, "pelvis", "left_hip", "right_hip", "spine1")
    centre, half = _cross_section(body, top_z, legs)
    hips_centre, hips_half = _cross_section(body, _joint(body, "left_hip")[2] - 0.08, legs)

    def ring(t: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre (x, y) and half axes of the tube's elliptical cross-section a share `t` (a number, or a column
        of them) of the way down."""
        s = np.minimum(1.0, 2 * t)
        return centre + (hips_centre - centre) * s, np.maximum(half + (hips_half - half) * s, 0.05) + 0.02 + flare * t

    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    verts = []
    for r in range(rings):
        t = r / (rings - 1)
        c, h = ring(t)
        verts += [(c[0] + h[0] * np.cos(a), c[1] + h[1] * np.sin(a), top_z + (hem_z - top_z) * t) for a in angles]
    verts = np.array(verts)
    # Skinned like the body under it: each vertex takes the blended weights of its nearest skin (of the
    # hips and legs), so the skirt turns with the skin it hangs over and a raised or bent thigh stays
    # inside. Blending a pelvis weight with the thighs by height and angle instead let the front of the
    # thighs come out through it when sitting (measured over every built-in template, docs/benchmarks.md).
    # Dual quaternion skinning keeps the skirt's distance from the bones where linear blending pulls a point
    # this far out from a bent hip in towards the bone: with it, 4 in 10 fewer points of skin come through
    # a dress at the most bent poses of the library (docs/benchmarks.md).
    w = _nearest_skin_weights(body, verts, legs | _dominant(body, "left_knee", "right_knee"))
    # The deepest hip bends (sitting, crouching) still fold the cloth into the top of the thighs, and skinning
    # alone cannot keep that skin under it: the skin deep under the skirt (the hips and upper thighs inside
    # it, away from its waist and hem) is left out of the rendered body, as under a shell. What the hem shows
    # of the thighs stays; `outfit_check.skin_exposed` finds the left-out skin a pose brings outside the skirt.
    hip, knee = float(_joint(body, "left_hip")[2]), float(_joint(body, "left_knee")[2])
    z = body.vertices[:, 2].astype(np.float64)
    low = max(hem_z + SKIRT_HEM_BAND_M, hip - SKIRT_THIGH_SHARE * (hip - knee))
    band = legs & (z < top_z - SKIRT_WAIST_BAND_M) & (z > low)
    c, h = ring(((z[band] - top_z) / (hem_z - top_z))[:, None])
    within = (((body.vertices[band, :2] - c) / h) ** 2).sum(axis=1) < 1.0
    return OutfitPiece(name, kind, verts.astype(np.float32), _grid_faces(rings, segments, True), w, color,
                       dual_quaternion=True, skin_under=np.nonzero(band)[0][within])


def _head_frame(body: BakedBody) -> tuple[np.ndarray, float, float]:
    """Centre of the skull (x, y, z), its radius, and the top of the head."""
    head = _dominant(body, "head")
    pts = body.vertices[head]
    top = float(pts[:, 2].max())
    centre = np.array([(pts[:, 0].min() + pts[:, 0].max()) / 2, (pts[:, 1].min() + pts[:, 1].max()) / 2,
                       top - 0.11])
    radius = float(max(pts[:, 0].max() - pts[:, 0].min(), pts[:, 1].max() - pts[:, 1].min()) / 2)
    return centre, radius, top


def _scalp(body: BakedBody) -> np.ndarray:
    head = _joint(body, "head")
    return _dominant(body, "head") & (body.vertices[:, 2] > head[2] + 0.06) & (body.vertices[:, 1] > head[1] - 0.05)


def hair(body: BakedBody, style: str, strands: bool = False) -> list[OutfitPiece]:
    """Mesh hair of a style; with `strands`, only the cap under the strands (see `hair_guides`)."""
    if style == "none":
        return []
    if style not in HAIR_STYLES:
        raise ValueError(f"unknown hair style {style!r} (styles: {', '.join(HAIR_STYLES)})")
    if strands:  # the scalp under the strands is hair-coloured (solid), so no skin shows between them
        return [replace(shell(body, _scalp(body), 0.004, "hair", style, "hair"), corner_uvs=None)]
    cap = shell(body, _scalp(body), THICKNESS["curly" if style == "curly" else "short"], "hair", style, "hair",
                bumps=0.015 if style == "curly" else 0.0)
    pieces = [cap]
    centre, radius, top = _head_frame(body)
    shoulders = float(_joint(body, "spine3")[2] + 0.05)
    if style == "long":  # a curtain down the back of the head to the shoulders, turning with the head
        angles = np.linspace(-0.1 * np.pi, 1.1 * np.pi, 14)  # around the back (+Y)
        rings, verts, frac = 8, [], []
        for r in range(rings):
            t = r / (rings - 1)
            z = top - 0.06 + (shoulders - (top - 0.06)) * t
            rr = radius + 0.02 + 0.03 * t
            verts += [(centre[0] + rr * np.cos(a), centre[1] + rr * np.sin(a) * 0.9 + 0.02 * t, z) for a in angles]
            frac += [t] * len(angles)
        frac = np.array(frac)
        w = _weights(len(verts), {"head": 1.0 - 0.5 * frac, "neck": 0.3 * frac, "spine3": 0.2 * frac})
        pieces.append(OutfitPiece("hair_long", style, np.array(verts, dtype=np.float32),
                                  _grid_faces(rings, len(angles), False), w, "hair"))
    elif style == "ponytail":  # a cone from the back of the crown, down and back
        base = centre + np.array([0.0, radius + 0.01, 0.05])
        tip = base + np.array([0.0, 0.08, -0.26])
        pieces.append(_cone(base, tip, 0.035, 0.008, "hair_tail", style, "hair", {"head": 1.0}))
    return pieces


# Strand hair (Blender's hair curves, styled by its CC0 procedural hair node assets): per style the base
# length of a strand in metres, which the job's `hair_length` factor scales.
STRAND_LENGTH_M = {"short": 0.05, "long": 0.32, "ponytail": 0.26, "curly": 0.10}
GUIDE_POINTS = 10


@dataclass(frozen=True)
class HairGuides:
    """Guide strands in the rest pose, root first; Blender grows `children` strands around each guide.

    The guides are rigid with the head (the scalp is skinned to the head joint), so in Blender the curves
    object is parented to the head bone rather than deformed per frame."""

    style: str
    points: np.ndarray  # (G, GUIDE_POINTS, 3) float32
    children: int  # strands grown around each guide (Duplicate Hair Curves)
    spread_m: float  # how far from its guide a child strand may lie
    curl_m: float  # curl radius (0: straight)
    width_m: float  # strand diameter at the root


def _push_out(points: np.ndarray, skin: np.ndarray, normals: np.ndarray, margin: float) -> np.ndarray:
    """Move points that lie less than `margin` in front of the nearest skin vertex out to that distance."""
    flat = points.reshape(-1, 3).astype(np.float64)
    looked_at = np.arange(len(flat))
    for _ in range(3):
        # A point that did not move keeps its nearest vertex and its depth: only the moved ones are looked at
        # again (the distances to every scalp vertex were 3/4 of a clip's hair guides).
        closest = nearest(flat[looked_at], skin)[0][:, 0]
        depth = ((flat[looked_at] - skin[closest]) * normals[closest]).sum(axis=1)
        under = depth < margin
        looked_at = looked_at[under]
        flat[looked_at] += normals[closest[under]] * (margin - depth[under])[:, None]
        if not len(looked_at):
            break
    return flat.reshape(points.shape)


def hair_guides(body: BakedBody, style: str, length: float = 1.0, strands: int = 3000, guides: int = 160,
                seed: int = 0) -> HairGuides:
    """Guide strands of a hair style for this body's scalp: `length` scales the style's base length,
    `strands` is the total number of strands Blender grows (guides x (children + 1), rounded)."""
    if style not in STRAND_LENGTH_M:
        raise ValueError(f"no strands for hair style {style!r} (styles: {', '.join(STRAND_LENGTH_M)})")
    # The project's seeded streams (not numpy's generators), so the strands are the same on any machine.
    rng = Stream(seed, "hair_guides")

    def draws(*shape: int) -> np.ndarray:
        return np.array([rng.random() for _ in range(int(np.prod(shape)))]).reshape(shape)

    scalp = _scalp(body)
    faces = body.faces[scalp[body.faces].all(axis=1)]
    v = body.vertices.astype(np.float64)
    normals = vertex_normals(body.vertices, body.faces)
    area = np.linalg.norm(np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]]), axis=1)
    picked = np.minimum(np.searchsorted(np.cumsum(area) / area.sum(), draws(guides)), len(faces) - 1)
    r1, r2 = np.sqrt(draws(guides)), draws(guides)  # a uniform point in each picked triangle
    bary = np.stack([1.0 - r1, r1 * (1.0 - r2), r1 * r2], axis=1)
    roots = (v[faces[picked]] * bary[:, :, None]).sum(axis=1)
    root_n = (normals[faces[picked]] * bary[:, :, None]).sum(axis=1)
    root_n /= np.linalg.norm(root_n, axis=1, keepdims=True)
    centre, radius, top = _head_frame(body)
    total = STRAND_LENGTH_M[style] * length * (0.85 + 0.3 * draws(guides))
    t = np.linspace(0.0, 1.0, GUIDE_POINTS)
    down_back = np.array([0.0, 0.45, -1.0]) / np.linalg.norm([0.0, 0.45, -1.0])
    if style == "ponytail":  # every strand runs to a tie at the back of the crown, then hangs as a tail
        tie = centre + np.array([0.0, radius + 0.015, 0.03])
        to_tie = np.linspace(0.0, 1.0, 4)[None, :, None]
        head_part = roots[:, None, :] + (tie - roots)[:, None, :] * to_tie
        tail_dir = np.array([0.0, 0.35, -1.0]) / np.linalg.norm([0.0, 0.35, -1.0])
        offsets = (draws(guides, 1, 3) - 0.5) * 0.035  # the tail's strands spread about 1 cm
        along = np.linspace(0.1, 1.0, GUIDE_POINTS - 4)[None, :, None]
        tail = tie + offsets + tail_dir * (total[:, None, None] * along)
        points = np.concatenate([head_part, tail], axis=1)
    else:
        # Gravity from the root on (pushing out of the head below keeps the strands on the scalp), with a
        # little of the scalp's normal left at the root: short and curly hair stands off more than long.
        lift = {"short": 0.45, "curly": 0.6, "long": 0.25}[style]
        w = 1.0 - lift * (1.0 - t[None, :, None]) ** 2
        direction = root_n[:, None, :] * (1 - w) + down_back[None, None, :] * w
        direction /= np.linalg.norm(direction, axis=2, keepdims=True)
        step = (total / (GUIDE_POINTS - 1))[:, None, None]
        points = roots[:, None, :] + np.concatenate(
            [np.zeros((guides, 1, 3)), np.cumsum(direction[:, :-1] * step, axis=1)], axis=1)
    head = _dominant(body, "head", "neck")
    points[:, 1:] = _push_out(points[:, 1:], v[head], normals[head], 0.008)
    if style in ("long", "ponytail"):  # below the skull the hair falls behind the neck and shoulders
        neck = _joint(body, "neck")
        behind = float(neck[1] + 0.07)
        low = points[:, :, 2] < neck[2] + 0.04
        points[:, :, 1] = np.where(low, np.maximum(points[:, :, 1], behind), points[:, :, 1])
    children = max(0, int(round(strands / guides)) - 1)
    return HairGuides(style, points.astype(np.float32), children, spread_m=0.012 if style != "ponytail" else 0.006,
                      curl_m=0.012 if style == "curly" else 0.0, width_m=0.0012)


def _cone(base: np.ndarray, tip: np.ndarray, r0: float, r1: float, name: str, kind: str, color: str,
          blend: dict, segments: int = 12, rings: int = 6) -> OutfitPiece:
    axis = (tip - base) / np.linalg.norm(tip - base)
    u = np.cross(axis, [1.0, 0.0, 0.0])
    u = u / np.linalg.norm(u) if np.linalg.norm(u) > 1e-6 else np.array([0.0, 1.0, 0.0])
    v = np.cross(axis, u)
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    verts = [base + (tip - base) * t + (r0 + (r1 - r0) * t) * (np.cos(a) * u + np.sin(a) * v)
             for t in np.linspace(0.0, 1.0, rings) for a in angles]
    verts = np.array(verts)
    return OutfitPiece(name, kind, verts.astype(np.float32), _grid_faces(rings, segments, True),
                       _weights(len(verts), blend), color)


def _box(centre: np.ndarray, size: tuple[float, float, float], name: str, kind: str, color: str,
         blend: dict) -> OutfitPiece:
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    verts = centre + corners * np.asarray(size)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))], dtype=np.int32)
    return OutfitPiece(name, kind, verts.astype(np.float32), faces, _weights(8, blend), color)


def accessory(body: BakedBody, kind: str) -> OutfitPiece:
    centre, radius, top = _head_frame(body)
    if kind == "glasses":
        names = list(body.keypoint_names)
        eyes = [names.index("left_eye"), names.index("right_eye")]
        at = (body.keypoint_weights[eyes].astype(np.float64) @ body.vertices).mean(axis=0)
        return _box(at + np.array([0.0, -0.018, 0.0]), (0.14, 0.012, 0.035), "glasses", kind, "glasses",
                    {"head": 1.0})
    if kind == "hat":
        return _cone(np.array([centre[0], centre[1], top - 0.05]), np.array([centre[0], centre[1], top + 0.06]),
                     radius + 0.02, radius + 0.005, "hat", kind, "hat", {"head": 1.0}, segments=20, rings=3)
    if kind == "bag":
        hip = _joint(body, "right_hip")
        at = np.array([hip[0] - 0.16, hip[1] + 0.02, hip[2] - 0.02])
        return _box(at, (0.07, 0.24, 0.2), "bag", kind, "bag", {"pelvis": 0.6, "right_hip": 0.4})
    if kind == "watch":
        wrist, elbow = _joint(body, "left_wrist"), _joint(body, "left_elbow")
        forearm = _dominant(body, "left_elbow") & (np.abs(body.vertices[:, 0] - wrist[0]) < 0.04)
        r = float(np.linalg.norm(body.vertices[forearm][:, 1:] - wrist[1:], axis=1).max()) + 0.006
        along = (wrist - elbow) / np.linalg.norm(wrist - elbow)
        return _cone(wrist - along * 0.035, wrist - along * 0.015, r, r, "watch", kind, "watch",
                     {"left_elbow": 1.0}, segments=16, rings=2)
    raise ValueError(f"unknown accessory {kind!r} (accessories: {', '.join(ACCESSORIES)})")


def _sleeve_mask(body: BakedBody, long: bool) -> np.ndarray:
    x = np.abs(body.vertices[:, 0])
    shoulder, elbow, wrist = (abs(_joint(body, f"left_{j}")[0]) for j in ("shoulder", "elbow", "wrist"))
    return x < (wrist - 0.03 if long else shoulder + 0.55 * (elbow - shoulder))


def top_mask(body: BakedBody, long: bool, sleeveless: bool = False) -> np.ndarray:
    z = body.vertices[:, 2]
    torso = _dominant(body, "spine1", "spine2", "spine3", "left_collar", "right_collar", "left_shoulder",
                      "right_shoulder", "left_elbow", "right_elbow", "pelvis")
    arms = np.abs(body.vertices[:, 0]) < abs(_joint(body, "left_shoulder")[0]) + 0.02 if sleeveless \
        else _sleeve_mask(body, long)
    return torso & arms & (z < _joint(body, "neck")[2] - 0.02) & (z > _joint(body, "pelvis")[2] + 0.03)


def bottom_mask(body: BakedBody, shorts: bool) -> np.ndarray:
    z = body.vertices[:, 2]
    legs = _dominant(body, "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "spine1")
    low = _joint(body, "left_knee")[2] + 0.10 if shorts else _joint(body, "left_ankle")[2] + 0.05
    return legs & (z > low) & (z < _joint(body, "pelvis")[2] + 0.08)


def garment(body: BakedBody, kind: str) -> list[OutfitPiece]:
    """The pieces of one garment kind: tshirt, longsleeve, trousers, shorts, skirt, dress, jacket, shoes.
    Every shell among them hides the skin under it."""
    return [replace(p, hides_skin=True) if p.source is not None or p.skin_under is not None else p
            for p in _garment(body, kind)]


def _garment(body: BakedBody, kind: str) -> list[OutfitPiece]:
    waist = float(_joint(body, "pelvis")[2] + 0.06)
    knee = float(_joint(body, "left_knee")[2])
    if kind in ("tshirt", "longsleeve"):
        return [shell(body, top_mask(body, kind == "longsleeve"), THICKNESS[kind], "top", kind, "shirt")]
    if kind in ("trousers", "shorts"):
        return [shell(body, bottom_mask(body, kind == "shorts"), THICKNESS[kind], "bottom", kind, "trousers")]
    if kind == "skirt":
        return [skirt(body, waist, knee + 0.06, "bottom", kind, "trousers")]
    if kind == "dress":
        return [shell(body, top_mask(body, False, sleeveless=True), THICKNESS["bodice"], "dress_top", kind, "dress"),
                skirt(body, waist + 0.02, knee - 0.14, "dress_skirt", kind, "dress", flare=0.14)]
    if kind == "jacket":
        mask = top_mask(body, True)
        front = (np.abs(body.vertices[:, 0]) < 0.045) & (body.vertices[:, 1] < _joint(body, "spine2")[1] - 0.03)
        return [shell(body, mask & ~front, THICKNESS["jacket"], "jacket", kind, "jacket")]
    if kind == "shoes":
        z = body.vertices[:, 2]
        feet = _dominant(body, "left_ankle", "right_ankle", "left_foot", "right_foot")
        return [shell(body, feet & (z < _joint(body, "left_ankle")[2] + 0.05), THICKNESS["shoes"], "shoes", kind,
                      "shoes")]
    raise ValueError(f"unknown garment {kind!r}")


def _vertex_neighbours(faces: np.ndarray, n: int, seeds: np.ndarray, rings: int) -> np.ndarray:
    """`seeds` (a vertex mask) grown by `rings` rings of neighbours over the triangles."""
    grown = seeds.copy()
    for _ in range(rings):
        touching = grown[faces].any(axis=1)
        grown[faces[touching].ravel()] = True
    return grown


def hidden_body_faces(body: BakedBody, pieces: list[OutfitPiece]) -> np.ndarray:
    """Faces of the body that lie wholly under a garment shell, away from its edge, or deep under a skirt
    (`OutfitPiece.skin_under`): left out of the rendered body, so no pose can push skin through the cloth there
    (what MakeHuman's clothes do with the vertices they delete). Near a shell's edge (one ring of faces, two
    under a thick jacket) the skin stays, so no gap opens between the cloth's edge and the skin where it
    continues."""
    hidden = np.zeros(len(body.faces), dtype=bool)
    n = len(body.vertices)
    for piece in pieces:
        if not piece.hides_skin:
            continue
        if piece.skin_under is not None:  # a loose piece: its bands at the waist and hem are already left
            inner = np.zeros(n, dtype=bool)
            inner[piece.skin_under] = True
            hidden |= inner[body.faces].all(axis=1)
            continue
        covered = np.zeros(n, dtype=bool)
        covered[piece.source] = True
        edge = np.zeros(n, dtype=bool)
        edge[piece.source[_hem(piece)]] = True
        near_edge = _vertex_neighbours(body.faces, n, edge, 1 + int(piece.thickness > 0.015))
        inner = covered & ~near_edge
        hidden |= inner[body.faces].all(axis=1)
    return hidden


def open_edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) edges of one triangle only: a surface's open edges, (low, high) rows in lexicographic order.
    Each edge is counted as one integer key, low * n + high: `np.unique(axis=0)` sorted the rows as records,
    11 ms a garment against 1.2 (issue 15)."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    if len(edges) == 0:
        return edges
    n = int(edges.max()) + 1
    keys, counts = np.unique(edges[:, 0].astype(np.int64) * n + edges[:, 1], return_counts=True)
    once = keys[counts == 1]
    return np.stack([once // n, once % n], axis=1).astype(faces.dtype)


def _hem(piece: OutfitPiece) -> np.ndarray:
    """Vertices on a piece's open edges."""
    hem = np.zeros(len(piece.vertices), dtype=bool)
    hem[open_edges(piece.faces).ravel()] = True
    return hem


def strand_guides(body: BakedBody, outfit) -> HairGuides | None:
    """The guide strands of a job's hair when it is grown as curves (None for mesh hair or none)."""
    if outfit.hair == "none" or outfit.hair_geometry != "curves":
        return None
    return hair_guides(body, outfit.hair, outfit.hair_length, outfit.hair_strands, seed=outfit.hair_seed)


def outfit_pieces(body: BakedBody, outfit) -> list[OutfitPiece]:
    """Every piece a job's outfit (jobs.OutfitParams) puts on this body, innermost first."""
    pieces: list[OutfitPiece] = []
    if outfit.dress:
        pieces += garment(body, "dress")
    else:
        if outfit.top != "none":
            pieces += garment(body, outfit.top)
        if outfit.bottom != "none":
            pieces += garment(body, outfit.bottom)
    if outfit.jacket:
        pieces += garment(body, "jacket")
    if outfit.shoes:
        pieces += garment(body, "shoes")
    pieces += hair(body, outfit.hair, strands=outfit.hair_geometry == "curves")
    pieces += [accessory(body, kind) for kind in outfit.accessories]
    return pieces
