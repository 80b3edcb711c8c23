"""The actor: a baked body mesh skinned to an armature of the canonical skeleton."""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix, Quaternion, Vector

from render_farm.blender.materials import PATTERN_IDS, TEXTURE_ID_BASE
from render_farm.bodies.baked.body import REGIONS, BakedBody
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_NAMES, PARENTS, bone_tail
from render_farm.outfits import OutfitPiece, hidden_body_faces, outfit_pieces, strand_guides
from synthact.errors import SynthActError

WEIGHT_STEP = 1.0 / 512  # skin weights are stored to this step (as they were when added value by value)


class Actor:
    def __init__(self, armature: bpy.types.Object, mesh: bpy.types.Object, rest_rotations: np.ndarray):
        self.armature = armature
        self.mesh = mesh
        self.pieces: list[bpy.types.Object] = []  # garments, hair and accessories skinned to the same rig
        # Rest orientation of each bone in armature space, (24, 4).
        self.rest_rotations = rest_rotations
        self.rest_inverse = quat.conjugate(rest_rotations)

    def set_pose(self, local_rotations: np.ndarray, root_translation: np.ndarray) -> None:
        """Apply one frame: canonical local rotations (24, 4) and pelvis displacement (3,)."""
        # A bone's pose rotation is in its own rest frame: B^-1 R B.
        basis = quat.multiply(self.rest_inverse, quat.multiply(local_rotations, self.rest_rotations))
        bones = self.armature.pose.bones
        for j, name in enumerate(JOINT_NAMES):
            bones[name].rotation_quaternion = Quaternion(basis[j])
        root_local = quat.rotate(self.rest_inverse[0], root_translation)
        bones[JOINT_NAMES[0]].location = Vector(root_local)

    def posed_joints(self) -> np.ndarray:
        """World positions of the joints as Blender evaluates them (for checks)."""
        bpy.context.view_layer.update()
        m = self.armature.matrix_world
        return np.array([tuple(m @ self.armature.pose.bones[n].head) for n in JOINT_NAMES])


def _mesh(body: BakedBody, name: str, hidden: np.ndarray | None = None) -> bpy.types.Mesh:
    """The body's mesh; faces under garments (`hidden`) are left out, every vertex kept (keypoints and
    the label's box are blends of vertices by index)."""
    if hidden is None or not hidden.any():
        return _triangles(name, body.vertices, body.faces, body.corner_uvs)
    kept = ~hidden
    uvs = body.corner_uvs.reshape(-1, 3, 2)[kept].reshape(-1, 2)
    return _triangles(name, body.vertices, body.faces[kept], uvs)


def _triangles(name: str, vertices: np.ndarray, faces: np.ndarray, corner_uvs: np.ndarray | None) -> bpy.types.Mesh:
    """A smooth-shaded triangle mesh. From Blender 4.1 the positions, corners and UVs are written straight into
    their attributes and `shade_smooth` drops the sharp-face flags: half the time of the per-element RNA
    properties (17 against 34 ms for the body's 27,420 triangles, issue 15), the same mesh."""
    mesh = bpy.data.meshes.new(name)
    v = vertices.shape[0]
    f = faces.shape[0]
    direct = bpy.app.version >= (4, 1, 0)
    mesh.vertices.add(v)
    mesh.loops.add(f * 3)
    mesh.polygons.add(f)
    positions = vertices.astype(np.float32).ravel()
    corners = faces.astype(np.int32).ravel()
    if direct:
        mesh.attributes["position"].data.foreach_set("vector", positions)
        mesh.attributes[".corner_vert"].data.foreach_set("value", corners)
    else:
        mesh.vertices.foreach_set("co", positions)
        mesh.loops.foreach_set("vertex_index", corners)
    mesh.polygons.foreach_set("loop_start", np.arange(0, f * 3, 3, dtype=np.int32))
    if bpy.app.version < (4, 0, 0):  # loop_total became derived (read-only) in 4.0
        mesh.polygons.foreach_set("loop_total", np.full(f, 3, dtype=np.int32))
    uv = mesh.uv_layers.new(name="UVMap")
    if corner_uvs is not None:
        uvs = corner_uvs.astype(np.float32).ravel()
        if direct:
            mesh.attributes[uv.name].data.foreach_set("vector", uvs)
        else:
            uv.data.foreach_set("uv", uvs)
    mesh.update(calc_edges=True)
    mesh.validate(clean_customdata=False)
    if direct:
        mesh.shade_smooth()
    else:
        mesh.polygons.foreach_set("use_smooth", np.ones(f, dtype=bool))
    return mesh


