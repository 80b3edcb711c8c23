"""Props: distractors (primitive shapes with random materials around the actor) and the hand-held props of
a template, which follow their ClipSpec track frame by frame."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import bpy
from mathutils import Quaternion, Vector

from render_farm.blender.materials import flat
from render_farm.core.scene.spec import PropTrack

if TYPE_CHECKING:  # the job's pydantic models: a Blender application's Python may not have pydantic
    from render_farm.core.plan.jobs import Distractor

_ADD = {
    "cube": lambda s, loc: bpy.ops.mesh.primitive_cube_add(size=s, location=loc),
    "sphere": lambda s, loc: bpy.ops.mesh.primitive_uv_sphere_add(radius=s / 2, location=loc, segments=24,
                                                                   ring_count=12),
    "cylinder": lambda s, loc: bpy.ops.mesh.primitive_cylinder_add(radius=s / 2, depth=s, location=loc, vertices=24),
    "cone": lambda s, loc: bpy.ops.mesh.primitive_cone_add(radius1=s / 2, depth=s, location=loc, vertices=24),
}


def distractors(props: list[Distractor]) -> list[bpy.types.Object]:
    objects = []
    for i, p in enumerate(props):
        _ADD[p.shape](p.size_m, (p.position[0], p.position[1], p.size_m / 2))
        obj = bpy.context.active_object
        obj.name = f"prop_{i}_{p.shape}"
        obj.rotation_euler[2] = math.radians(p.rotation_deg)
        obj.data.materials.append(flat(f"prop_{i}", p.color))
        objects.append(obj)
    return objects


def held_props(tracks: tuple[PropTrack, ...], colors: dict[str, tuple[float, float, float]]) -> list[bpy.types.Object]:
    """One object per held prop, its shape scaled to size (a unit primitive, so the size is the scale)."""
    objects = []
    for track in tracks:
        {"box": lambda: bpy.ops.mesh.primitive_cube_add(size=1.0),
         "sphere": lambda: bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, segments=24, ring_count=12),
         "cylinder": lambda: bpy.ops.mesh.primitive_cylinder_add(radius=0.5, depth=1.0, vertices=24)}[track.shape]()
        obj = bpy.context.active_object
        obj.name = f"held_{track.name}"
        obj.scale = track.size_m
        obj.rotation_mode = "QUATERNION"
        obj.data.materials.append(flat(f"held_{track.name}", colors.get(track.name, (0.5, 0.5, 0.5))))
        objects.append(obj)
    return objects


def place_held(objects: list[bpy.types.Object], tracks: tuple[PropTrack, ...], k: int) -> None:
    for obj, track in zip(objects, tracks, strict=True):
        obj.location = Vector(track.positions[k])
        obj.rotation_quaternion = Quaternion(track.rotations[k])
