"""Materials: the actor's clothing (colours and UV-space patterns) and the ground."""

from __future__ import annotations

import math

import bpy

from render_farm.blender.lighting import AssetError
from render_farm.bodies.baked.body import REGIONS

# The pattern a body region is painted with, as the mesh attribute the actor material reads (body.py
# writes it per face, actor_material's shader switches on it).
PATTERN_IDS = {"solid": 0.0, "stripes": 1.0, "checks": 2.0, "noise": 3.0}
TEXTURE_ID_BASE = 10.0  # a region painted with an image has pattern 10 + its index in REGIONS


def _nodes(mat: bpy.types.Material):
    if mat.node_tree is None:  # Blender < 5 creates node trees on request
        mat.use_nodes = True
    return mat.node_tree.nodes, mat.node_tree.links


def empty_material(name: str):
    """A new material with no nodes yet: (material, nodes, links), to build a shader from scratch."""
    mat = bpy.data.materials.new(name)
    nodes, links = _nodes(mat)
    for n in list(nodes):
        nodes.remove(n)
    return mat, nodes, links


def _math(nodes, links, op: str, a, b=None, value_b: float | None = None):
    n = nodes.new("ShaderNodeMath")
    n.operation = op
    if isinstance(a, float | int):
        n.inputs[0].default_value = float(a)
    else:
        links.new(a, n.inputs[0])
    if b is not None:
        links.new(b, n.inputs[1])
    elif value_b is not None:
        n.inputs[1].default_value = value_b
    return n.outputs[0]


def load_image(path: str) -> bpy.types.Image:
    try:
        return bpy.data.images.load(path, check_existing=True)
    except RuntimeError:
        raise AssetError(f"{path}: cannot load image") from None


def actor_material(pattern_scale: float, textures: dict[str, str] | None = None) -> bpy.types.Material:
    """Principled BSDF whose colour is the vertex's region colour, patterned in UV space.

    The per-vertex attributes (set by body.paint_regions) choose the pattern: 0 solid, 1 stripes,
    2 checks, 3 noise; the pattern mixes 'clothing' with 'clothing2'. Only node types every
    Blender since 3.4 has are used.
    """
    mat = bpy.data.materials.new("actor")
    nodes, links = _nodes(mat)
    bsdf = nodes.get("Principled BSDF")
    bsdf.inputs["Roughness"].default_value = 0.7
    base = nodes.new("ShaderNodeVertexColor")
    base.layer_name = "clothing"
    second = nodes.new("ShaderNodeVertexColor")
    second.layer_name = "clothing2"
    kind = nodes.new("ShaderNodeAttribute")
    kind.attribute_name = "pattern"
    uv = nodes.new("ShaderNodeTexCoord").outputs["UV"]
    sep = nodes.new("ShaderNodeSeparateXYZ")
    links.new(uv, sep.inputs[0])
    # Stripes along U.
    phase = _math(nodes, links, "MULTIPLY", sep.outputs["X"], value_b=2 * math.pi * pattern_scale)
    stripes = _math(nodes, links, "GREATER_THAN", _math(nodes, links, "SINE", phase), value_b=0.0)
    checker = nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = pattern_scale
    links.new(uv, checker.inputs["Vector"])
    noise = nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = pattern_scale / 2
    links.new(uv, noise.inputs["Vector"])
    blotches = _math(nodes, links, "GREATER_THAN", noise.outputs["Fac"], value_b=0.5)
    factor = None
    for pattern_id, fac in ((1.0, stripes), (2.0, checker.outputs["Fac"]), (3.0, blotches)):
        is_kind = nodes.new("ShaderNodeMath")
        is_kind.operation = "COMPARE"
        links.new(kind.outputs["Fac"], is_kind.inputs[0])
        is_kind.inputs[1].default_value = pattern_id
        is_kind.inputs[2].default_value = 0.5
        term = _math(nodes, links, "MULTIPLY", is_kind.outputs[0], fac)
        factor = term if factor is None else _math(nodes, links, "ADD", factor, term)
    # colour = base + factor * (second - base)
    diff = nodes.new("ShaderNodeVectorMath")
    diff.operation = "SUBTRACT"
    links.new(second.outputs["Color"], diff.inputs[0])
    links.new(base.outputs["Color"], diff.inputs[1])
    scaled = nodes.new("ShaderNodeVectorMath")
    scaled.operation = "SCALE"
    links.new(diff.outputs["Vector"], scaled.inputs[0])
    links.new(factor, scaled.inputs["Scale"])
    total = nodes.new("ShaderNodeVectorMath")
    total.operation = "ADD"
    links.new(base.outputs["Color"], total.inputs[0])
    links.new(scaled.outputs["Vector"], total.inputs[1])
    color = total.outputs["Vector"]
    # User images: where a vertex's pattern is 10 + region index, that region's image replaces the colour.
    for region, path in sorted((textures or {}).items()):
        image = nodes.new("ShaderNodeTexImage")
        image.image = load_image(path)
        scale = nodes.new("ShaderNodeVectorMath")
        scale.operation = "SCALE"
        links.new(uv, scale.inputs[0])
        scale.inputs["Scale"].default_value = pattern_scale / 8
        links.new(scale.outputs["Vector"], image.inputs["Vector"])
        is_region = nodes.new("ShaderNodeMath")
        is_region.operation = "COMPARE"
        links.new(kind.outputs["Fac"], is_region.inputs[0])
        is_region.inputs[1].default_value = TEXTURE_ID_BASE + REGIONS.index(region)
        is_region.inputs[2].default_value = 0.5
        towards = nodes.new("ShaderNodeVectorMath")  # color + sel * (image - color)
        towards.operation = "SUBTRACT"
        links.new(image.outputs["Color"], towards.inputs[0])
        links.new(color, towards.inputs[1])
        step = nodes.new("ShaderNodeVectorMath")
        step.operation = "SCALE"
        links.new(towards.outputs["Vector"], step.inputs[0])
        links.new(is_region.outputs[0], step.inputs["Scale"])
        mixed = nodes.new("ShaderNodeVectorMath")
        mixed.operation = "ADD"
        links.new(color, mixed.inputs[0])
        links.new(step.outputs["Vector"], mixed.inputs[1])
        color = mixed.outputs["Vector"]
    links.new(color, bsdf.inputs["Base Color"])
    return mat


