"""Accessories: glasses, a hat, a bag and a watch as primitives on the head, the hip or the wrist."""

from __future__ import annotations

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.outfits.pieces import OutfitPiece, cone_piece, dominated_by, fixed_weights, head_frame, joint_at

ACCESSORIES = ("glasses", "hat", "bag", "watch")


def _box(centre: np.ndarray, size: tuple[float, float, float], name: str, kind: str, color: str,
         blend: dict) -> OutfitPiece:
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    verts = centre + corners * np.asarray(size)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))], dtype=np.int32)
    return OutfitPiece(name, kind, verts.astype(np.float32), faces, fixed_weights(8, blend), color)


def accessory(body: BakedBody, kind: str) -> OutfitPiece:
    centre, radius, top = head_frame(body)
    if kind == "glasses":
        names = list(body.keypoint_names)
        eyes = [names.index("left_eye"), names.index("right_eye")]
        at = (body.keypoint_weights[eyes].astype(np.float64) @ body.vertices).mean(axis=0)
        return _box(at + np.array([0.0, -0.018, 0.0]), (0.14, 0.012, 0.035), "glasses", kind, "glasses",
                    {"head": 1.0})
    if kind == "hat":
        return cone_piece(np.array([centre[0], centre[1], top - 0.05]), np.array([centre[0], centre[1], top + 0.06]),
                     radius + 0.02, radius + 0.005, "hat", kind, "hat", {"head": 1.0}, segments=20, rings=3)
    if kind == "bag":
        hip = joint_at(body, "right_hip")
        at = np.array([hip[0] - 0.16, hip[1] + 0.02, hip[2] - 0.02])
        return _box(at, (0.07, 0.24, 0.2), "bag", kind, "bag", {"pelvis": 0.6, "right_hip": 0.4})
    if kind == "watch":
        wrist, elbow = joint_at(body, "left_wrist"), joint_at(body, "left_elbow")
        forearm = dominated_by(body, "left_elbow") & (np.abs(body.vertices[:, 0] - wrist[0]) < 0.04)
        r = float(np.linalg.norm(body.vertices[forearm][:, 1:] - wrist[1:], axis=1).max()) + 0.006
        along = (wrist - elbow) / np.linalg.norm(wrist - elbow)
        return cone_piece(wrist - along * 0.035, wrist - along * 0.015, r, r, "watch", kind, "watch",
                     {"left_elbow": 1.0}, segments=16, rings=2)
    raise ValueError(f"unknown accessory {kind!r} (accessories: {', '.join(ACCESSORIES)})")
