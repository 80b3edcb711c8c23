"""What every outfit piece is (a mesh skinned to the canonical joints) and the body landmarks and shapes the
garments, hair and accessories are built from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.mesh import grid_faces, vertex_normals
from render_farm.core.geometry.skeleton import JOINT_INDEX, NUM_JOINTS

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


def joint_at(body: BakedBody, name: str) -> np.ndarray:
    return body.rest_joints[JOINT_INDEX[name]]


def dominated_by(body: BakedBody, *names: str) -> np.ndarray:
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


def fixed_weights(n: int, blend: dict[str, np.ndarray | float]) -> np.ndarray:
    w = np.zeros((n, NUM_JOINTS), dtype=np.float64)
    for name, value in blend.items():
        w[:, JOINT_INDEX[name]] += value
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def head_frame(body: BakedBody) -> tuple[np.ndarray, float, float]:
    """Centre of the skull (x, y, z), its radius, and the top of the head."""
    head = dominated_by(body, "head")
    pts = body.vertices[head]
    top = float(pts[:, 2].max())
    centre = np.array([(pts[:, 0].min() + pts[:, 0].max()) / 2, (pts[:, 1].min() + pts[:, 1].max()) / 2,
                       top - 0.11])
    radius = float(max(pts[:, 0].max() - pts[:, 0].min(), pts[:, 1].max() - pts[:, 1].min()) / 2)
    return centre, radius, top


def scalp_mask(body: BakedBody) -> np.ndarray:
    head = joint_at(body, "head")
    return dominated_by(body, "head") & (body.vertices[:, 2] > head[2] + 0.06) & (body.vertices[:, 1] > head[1] - 0.05)


def cone_piece(base: np.ndarray, tip: np.ndarray, r0: float, r1: float, name: str, kind: str, color: str,
          blend: dict, segments: int = 12, rings: int = 6) -> OutfitPiece:
    axis = (tip - base) / np.linalg.norm(tip - base)
    u = np.cross(axis, [1.0, 0.0, 0.0])
    u = u / np.linalg.norm(u) if np.linalg.norm(u) > 1e-6 else np.array([0.0, 1.0, 0.0])
    v = np.cross(axis, u)
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    verts = [base + (tip - base) * t + (r0 + (r1 - r0) * t) * (np.cos(a) * u + np.sin(a) * v)
             for t in np.linspace(0.0, 1.0, rings) for a in angles]
    verts = np.array(verts)
    return OutfitPiece(name, kind, verts.astype(np.float32), grid_faces(rings, segments, True),
                       fixed_weights(len(verts), blend), color)
