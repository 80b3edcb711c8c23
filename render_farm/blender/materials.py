"""Materials: the actor's clothing colours and the ground."""

from __future__ import annotations

import bpy


def actor_material() -> bpy.types.Material:
    """Principled BSDF coloured by the body's 'clothing' colour attribute."""
    mat = bpy.data.materials.new("actor")
    if mat.node_tree is None:  # Blender < 5 creates node trees on request
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    attr = nodes.new("ShaderNodeVertexColor")
    attr.layer_name = "clothing"
    links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.7
    return mat


def ground(color: tuple[float, float, float], size: float = 60.0) -> bpy.types.Object:
    """A large floor at z = 0 with a faint procedural texture, so motion over it is visible."""
    mesh = bpy.data.meshes.new("ground")
    h = size / 2.0
    mesh.from_pydata([(-h, -h, 0), (h, -h, 0), (h, h, 0), (-h, h, 0)], [], [(0, 1, 2, 3)])
    obj = bpy.data.objects.new("ground", mesh)
    bpy.context.scene.collection.objects.link(obj)
    mat = bpy.data.materials.new("ground")
    if mat.node_tree is None:  # Blender < 5 creates node trees on request
        mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes.get("Principled BSDF")
    noise = nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 3.0
    # A colour ramp (in every Blender version) turns the noise into light and dark patches.
    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].position = 0.3
    ramp.color_ramp.elements[0].color = tuple(c * 0.6 for c in color) + (1.0,)
    ramp.color_ramp.elements[1].position = 0.7
    ramp.color_ramp.elements[1].color = (*color, 1.0)
    links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.9
    mat.diffuse_color = (*color, 1.0)  # what Workbench shows
    mesh.materials.append(mat)
    return obj
