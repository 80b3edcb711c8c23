"""Per-frame ground truth that needs the evaluated scene: the deformed mesh and ray visibility.

Everything is measured on what Blender renders: the armature-deformed mesh gives the actor's
bounding box and the keypoints (linear blends of mesh vertices), and rays from the camera decide
which joints and keypoints are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np
from mathutils import Vector

from render_farm.blender.body import Actor
from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.camera import CameraPose

# Joints lie inside the body: the first surface a ray meets may be up to this far in front of a
# joint that is still seen (its own flesh). A surface further in front hides it.
SELF_SURFACE_M = 0.22
# Face and foot keypoints lie on the skin: only a sliver of surface may be in front of them.
SURFACE_KEYPOINTS = ("nose", "eye", "ear", "toe", "heel")
ON_SURFACE_M = 0.04


@dataclass
class FrameTruth:
    bbox: tuple[float, float, float, float]  # x_min, y_min, x_max, y_max in pixels, clipped to the image
    keypoints_3d: np.ndarray  # (K, 3)
    joint_visible: np.ndarray  # (24,) bool
    keypoint_visible: np.ndarray  # (K,) bool


def evaluated_vertices(actor: Actor) -> np.ndarray:
    """World positions of the deformed body mesh's vertices."""
    return _evaluated(actor.mesh)


def _evaluated(mesh_object: bpy.types.Object) -> np.ndarray:
    """World positions of an object's evaluated vertices (a mesh) or curve points (strand hair)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    obj = mesh_object.evaluated_get(depsgraph)
    m = np.array(obj.matrix_world)
    if obj.type == "CURVES":
        points = np.empty(len(obj.data.points) * 3, dtype=np.float32)
        obj.data.position_data.foreach_get("vector", points)
        return points.reshape(-1, 3).astype(np.float64) @ m[:3, :3].T + m[:3, 3]
    mesh = obj.to_mesh()
    try:
        co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
        mesh.vertices.foreach_get("co", co)
    finally:
        obj.to_mesh_clear()
    return co.reshape(-1, 3).astype(np.float64) @ m[:3, :3].T + m[:3, 3]


def visible(scene: bpy.types.Scene, camera: CameraPose, points: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """In frame and not hidden behind a surface more than `tolerance` (per point) in front of it."""
    uv, depth = camera.project(points)
    inside = (depth > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < camera.width) & (uv[:, 1] >= 0) & (uv[:, 1] < camera.height)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    origin = Vector(camera.location)
    out = np.zeros(len(points), dtype=bool)
    for i, p in enumerate(points):
        if not inside[i]:
            continue
        d = p - camera.location
        dist = float(np.linalg.norm(d))
        hit, location, *_ = scene.ray_cast(depsgraph, origin, Vector(d / dist), distance=dist)
        out[i] = (not hit) or (location - origin).length >= dist - tolerance[i]
    return out


def keypoint_tolerance(names: tuple[str, ...]) -> np.ndarray:
    return np.array([ON_SURFACE_M if any(s in n for s in SURFACE_KEYPOINTS) else SELF_SURFACE_M for n in names])


def frame_truth(scene: bpy.types.Scene, actor: Actor, body: BakedBody, camera: CameraPose,
                joints: np.ndarray) -> FrameTruth:
    bpy.context.view_layer.update()
    verts = evaluated_vertices(actor)
    # The box holds the whole person: body, garments, hair and accessories.
    outline = np.concatenate([verts] + [_evaluated(p) for p in actor.pieces]) if actor.pieces else verts
    uv, depth = camera.project(outline)
    uv = uv[depth > 0]
    x0, y0 = np.clip(uv.min(axis=0), 0, [camera.width, camera.height])
    x1, y1 = np.clip(uv.max(axis=0), 0, [camera.width, camera.height])
    keypoints = body.keypoint_weights.astype(np.float64) @ verts
    return FrameTruth(
        bbox=(float(x0), float(y0), float(x1), float(y1)),
        keypoints_3d=keypoints,
        joint_visible=visible(scene, camera, joints, np.full(len(joints), SELF_SURFACE_M)),
        keypoint_visible=visible(scene, camera, keypoints, keypoint_tolerance(body.keypoint_names)),
    )
