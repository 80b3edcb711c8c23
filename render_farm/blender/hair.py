"""Strand hair: Blender hair curves grown from guide strands (bodies.baked.outfit.hair_guides) and styled
by Blender's own CC0 procedural hair node assets (datafiles/assets/nodes/procedural_hair_node_assets.blend,
listed in assets_manifest.yaml as `hair-node-assets`).

The curves object is parented to the head bone: the scalp is skinned to the head alone, so the hair
follows the head through the whole clip at the cost of one object transform per frame, with no
per-frame curve deformation. The styling is applied once per clip (`keep_still`) and the curves are kept
as an instance in Cycles: otherwise Blender evaluated the node modifiers again and Cycles rebuilt the
strands' BVH every frame (15 ms a frame for 1,900 strands, docs/benchmarks.md).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import bpy
import numpy as np

from render_farm.blender.materials import empty_material
from render_farm.bodies.baked.outfit import GUIDE_POINTS, HairGuides
from synthact.errors import SynthActError

HAIR_ASSET_ID = "hair-node-assets"
HAIR_ASSET_FILE = Path("assets") / "nodes" / "procedural_hair_node_assets.blend"
# The node groups used, in the order their modifiers run.
NODE_GROUPS = ("Duplicate Hair Curves", "Curl Hair Curves", "Hair Curves Noise", "Set Hair Curve Profile")


def hair_asset_path() -> Path:
    return Path(bpy.utils.system_resource("DATAFILES")) / HAIR_ASSET_FILE


@cache
def _verified_asset() -> Path:
    """The node asset file, checked once per process against assets_manifest.yaml (one line if not)."""
    from render_farm.assets import verify_asset

    try:
        return verify_asset(HAIR_ASSET_ID, hair_asset_path())
    except SynthActError as exc:  # say what to do about it in the same line
        raise SynthActError(f"{exc}; strand hair needs it: set outfit.hair_geometry: mesh for this Blender "
                            f"({bpy.app.version_string})") from None


def node_groups() -> dict[str, bpy.types.NodeTree]:
    """The hair node groups, appended from the asset file into this scene's data (once per scene)."""
    missing = [n for n in NODE_GROUPS if n not in bpy.data.node_groups]
    if missing:
        path = _verified_asset()
        with bpy.data.libraries.load(str(path), link=False) as (source, target):
            absent = [n for n in missing if n not in source.node_groups]
            if absent:
                raise SynthActError(f"{path}: no node group {absent[0]!r} (hair-node-assets)")
            target.node_groups = missing
    return {n: bpy.data.node_groups[n] for n in NODE_GROUPS}


def _set_inputs(modifier: bpy.types.Modifier, group: bpy.types.NodeTree, values: dict) -> None:
    sockets = {item.name: item.identifier for item in group.interface.items_tree
               if getattr(item, "in_out", None) == "INPUT" and item.socket_type != "NodeSocketGeometry"}
    for name, value in values.items():
        modifier[sockets[name]] = value


def hair_material(color: tuple[float, float, float]) -> bpy.types.Material:
    """Principled Hair BSDF in direct colouring, and the colour Workbench shows."""
    mat, nodes, links = empty_material("hair")
    bsdf = nodes.new("ShaderNodeBsdfHairPrincipled")
    bsdf.parametrization = "COLOR"
    bsdf.inputs["Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.35
    out = nodes.new("ShaderNodeOutputMaterial")
    links.new(bsdf.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = (*color, 1.0)
    return mat


def grow_hair(guides: HairGuides, color: tuple[float, float, float], armature: bpy.types.Object, seed: int,
              name: str) -> bpy.types.Object:
    """A curves object of the guides, styled by the node assets, rigid with the armature's head bone."""
    groups = node_groups()
    curves = bpy.data.hair_curves.new(f"{name}_hair_strands")
    count = len(guides.points)
    curves.add_curves([GUIDE_POINTS] * count)
    curves.position_data.foreach_set("vector", guides.points.astype(np.float32).ravel())
    rgba = np.tile(np.array([*color, 1.0], dtype=np.float32), (count * GUIDE_POINTS, 1))
    attr = curves.color_attributes.new("clothing", "FLOAT_COLOR", "POINT")
    attr.data.foreach_set("color", rgba.ravel())
    curves.materials.append(hair_material(color))
    obj = bpy.data.objects.new(f"{name}_hair_strands", curves)
    bpy.context.scene.collection.objects.link(obj)
    def seeds(k: int) -> int:  # node sockets hold 32-bit ints; hair_seed may be up to 2**31 - 1
        return (seed + k) % 2**31

    steps = [("Duplicate Hair Curves", {"Amount": guides.children, "Radius": guides.spread_m, "Seed": seeds(0),
                                        "Distribution Shape": -0.5}),
             ("Hair Curves Noise", {"Distance": 0.004, "Scale": 8.0, "Seed": seeds(1)}),
             ("Set Hair Curve Profile", {"Radius": guides.width_m / 2, "Shape": 0.3})]
    if guides.curl_m:
        steps.insert(1, ("Curl Hair Curves", {"Radius": guides.curl_m, "Frequency": 6.0, "Curl Start": 0.1,
                                               "Subdivision": 2, "Seed": seeds(2)}))
    for group_name, values in steps:
        mod = obj.modifiers.new(group_name, "NODES")
        mod.node_group = groups[group_name]
        _set_inputs(mod, groups[group_name], values)
    keep_still(obj, name)
    # Rigid with the head: parented to the bone, placed where it lies in the rest pose.
    bpy.context.view_layer.update()
    obj.parent = armature
    obj.parent_type = "BONE"
    obj.parent_bone = "head"
    bpy.context.view_layer.update()
    obj.matrix_world = armature.matrix_world.copy()
    return obj


# Ray visibilities a render can hit an object by, all but volume scattering (the scenes have no volumes).
_RAYS = ("visible_camera", "visible_diffuse", "visible_glossy", "visible_transmission", "visible_shadow")


def keep_still(obj: bpy.types.Object, name: str) -> None:
    """Apply the styling modifiers, so the strands are evaluated once per clip (Blender re-evaluated them every
    frame the head moved, and Cycles re-exported and rebuilt them), and give the curves a second user that no
    camera, light or bounce ray can hit. Cycles applies the transform of an object whose geometry has one
    user into the geometry, so a moving head meant a new BVH of every strand each frame; geometry with two
    users stays an instance with a BVH of its own, built once, and only its transform changes."""
    # One conversion applies the whole stack: applying the modifiers one by one evaluated the strands (and,
    # after each operator, the whole scene) once per modifier, 0.9 s of a clip's build (issue 15).
    with bpy.context.temp_override(object=obj, active_object=obj, selected_objects=[obj],
                                   selected_editable_objects=[obj]):
        result = bpy.ops.object.convert(target="CURVES")
    if "FINISHED" not in result or obj.modifiers:
        raise SynthActError(f"hair: Blender could not apply the node modifiers of {obj.name!r}")
    if bpy.context.scene.render.engine != "CYCLES":
        return  # the second user matters to Cycles only, and other engines may draw it
    twin = bpy.data.objects.new(f"{name}_hair_strands_instance", obj.data)
    bpy.context.scene.collection.objects.link(twin)
    for ray in _RAYS:
        setattr(twin, ray, False)
    twin.hide_set(True)  # out of the viewport's scene ray casts too (the labels' visibility tests)
