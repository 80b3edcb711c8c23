"""World (built-in HDRI) and a sun."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import bpy
import numpy as np

from render_farm.blender.scene import place_object
from render_farm.core.geometry.camera import look_at
from render_farm.core.geometry.colors import kelvin_to_rgb
from synthact.errors import SynthActError

if TYPE_CHECKING:  # the job's pydantic models: a Blender application's Python may not have pydantic
    from render_farm.core.plan.jobs import AreaLight, LightingParams, SceneParams


class AssetError(SynthActError):
    pass


def hdri_path(name: str) -> str:
    """A studio HDRI shipped with Blender (CC0), from the asset source: `hdri-NAME` in assets_manifest.yaml."""
    from render_farm.asset_check import vetted_path

    try:
        return str(vetted_path(f"hdri-{name}"))
    except SynthActError as exc:
        raise AssetError(f"{exc} (HDRI {name!r}, Blender {bpy.app.version_string})") from None


def importance_map(w: bpy.types.World, resolution: int) -> None:
    """Cycles samples the world light through an importance map that it builds when a scene is first
    rendered, i.e. for every clip; 0 leaves Blender's automatic map (see RenderParams.world_map)."""
    if resolution and hasattr(w, "cycles") and hasattr(w.cycles, "sampling_method"):
        w.cycles.sampling_method = "MANUAL"
        w.cycles.sample_map_resolution = resolution


def world(params: LightingParams, scene: SceneParams) -> bpy.types.World:
    """The background: one of Blender's HDRIs, or a physical sky lit by the job's sun."""
    w = bpy.data.worlds.new("world")
    bpy.context.scene.world = w
    if w.node_tree is None:  # Blender < 5 creates node trees on request
        w.use_nodes = True
    nodes, links = w.node_tree.nodes, w.node_tree.links
    background = nodes.get("Background")
    w.color = (0.35, 0.38, 0.42)  # Workbench's flat background
    if scene.background == "image":
        # A backdrop in screen space: the image fills the frame behind the actor, whatever the camera.
        coords = nodes.new("ShaderNodeTexCoord")
        tex = nodes.new("ShaderNodeTexImage")
        try:
            tex.image = bpy.data.images.load(scene.background_image, check_existing=True)
        except RuntimeError:
            raise AssetError(f"{scene.background_image}: cannot load background image") from None
        links.new(coords.outputs["Window"], tex.inputs["Vector"])
        links.new(tex.outputs["Color"], background.inputs["Color"])
        background.inputs["Strength"].default_value = params.strength
        return w
    if scene.background == "sky":
        sky = nodes.new("ShaderNodeTexSky")
        sky.sky_type = "HOSEK_WILKIE"
        sky.turbidity = scene.sky_turbidity
        az, el = math.radians(params.sun_azimuth_deg), math.radians(params.sun_elevation_deg)
        sky.sun_direction = (math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), math.sin(el))
        links.new(sky.outputs["Color"], background.inputs["Color"])
        background.inputs["Strength"].default_value = 0.3 * params.strength
        return w
    path = hdri_path(params.hdri)
    coords = nodes.new("ShaderNodeTexCoord")
    mapping = nodes.new("ShaderNodeMapping")
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(params.hdri_rotation_deg))
    env = nodes.new("ShaderNodeTexEnvironment")
    env.image = bpy.data.images.load(path, check_existing=True)
    links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], env.inputs["Vector"])
    links.new(env.outputs["Color"], background.inputs["Color"])
    background.inputs["Strength"].default_value = params.strength
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


def area_lights(lights: list[AreaLight], target) -> list[bpy.types.Object]:
    """Soft lights of a colour temperature, aimed at the actor's mean pelvis position."""
    objects = []
    target = np.asarray(target, dtype=np.float64)
    for i, spec in enumerate(lights):
        light = bpy.data.lights.new(f"area_{i}", type="AREA")
        light.energy = spec.strength_w
        light.size = spec.size_m
        light.color = kelvin_to_rgb(spec.temperature_k)
        obj = bpy.data.objects.new(f"area_{i}", light)
        obj.visible_camera = False  # light the actor, never appear as a white panel in the shot
        az, el = math.radians(spec.azimuth_deg), math.radians(spec.elevation_deg)
        location = target + spec.distance_m * np.array([math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az),
                                                         math.sin(el)])
        # An area light shines along its -Z, as a camera looks.
        place_object(obj, look_at(location, target), location)
        bpy.context.scene.collection.objects.link(obj)
        objects.append(obj)
    return objects
