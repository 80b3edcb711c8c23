"""Garments: shells of the body's own faces (shirts, trousers, shorts, shoes, a jacket, a bodice) and a
skirt generated as a tube, plus which of the body's faces they hide."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.mesh import grid_faces, nearest, open_edges, vertex_neighbours
from render_farm.outfits.pieces import THICKNESS, OutfitPiece, dominated_by, joint_at, shell

TOPS = ("none", "tshirt", "longsleeve")


BOTTOMS = ("none", "trousers", "shorts", "skirt")


def _cross_section(body: BakedBody, z: float, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (x, y) and half extents of the body's vertices in `mask` within 2 cm of height z."""
    near = mask & (np.abs(body.vertices[:, 2] - z) < 0.02)
    pts = body.vertices[near][:, :2] if near.any() else body.vertices[mask][:, :2]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2, (hi - lo) / 2


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
    legs = dominated_by(body, "pelvis", "left_hip", "right_hip", "spine1")
    centre, half = _cross_section(body, top_z, legs)
    hips_centre, hips_half = _cross_section(body, joint_at(body, "left_hip")[2] - 0.08, legs)

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
    w = _nearest_skin_weights(body, verts, legs | dominated_by(body, "left_knee", "right_knee"))
    # The deepest hip bends (sitting, crouching) still fold the cloth into the top of the thighs, and skinning
    # alone cannot keep that skin under it: the skin deep under the skirt (the hips and upper thighs inside
    # it, away from its waist and hem) is left out of the rendered body, as under a shell. What the hem shows
    # of the thighs stays; `fit.skin_exposed` finds the left-out skin a pose brings outside the skirt.
    hip, knee = float(joint_at(body, "left_hip")[2]), float(joint_at(body, "left_knee")[2])
    z = body.vertices[:, 2].astype(np.float64)
    low = max(hem_z + SKIRT_HEM_BAND_M, hip - SKIRT_THIGH_SHARE * (hip - knee))
    band = legs & (z < top_z - SKIRT_WAIST_BAND_M) & (z > low)
    c, h = ring(((z[band] - top_z) / (hem_z - top_z))[:, None])
    within = (((body.vertices[band, :2] - c) / h) ** 2).sum(axis=1) < 1.0
    return OutfitPiece(name, kind, verts.astype(np.float32), grid_faces(rings, segments, True), w, color,
                       dual_quaternion=True, skin_under=np.nonzero(band)[0][within])


def _sleeve_mask(body: BakedBody, long: bool) -> np.ndarray:
    x = np.abs(body.vertices[:, 0])
    shoulder, elbow, wrist = (abs(joint_at(body, f"left_{j}")[0]) for j in ("shoulder", "elbow", "wrist"))
    return x < (wrist - 0.03 if long else shoulder + 0.55 * (elbow - shoulder))


def top_mask(body: BakedBody, long: bool, sleeveless: bool = False) -> np.ndarray:
    z = body.vertices[:, 2]
    torso = dominated_by(body, "spine1", "spine2", "spine3", "left_collar", "right_collar", "left_shoulder",
                      "right_shoulder", "left_elbow", "right_elbow", "pelvis")
    arms = np.abs(body.vertices[:, 0]) < abs(joint_at(body, "left_shoulder")[0]) + 0.02 if sleeveless \
        else _sleeve_mask(body, long)
    return torso & arms & (z < joint_at(body, "neck")[2] - 0.02) & (z > joint_at(body, "pelvis")[2] + 0.03)


def bottom_mask(body: BakedBody, shorts: bool) -> np.ndarray:
    z = body.vertices[:, 2]
    legs = dominated_by(body, "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "spine1")
    low = joint_at(body, "left_knee")[2] + 0.10 if shorts else joint_at(body, "left_ankle")[2] + 0.05
    return legs & (z > low) & (z < joint_at(body, "pelvis")[2] + 0.08)


def garment(body: BakedBody, kind: str) -> list[OutfitPiece]:
    """The pieces of one garment kind: tshirt, longsleeve, trousers, shorts, skirt, dress, jacket, shoes.
    Every shell among them hides the skin under it."""
    return [replace(p, hides_skin=True) if p.source is not None or p.skin_under is not None else p
            for p in _garment(body, kind)]


def _garment(body: BakedBody, kind: str) -> list[OutfitPiece]:
    waist = float(joint_at(body, "pelvis")[2] + 0.06)
    knee = float(joint_at(body, "left_knee")[2])
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
        front = (np.abs(body.vertices[:, 0]) < 0.045) & (body.vertices[:, 1] < joint_at(body, "spine2")[1] - 0.03)
        return [shell(body, mask & ~front, THICKNESS["jacket"], "jacket", kind, "jacket")]
    if kind == "shoes":
        z = body.vertices[:, 2]
        feet = dominated_by(body, "left_ankle", "right_ankle", "left_foot", "right_foot")
        return [shell(body, feet & (z < joint_at(body, "left_ankle")[2] + 0.05), THICKNESS["shoes"], "shoes", kind,
                      "shoes")]
    raise ValueError(f"unknown garment {kind!r}")


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
        edge[piece.source[hem_vertices(piece)]] = True
        near_edge = vertex_neighbours(body.faces, n, edge, 1 + int(piece.thickness > 0.015))
        inner = covered & ~near_edge
        hidden |= inner[body.faces].all(axis=1)
    return hidden


def hem_vertices(piece: OutfitPiece) -> np.ndarray:
    """Vertices on a piece's open edges."""
    hem = np.zeros(len(piece.vertices), dtype=bool)
    hem[open_edges(piece.faces).ravel()] = True
    return hem
