"""World (built-in HDRI) and a sun."""

from __future__ import annotations

import math
import os

import bpy

from render_farm.core.errors import SynthActError
from render_farm.core.jobs import LightingParams


class AssetError(SynthActError):
    pass


def hdri_path(name: str) -> str:
    """A studio HDRI shipped with Blender (CC0)."""
    return os.path.join(bpy.utils.system_resource("DATAFILES"), "studiolights", "world", f"{name}.exr")


def world(params: LightingParams) -> bpy.types.World:
    path = hdri_path(params.hdri)
    if not os.path.isfile(path):
        raise AssetError(f"{path}: HDRI {params.hdri!r} is missing from this Blender installation")
    w = bpy.data.worlds.new("world")
    bpy.context.scene.world = w
    if w.node_tree is None:  # Blender < 5 creates node trees on request
        w.use_nodes = True
    nodes, links = w.node_tree.nodes, w.node_tree.links
    background = nodes.get("Background")
    coords = nodes.new("ShaderNodeTexCoord")
    mapping = nodes.new("ShaderNodeMapping")
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(params.hdri_rotation_deg))
    env = nodes.new("ShaderNodeTexEnvironment")
    env.image = bpy.data.images.load(path, check_existing=True)
    links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], env.inputs["Vector"])
    links.new(env.outputs["Color"], background.inputs["Color"])
    background.inputs["Strength"].default_value = params.strength
    w.color = (0.35, 0.38, 0.42)  # Workbench's flat background
    return w


def sun(params: LightingParams) -> bpy.types.Object:
    light = bpy.data.lights.new("sun", type="SUN")
    light.energy = params.sun_strength
    light.angle = math.radians(3.0)
    obj = bpy.data.objects.new("sun", light)
    # A sun shines along its local -Z: tilt it down from the zenith, then turn it.
    obj.rotation_euler = (math.radians(90.0 - params.sun_elevation_deg), 0.0, math.radians(params.sun_azimuth_deg))
    bpy.context.scene.collection.objects.link(obj)
    return obj