def ground(color: tuple[float, float, float], kind: str = "noise", size: float = 60.0) -> bpy.types.Object:
    """A large floor at z = 0: plain, noisy, checkered or brick, so motion over it is visible."""
    mesh = bpy.data.meshes.new("ground")
    h = size / 2.0
    mesh.from_pydata([(-h, -h, 0), (h, -h, 0), (h, h, 0), (-h, h, 0)], [], [(0, 1, 2, 3)])
    uv = mesh.uv_layers.new(name="UVMap")
    for i, (u, v) in enumerate([(0, 0), (1, 0), (1, 1), (0, 1)]):
        uv.data[i].uv = (u * size, v * size)  # one UV unit per metre
    obj = bpy.data.objects.new("ground", mesh)
    bpy.context.scene.collection.objects.link(obj)
    mat = bpy.data.materials.new("ground")
    nodes, links = _nodes(mat)
    bsdf = nodes.get("Principled BSDF")
    dark = tuple(c * 0.55 for c in color) + (1.0,)
    if kind == "noise":
        tex = nodes.new("ShaderNodeTexNoise")
        tex.inputs["Scale"].default_value = 3.0
        # A colour ramp (in every Blender version) turns the noise into light and dark patches.
        ramp = nodes.new("ShaderNodeValToRGB")
        ramp.color_ramp.elements[0].position = 0.3
        ramp.color_ramp.elements[0].color = dark
        ramp.color_ramp.elements[1].position = 0.7
        ramp.color_ramp.elements[1].color = (*color, 1.0)
        links.new(tex.outputs["Fac"], ramp.inputs["Fac"])
        links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    elif kind in ("checker", "bricks"):
        tex = nodes.new("ShaderNodeTexChecker" if kind == "checker" else "ShaderNodeTexBrick")
        coords = nodes.new("ShaderNodeTexCoord")
        links.new(coords.outputs["UV"], tex.inputs["Vector"])
        tex.inputs["Scale"].default_value = 1.0 if kind == "checker" else 2.0
        tex.inputs["Color1"].default_value = (*color, 1.0)
        tex.inputs["Color2"].default_value = dark
        links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    else:
        bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.9
    mat.diffuse_color = (*color, 1.0)  # what Workbench shows
    mesh.materials.append(mat)
    return obj


def flat(name: str, color: tuple[float, float, float]) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    nodes, _ = _nodes(mat)
    bsdf = nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.6
    mat.diffuse_color = (*color, 1.0)
    return mat
