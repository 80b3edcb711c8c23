"""Per-frame ground truth that needs the evaluated scene: the deformed mesh and ray visibility.

Everything is measured on what Blender renders: the armature-deformed mesh gives the actor's
bounding box and the keypoints (linear blends of mesh vertices), and rays from the camera, cast in
numpy against the frame's evaluated triangles (core.geometry.occlusion), decide which joints and
keypoints are hidden.
"""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Vector

from render_farm.blender.body import Actor
from render_farm.bodies.baked.body import BakedBody
from render_farm.core.geometry.camera import CameraPose
from render_farm.core.geometry.occlusion import image_plane, occluded
from render_farm.core.scene.spec import FrameTruth

# Joints lie inside the body: the first surface a ray meets may be up to this far in front of a
# joint that is still seen (its own flesh). A surface further in front hides it.
SELF_SURFACE_M = 0.22
# Face and foot keypoints lie on the skin: only a sliver of surface may be in front of them.
SURFACE_KEYPOINTS = ("nose", "eye", "ear", "toe", "heel")
ON_SURFACE_M = 0.04


class FrameScene:
    """The meshes of the frame being annotated, as Blender evaluated them: world vertices per object and
    the triangles a viewport ray cast could meet. One per clip: meshes without modifiers (the ground,
    props, distractors) keep their vertices and triangles between frames and only move with their
    matrices, and a deformed mesh keeps its triangle indices while its vertex and face counts stay."""

    def __init__(self, scene: bpy.types.Scene):
        self.scene = scene
        self._still: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> object-space vertices, triangles
        self._indices: dict[str, tuple[tuple[int, int], np.ndarray]] = {}  # name -> (counts, (T, 3) indices)
        self._rows: dict[str, slice] = {}  # name -> the object's rows of points
        self._view: tuple | None = None  # (camera, points in its space, their image-plane x/z and y/z)
        self.points = np.zeros((0, 3))  # every mesh's world vertices, end to end
        self.triangles = np.zeros((0, 3), dtype=np.int64)  # indices into points

    def evaluate(self) -> FrameScene:
        """Read the current frame (after the actors are posed): call once per frame, before frame_truth."""
        bpy.context.view_layer.update()
        depsgraph = bpy.context.evaluated_depsgraph_get()
        self._rows, self._view = {}, None
        points, triangles, offset = [], [], 0
        # What scene.ray_cast meets: the mesh objects shown in the viewport (the hair's hidden twin is not).
        for obj in self.scene.objects:
            if obj.type != "MESH" or not obj.visible_get():
                continue
            if not obj.modifiers and obj.data.shape_keys is None:
                still = self._still.get(obj.name)
                if still is None:
                    still = self._still[obj.name] = (_vertices(obj.data), _triangle_indices(obj.data))
                local, tris = still
                m = np.array(obj.matrix_world)
                world = local @ m[:3, :3].T + m[:3, 3]
            else:
                evaluated = obj.evaluated_get(depsgraph)
                mesh = evaluated.to_mesh()
                try:
                    co = _vertices(mesh)
                    counts = (len(mesh.vertices), len(mesh.polygons))
                    known = self._indices.get(obj.name)
                    if known is None or known[0] != counts:
                        known = self._indices[obj.name] = (counts, _triangle_indices(mesh))
                finally:
                    evaluated.to_mesh_clear()
                m = np.array(evaluated.matrix_world)
                world = co @ m[:3, :3].T + m[:3, 3]
                tris = known[1]
            self._rows[obj.name] = slice(offset, offset + len(world))
            points.append(world)
            triangles.append(tris + offset)
            offset += len(world)
        self.points = np.concatenate(points) if points else np.zeros((0, 3))
        self.triangles = np.concatenate(triangles) if triangles else np.zeros((0, 3), dtype=np.int64)
        return self

    def vertices(self, obj: bpy.types.Object) -> np.ndarray:
        """World positions of an object's evaluated vertices (a mesh) or curve points (strand hair)."""
        rows = self._rows.get(obj.name)
        return self.points[rows] if rows is not None else _evaluated(obj)

    def view(self, camera: CameraPose) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Every vertex in the camera's space (OpenCV axes) and on its image plane (x/z, y/z): computed once
        per frame and camera, for the actor's box, the partner's and the visibility tests."""
        if self._view is None or self._view[0] is not camera:
            cam = camera.to_camera(self.points)
            self._view = (camera, cam, image_plane(cam))
        return self._view[1], self._view[2]

    def image_extent(self, camera: CameraPose, objects: list[bpy.types.Object]) -> tuple[float, ...]:
        """x_min, y_min, x_max, y_max in pixels of the objects' points in front of the camera, clipped to the
        image (what projecting every point and taking the extremes gives: the pixel map is increasing)."""
        cam, (x, y) = self.view(camera)
        xs, ys = [], []
        for obj in objects:
            rows = self._rows.get(obj.name)
            if rows is None:  # strand hair: curves, not among the frame's meshes
                c = camera.to_camera(_evaluated(obj))
                front = c[:, 2] > 0
                cx, cy = image_plane(c[front])
            else:
                front = cam[rows, 2] > 0
                cx, cy = x[rows][front], y[rows][front]
            xs.append(cx)
            ys.append(cy)
        x, y = np.concatenate(xs), np.concatenate(ys)
        k = camera.intrinsics
        x0, x1 = np.clip([x.min() * k[0, 0] + k[0, 2], x.max() * k[0, 0] + k[0, 2]], 0, camera.width)
        y0, y1 = np.clip([y.min() * k[1, 1] + k[1, 2], y.max() * k[1, 1] + k[1, 2]], 0, camera.height)
        return float(x0), float(y0), float(x1), float(y1)


def _vertices(mesh: bpy.types.Mesh) -> np.ndarray:
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)


def _triangle_indices(mesh: bpy.types.Mesh) -> np.ndarray:
    tris = mesh.loop_triangles
    idx = np.empty(len(tris) * 3, dtype=np.int32)
    tris.foreach_get("vertices", idx)
    return idx.reshape(-1, 3).astype(np.int64)


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
        co = _vertices(mesh)
    finally:
        obj.to_mesh_clear()
    return co @ m[:3, :3].T + m[:3, 3]


def _in_frame(camera: CameraPose, points: np.ndarray) -> np.ndarray:
    uv, depth = camera.project(points)
    return (depth > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < camera.width) & (uv[:, 1] >= 0) & (uv[:, 1] < camera.height)


def visible(frame: FrameScene, camera: CameraPose, points: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """In frame and not hidden behind a surface more than `tolerance` (per point) in front of it."""
    inside = _in_frame(camera, points)
    out = np.zeros(len(points), dtype=bool)
    idx = np.flatnonzero(inside)
    if len(idx):
        dist = np.linalg.norm(points[idx] - camera.location, axis=1)
        vertices, image = frame.view(camera)
        out[idx] = ~occluded(camera.to_camera(points[idx]), dist - tolerance[idx], vertices, frame.triangles,
                             image)
    return out


def ray_cast_visible(scene: bpy.types.Scene, camera: CameraPose, points: np.ndarray,
                     tolerance: np.ndarray) -> np.ndarray:
    """`visible` by one Blender `scene.ray_cast` per point: what the labels used before (issue 15), kept as the
    reference the tests and benchmarks/frame_overhead.py hold `visible` to."""
    inside = _in_frame(camera, points)
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


def frame_truth(frame: FrameScene, actor: Actor, body: BakedBody, camera: CameraPose,
                joints: np.ndarray) -> FrameTruth:
    """The actor's box, keypoints and visibility in the frame `frame.evaluate()` last read."""
    verts = frame.vertices(actor.mesh)
    keypoints = body.keypoint_weights.astype(np.float64) @ verts
    # Joints and keypoints in one visibility test: the triangles are culled once for both.
    seen = visible(frame, camera, np.concatenate([joints, keypoints]),
                   np.concatenate([np.full(len(joints), SELF_SURFACE_M), keypoint_tolerance(body.keypoint_names)]))
    return FrameTruth(
        bbox=frame.image_extent(camera, [actor.mesh, *actor.pieces]),  # the whole person: garments, hair too
        keypoints_3d=keypoints,
        joint_visible=seen[:len(joints)],
        keypoint_visible=seen[len(joints):],
    )