def _color_attribute(mesh: bpy.types.Mesh, name: str, rgb: np.ndarray) -> bpy.types.Attribute:
    attr = mesh.color_attributes.get(name) or mesh.color_attributes.new(name, "FLOAT_COLOR", "POINT")
    rgba = np.concatenate([rgb, np.ones((len(rgb), 1))], axis=1).astype(np.float32)
    attr.data.foreach_set("color", rgba.ravel())
    return attr


def _show_clothing(mesh: bpy.types.Mesh) -> None:
    """Make 'clothing' the colour Workbench shows. By name: a reference to a colour attribute goes stale
    once another attribute is added (the 'pattern' one), and setting a stale one silently left no active
    colour, so Workbench drew every person nearly black (found 2026-11-29)."""
    colors = mesh.color_attributes
    colors.active_color_name = "clothing"
    colors.render_color_index = colors.active_color_index


def paint_regions(mesh: bpy.types.Mesh, regions: np.ndarray, appearance) -> None:
    """Per-vertex attributes the actor material reads: 'clothing' (base colour), 'clothing2' (pattern
    colour) and 'pattern' (0 solid, 1 stripes, 2 checks, 3 noise, 10 + region index: the region's
    image), each looked up by body region."""
    colors = appearance.colors
    base = np.array([colors[r] for r in REGIONS], dtype=np.float32)
    second = np.array([appearance.second_colors.get(r, colors[r]) for r in REGIONS], dtype=np.float32)
    kinds = [appearance.patterns.get(r, "solid") for r in REGIONS]
    pattern = np.array([TEXTURE_ID_BASE + i if k == "texture" else PATTERN_IDS[k] for i, k in enumerate(kinds)],
                       dtype=np.float32)
    _color_attribute(mesh, "clothing", base[regions])
    _color_attribute(mesh, "clothing2", second[regions])
    pat = mesh.attributes.get("pattern") or mesh.attributes.new("pattern", "FLOAT", "POINT")
    pat.data.foreach_set("value", pattern[regions])
    _show_clothing(mesh)


def _add_weights(obj: bpy.types.Object, weights: np.ndarray) -> None:
    """One vertex group per joint, in JOINT_NAMES order, each weight rounded to WEIGHT_STEP; a vertex is a member
    only of the groups it has a weight in. Each column goes in as a float attribute that Blender converts into a
    vertex group in one call: the API has no bulk setter for groups, and adding the vertices of each distinct
    weight with `group.add` took 70 ms a body against 10 (issue 15). Call it before the object is linked to the
    scene: bpy.ops updates the view layer around each call, which evaluates a linked mesh whose attributes
    changed (30 ms a body when linked)."""
    steps = np.round(weights / WEIGHT_STEP)
    steps[weights <= 1e-4] = 0.0
    columns = np.ascontiguousarray((steps * WEIGHT_STEP).T, dtype=np.float32)  # foreach_set wants contiguous
    attributes = obj.data.attributes
    with bpy.context.temp_override(object=obj, active_object=obj):
        for j, name in enumerate(JOINT_NAMES):
            if not columns[j].any():
                obj.vertex_groups.new(name=name)
                continue
            column = attributes.new(name, "FLOAT", "POINT")
            column.data.foreach_set("value", columns[j])
            attributes.active = column
            if bpy.ops.geometry.attribute_convert(mode="VERTEX_GROUP") != {"FINISHED"}:
                raise SynthActError(f"{obj.name}: Blender did not turn the weights of {name} into a vertex group")


def _paint_piece(mesh: bpy.types.Mesh, piece: OutfitPiece, appearance) -> None:
    """A piece takes its body region's colour and pattern (a shell keeps the body's UVs, so stripes and checks
    print on it as on the skin beneath), or its own outfit colour, solid."""
    n = len(piece.vertices)
    outfit_colors = appearance.outfit.colors if appearance.outfit else {}
    base = appearance.colors.get(piece.color) or outfit_colors.get(piece.color, (0.5, 0.5, 0.5))
    second = appearance.second_colors.get(piece.color, base)
    kind = appearance.patterns.get(piece.color, "solid") if piece.corner_uvs is not None else "solid"
    pattern = TEXTURE_ID_BASE + REGIONS.index(piece.color) if kind == "texture" else PATTERN_IDS[kind]
    _color_attribute(mesh, "clothing", np.tile(np.asarray(base, dtype=np.float32), (n, 1)))
    _color_attribute(mesh, "clothing2", np.tile(np.asarray(second, dtype=np.float32), (n, 1)))
    pat = mesh.attributes.new("pattern", "FLOAT", "POINT")
    pat.data.foreach_set("value", np.full(n, pattern, dtype=np.float32))
    _show_clothing(mesh)


