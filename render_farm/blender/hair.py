"""Strand hair: Blender hair curves grown from guide strands (outfits.hairstyles.hair_guides) and styled
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
from render_farm.outfits.hairstyles import GUIDE_POINTS, HairGuides
from synthact.errors import SynthActError

HAIR_ASSET_ID = "hair-node-assets"
# The node groups used, in the order their modifiers run.
NODE_GROUPS = ("Duplicate Hair Curves", "Curl Hair Curves", "Hair Curves Noise", "Set Hair Curve Profile")


@cache
def _verified_asset() -> Path:
    """The node asset file, from the asset source (checked once per process; one line if it is not there)."""
    from render_farm.asset_check import vetted_path

    try:
        return vetted_path(HAIR_ASSET_ID)
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


# foreach key, values per element and numpy type of each attribute type the styled strands can carry.
_ATTRIBUTE_BUFFERS = {
    "FLOAT": ("value", 1, np.float32), "INT": ("value", 1, np.int32), "INT8": ("value", 1, np.int32),
    "BOOLEAN": ("value", 1, bool), "FLOAT2": ("vector", 2, np.float32), "FLOAT_VECTOR": ("vector", 3, np.float32),
    "FLOAT_COLOR": ("color", 4, np.float32), "BYTE_COLOR": ("color", 4, np.float32),
    "INT32_2D": ("value", 2, np.int32), "QUATERNION": ("value", 4, np.float32),
}


def copy_curves(source: bpy.types.Curves, name: str, materials) -> bpy.types.Curves:
    """A new curves datablock with source's curves and every named attribute, in `materials` (the original's:
    an evaluated datablock's point to evaluated copies): the evaluated (styled) strands made into plain data.
    Hidden attributes (a leading '.': what the node groups left of their anonymous fields, named by a hash
    of the modifier) are left out; nothing renders them."""
    curves = bpy.data.hair_curves.new(name)
    offsets = np.empty(len(source.curves) + 1, dtype=np.int32)
    source.curve_offset_data.foreach_get("value", offsets)
    curves.add_curves(np.diff(offsets).tolist())
    for attr in source.attributes:
        if attr.name.startswith("."):
            continue
        if attr.data_type not in _ATTRIBUTE_BUFFERS:
            raise SynthActError(f"hair: the styled strands carry attribute {attr.name!r} of type "
                                f"{attr.data_type}, which SynthAct cannot copy")
        key, width, dtype = _ATTRIBUTE_BUFFERS[attr.data_type]
        values = np.empty(len(attr.data) * width, dtype=dtype)
        attr.data.foreach_get(key, values)
        target = curves.attributes.get(attr.name) or curves.attributes.new(attr.name, attr.data_type, attr.domain)
        target.data.foreach_set(key, values)
    for material in materials:
        curves.materials.append(material)
    return curves


def keep_still(obj: bpy.types.Object, name: str) -> None:
    """Apply the styling modifiers, so the strands are evaluated once per clip (Blender re-evaluated them every
    frame the head moved, and Cycles re-exported and rebuilt them), and give the curves a second user that no
    camera, light or bounce ray can hit. Cycles applies the transform of an object whose geometry has one
    user into the geometry, so a moving head meant a new BVH of every strand each frame; geometry with two
    users stays an instance with a BVH of its own, built once, and only its transform changes."""
    # The styled strands are copied out of the depsgraph, which evaluates the node modifiers once. Applying
    # them by operator evaluated them again (object.convert: as long as the first evaluation; one
    # modifier_apply each before that: once per modifier), 0.1-0.7 s of a clip's build (issue 15).
    styled = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
    if not isinstance(styled, bpy.types.Curves) or len(styled.curves) == 0:
        raise SynthActError(f"hair: the node modifiers of {obj.name!r} gave no strands")
    unstyled = obj.data
    unstyled.name = f"{unstyled.name}_guides"
    strands = copy_curves(styled, obj.name, unstyled.materials)
    obj.modifiers.clear()
    obj.data = strands
    bpy.data.hair_curves.remove(unstyled)
    if bpy.context.scene.render.engine != "CYCLES":
        return  # the second user matters to Cycles only, and other engines may draw it
    twin = bpy.data.objects.new(f"{name}_hair_strands_instance", obj.data)
    bpy.context.scene.collection.objects.link(twin)
    for ray in _RAYS:
        setattr(twin, ray, False)
    twin.hide_set(True)  # out of the viewport's scene ray casts too (the labels' visibility tests)
