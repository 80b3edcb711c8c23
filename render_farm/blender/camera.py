"""The camera, placed from a CameraPose computed in plain Python."""

from __future__ import annotations

import bpy

from render_farm.blender.scene import place_object
from render_farm.core.geometry.camera import SENSOR_WIDTH_MM, CameraPose


def place(obj: bpy.types.Object, pose: CameraPose) -> None:
    place_object(obj, pose.rotation, pose.location)


def camera(pose: CameraPose) -> bpy.types.Object:
    data = bpy.data.cameras.new("camera")
    data.lens = pose.focal_mm
    data.sensor_width = SENSOR_WIDTH_MM
    data.sensor_fit = "HORIZONTAL"
    data.clip_start = 0.05
    data.clip_end = 500.0
    obj = bpy.data.objects.new("camera", data)
    place(obj, pose)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.scene.camera = obj
    return obj