def dress_actor(actor: Actor, body: BakedBody, appearance, material, name: str,
                pieces: list[OutfitPiece] | None = None) -> None:
    """Put the job's outfit on the actor: each piece a mesh skinned to the actor's armature, in the actor's
    material (it reads the same colour attributes as the body)."""
    if appearance.outfit is None:
        return
    scene = bpy.context.scene
    for piece in outfit_pieces(body, appearance.outfit) if pieces is None else pieces:
        mesh = _triangles(f"{name}_{piece.name}", piece.vertices, piece.faces, piece.corner_uvs)
        _paint_piece(mesh, piece, appearance)
        mesh.materials.append(material)
        obj = bpy.data.objects.new(f"{name}_{piece.name}", mesh)
        _add_weights(obj, piece.weights)
        scene.collection.objects.link(obj)
        mod = obj.modifiers.new("rig", "ARMATURE")
        mod.object = actor.armature
        mod.use_vertex_groups = True
        mod.use_deform_preserve_volume = piece.dual_quaternion  # kinematics.skin_dual_quaternion
        if piece.thickness:  # after the armature: along the posed surface's normals (outfit.shell)
            cloth = obj.modifiers.new("thickness", "DISPLACE")
            cloth.direction = "NORMAL"
            cloth.mid_level = 0.0
            cloth.strength = piece.thickness
        obj.parent = actor.armature
        obj.matrix_parent_inverse = Matrix.Identity(4)
        actor.pieces.append(obj)
    guides = strand_guides(body, appearance.outfit)
    if guides is not None:  # imported here: only jobs with strand hair need the node assets
        from render_farm.blender.hair import grow_hair

        color = appearance.colors.get("hair", (0.1, 0.07, 0.05))
        actor.pieces.append(grow_hair(guides, color, actor.armature, appearance.outfit.hair_seed, name))


def build_actor(body: BakedBody, appearance, material, name: str = "actor") -> Actor:
    scene = bpy.context.scene
    arm_data = bpy.data.armatures.new("canonical_rig")
    arm_obj = bpy.data.objects.new(f"{name}_rig", arm_data)
    scene.collection.objects.link(arm_obj)
    bpy.context.view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    edit = arm_data.edit_bones
    for j, joint in enumerate(JOINT_NAMES):  # not `name`: that is the actor's, used below
        bone = edit.new(joint)
        bone.head = Vector(body.rest_joints[j])
        bone.tail = Vector(bone_tail(body.rest_joints, j))
        bone.roll = 0.0
        if PARENTS[j] >= 0:
            bone.parent = edit[JOINT_NAMES[PARENTS[j]]]
            bone.use_connect = False
    bpy.ops.object.mode_set(mode="OBJECT")
    rest = np.array([tuple(arm_data.bones[n].matrix_local.to_quaternion()) for n in JOINT_NAMES])
    for pb in arm_obj.pose.bones:
        pb.rotation_mode = "QUATERNION"

    pieces = outfit_pieces(body, appearance.outfit) if appearance.outfit else []
    hidden = hidden_body_faces(body, pieces)
    mesh = _mesh(body, f"{name}_body", hidden)
    paint_regions(mesh, body.regions, appearance)
    mesh.materials.append(material)
    mesh_obj = bpy.data.objects.new(f"{name}_body", mesh)
    _add_weights(mesh_obj, body.joint_weights)
    scene.collection.objects.link(mesh_obj)
    mod = mesh_obj.modifiers.new("rig", "ARMATURE")
    mod.object = arm_obj
    mod.use_vertex_groups = True
    mesh_obj.parent = arm_obj
    mesh_obj.matrix_parent_inverse = Matrix.Identity(4)
    actor = Actor(arm_obj, mesh_obj, rest)
    dress_actor(actor, body, appearance, material, name, pieces)
    return actor
