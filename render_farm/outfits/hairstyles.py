"""Hair: mesh hair of a style (a cap, a curtain, a ponytail), or guide strands that Blender grows hair
curves from (render_farm/blender/hair.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.mesh import grid_faces, nearest, vertex_normals
from render_farm.core.plan.seeding import Stream
from render_farm.outfits.pieces import (
    THICKNESS,
    OutfitPiece,
    cone_piece,
    dominated_by,
    fixed_weights,
    head_frame,
    joint_at,
    scalp_mask,
    shell,
)

HAIR_STYLES = ("none", "short", "long", "ponytail", "curly")


def hair(body: BakedBody, style: str, strands: bool = False) -> list[OutfitPiece]:
    """Mesh hair of a style; with `strands`, only the cap under the strands (see `hair_guides`)."""
    if style == "none":
        return []
    if style not in HAIR_STYLES:
        raise ValueError(f"unknown hair style {style!r} (styles: {', '.join(HAIR_STYLES)})")
    if strands:  # the scalp under the strands is hair-coloured (solid), so no skin shows between them
        return [replace(shell(body, scalp_mask(body), 0.004, "hair", style, "hair"), corner_uvs=None)]
    cap = shell(body, scalp_mask(body), THICKNESS["curly" if style == "curly" else "short"], "hair", style, "hair",
                bumps=0.015 if style == "curly" else 0.0)
    pieces = [cap]
    centre, radius, top = head_frame(body)
    shoulders = float(joint_at(body, "spine3")[2] + 0.05)
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
        w = fixed_weights(len(verts), {"head": 1.0 - 0.5 * frac, "neck": 0.3 * frac, "spine3": 0.2 * frac})
        pieces.append(OutfitPiece("hair_long", style, np.array(verts, dtype=np.float32),
                                  grid_faces(rings, len(angles), False), w, "hair"))
    elif style == "ponytail":  # a cone from the back of the crown, down and back
        base = centre + np.array([0.0, radius + 0.01, 0.05])
        tip = base + np.array([0.0, 0.08, -0.26])
        pieces.append(cone_piece(base, tip, 0.035, 0.008, "hair_tail", style, "hair", {"head": 1.0}))
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

    scalp = scalp_mask(body)
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
    centre, radius, top = head_frame(body)
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
    head = dominated_by(body, "head", "neck")
    points[:, 1:] = _push_out(points[:, 1:], v[head], normals[head], 0.008)
    if style in ("long", "ponytail"):  # below the skull the hair falls behind the neck and shoulders
        neck = joint_at(body, "neck")
        behind = float(neck[1] + 0.07)
        low = points[:, :, 2] < neck[2] + 0.04
        points[:, :, 1] = np.where(low, np.maximum(points[:, :, 1], behind), points[:, :, 1])
    children = max(0, int(round(strands / guides)) - 1)
    return HairGuides(style, points.astype(np.float32), children, spread_m=0.012 if style != "ponytail" else 0.006,
                      curl_m=0.012 if style == "curly" else 0.0, width_m=0.0012)


def strand_guides(body: BakedBody, outfit) -> HairGuides | None:
    """The guide strands of a job's hair when it is grown as curves (None for mesh hair or none)."""
    if outfit.hair == "none" or outfit.hair_geometry != "curves":
        return None
    return hair_guides(body, outfit.hair, outfit.hair_length, outfit.hair_strands, seed=outfit.hair_seed)
