"""Distractor props: primitive shapes with random materials around the actor."""

from __future__ import annotations

import math

import bpy

from render_farm.blender.materials import flat
from render_farm.core.jobs import Distractor

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
