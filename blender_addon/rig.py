"""The canonical rig in Blender, and conversion between its actions and template motion.

A template's rotations are local rotations in world-aligned frames relative to the
canonical T-pose (see render_farm.core.geometry.skeleton). A pose bone's rotation is in the
bone's own rest frame, so with R the bone's rest orientation: basis = R^-1 L R.
"""

from __future__ import annotations

import math

import bpy
from mathutils import Quaternion, Vector

from .canonical import JOINT_NAMES, PARENTS, REFERENCE_REST_JOINTS, bone_tail
from .rules import Motion

RIG_TAG = "synthact_canonical_rig"  # ID property on the armature data that marks a rig built here
ROOT = JOINT_NAMES[0]


class RigError(ValueError):
    pass


def build_rig(context, name: str = "SynthAct Rig", rest_joints=REFERENCE_REST_JOINTS) -> bpy.types.Object:
    """An armature of the canonical skeleton in its T-pose, bones laid out as the farm's rig."""
    data = bpy.data.armatures.new(name)
    data[RIG_TAG] = 1
    obj = bpy.data.objects.new(name, data)
    context.scene.collection.objects.link(obj)
    view_layer = context.view_layer
    for other in view_layer.objects:
        other.select_set(False)
    view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        for j, joint in enumerate(JOINT_NAMES):
            bone = data.edit_bones.new(joint)
            bone.head = Vector(rest_joints[j])
            bone.tail = Vector(bone_tail(rest_joints, j))
            bone.roll = 0.0
            if PARENTS[j] >= 0:
                bone.parent = data.edit_bones[JOINT_NAMES[PARENTS[j]]]
                bone.use_connect = False
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = "QUATERNION"
    data.display_type = "OCTAHEDRAL"
    obj.show_in_front = True
    return obj


def is_rig(obj) -> bool:
    return obj is not None and obj.type == "ARMATURE" and bool(obj.data.get(RIG_TAG))


def find_rig(context) -> bpy.types.Object:
    if is_rig(context.active_object):
        return context.active_object
    for obj in context.scene.objects:
        if is_rig(obj):
            return obj
    raise RigError("no SynthAct rig in the scene (add one with 'Add Canonical Rig')")


def rest_rotations(rig) -> list[Quaternion]:
    return [rig.data.bones[n].matrix_local.to_quaternion() for n in JOINT_NAMES]


def rest_positions(rig) -> list[Vector]:
    return [rig.data.bones[n].head_local.copy() for n in JOINT_NAMES]


def to_basis(rest: list[Quaternion], local: dict[str, Quaternion], root: Vector):
    """Canonical local rotations and root offset -> pose-bone rotations and the root bone's location."""
    basis = {}
    for j, joint in enumerate(JOINT_NAMES):
        q = local.get(joint)
        basis[joint] = Quaternion() if q is None else rest[j].inverted() @ q @ rest[j]
    return basis, rest[0].inverted() @ Vector(root)


def from_basis(rest: list[Quaternion], basis: dict[str, Quaternion], location: Vector):
    local = {joint: rest[j] @ basis[joint] @ rest[j].inverted() for j, joint in enumerate(JOINT_NAMES)}
    return local, rest[0] @ Vector(location)


def set_pose(rig, local: dict[str, Quaternion], root=(0.0, 0.0, 0.0), shortest_from_current: bool = False) -> None:
    """Pose the rig from canonical local rotations (joints left out go to rest) and a root offset.

    With shortest_from_current, each quaternion takes the sign nearer the bone's current one,
    so keys interpolated between this pose and the last turn the short way round.
    """
    basis, location = to_basis(rest_rotations(rig), local, Vector(root))
    for joint in JOINT_NAMES:
        pb = rig.pose.bones[joint]
        pb.rotation_mode = "QUATERNION"
        q = basis[joint]
        if shortest_from_current and pb.rotation_quaternion.dot(q) < 0.0:
            q.negate()
        pb.rotation_quaternion = q
        pb.location = location if joint == ROOT else Vector()


def key_pose(rig, frame: float) -> None:
    """Key every joint's rotation and the root's location at a frame, as an artist's 'Insert Keyframe'."""
    for joint in JOINT_NAMES:
        pb = rig.pose.bones[joint]
        pb.keyframe_insert("rotation_quaternion", frame=frame, group=joint)
        if joint == ROOT:
            pb.keyframe_insert("location", frame=frame, group=joint)


# --- F-curve access across Blender 4.2 (legacy actions) and 4.4+ (slotted actions).

def rig_fcurves(rig):
    ad = rig.animation_data
    if ad is None or ad.action is None:
        return []
    from bpy_extras import anim_utils

    if hasattr(anim_utils, "action_get_channelbag_for_slot"):
        bag = anim_utils.action_get_channelbag_for_slot(ad.action, ad.action_slot)
        return list(bag.fcurves) if bag else []
    return list(ad.action.fcurves)


def _ensure_fcurve(rig, action, path: str, index: int, group: str):
    if hasattr(action, "fcurve_ensure_for_datablock"):
        return action.fcurve_ensure_for_datablock(rig, path, index=index, group_name=group)
    return action.fcurves.find(path, index=index) or action.fcurves.new(path, index=index, action_group=group)


def _channel(path: str) -> tuple[str, str] | None:
    """'pose.bones["left_knee"].rotation_quaternion' -> ('left_knee', 'rotation_quaternion')."""
    if not path.startswith('pose.bones["'):
        return None
    bone, _, prop = path[len('pose.bones["'):].partition('"].')
    return bone, prop


def keyed_bones(rig) -> tuple[set[str], set[str]]:
    """Bones with animation: (canonical joints, other bones)."""
    names = {c[0] for fc in rig_fcurves(rig) if (c := _channel(fc.data_path))}
    return names & set(JOINT_NAMES), names - set(JOINT_NAMES)


def write_motion(rig, action, motion: Motion, loops: bool, first_frame: int = 1) -> None:
    """Key every frame of a motion into an action on the rig (linear between frames).

    Signs of consecutive quaternions are made to agree so that in-between values
    never swing the long way round. A looping motion also gets its first pose
    keyed one period later, so its frame range spans exactly one cycle.
    """
    if rig.animation_data is None:
        rig.animation_data_create()
    rig.animation_data.action = action
    rest = rest_rotations(rig)
    n = motion.frame_count
    frames = list(range(n)) + ([0] if loops else [])
    basis_rows, locations = [], []
    previous: dict[str, Quaternion] = {}
    for i in frames:
        local = {j: Quaternion(q[i]) for j, q in motion.rotations.items()}
        basis, location = to_basis(rest, local, Vector(motion.root_translation[i]))
        for joint, q in basis.items():
            if joint in previous and previous[joint].dot(q) < 0.0:
                q.negate()
            previous[joint] = q
        basis_rows.append(dict(basis))
        locations.append(location)
    count = len(frames)
    for joint in JOINT_NAMES:
        channels = [("rotation_quaternion", k, [basis_rows[i][joint][k] for i in range(count)]) for k in range(4)]
        if joint == ROOT:
            channels += [("location", k, [locations[i][k] for i in range(count)]) for k in range(3)]
        for prop, k, values in channels:
            fc = _ensure_fcurve(rig, action, f'pose.bones["{joint}"].{prop}', k, joint)
            fc.keyframe_points.clear()
            fc.keyframe_points.add(count)
            co = []
            for i, v in enumerate(values):
                co += [float(first_frame + i), float(v)]
            fc.keyframe_points.foreach_set("co", co)
            fc.keyframe_points.foreach_set("interpolation", [1] * count)  # LINEAR
            fc.update()
    action.use_frame_range = True
    action.frame_start = first_frame
    action.frame_end = first_frame + count - 1
    if hasattr(action, "use_cyclic"):
        action.use_cyclic = loops


def frame_span(action, loops: bool) -> list[int]:
    """The frames a template samples: the action's frame range, without the repeated last frame of a loop."""
    start, end = action.frame_range
    if abs(start - round(start)) > 1e-4 or abs(end - round(end)) > 1e-4:
        raise RigError(f"action {action.name!r}: frame range {start:g}-{end:g} must start and end on whole frames")
    frames = list(range(int(round(start)), int(round(end)) + 1))
    return frames[:-1] if loops and len(frames) > 1 else frames


def read_motion(rig, action, loops: bool, fps: float) -> Motion:
    """Sample an action on the rig into template motion, with world joint positions for checks."""
    if rig.animation_data is None:
        rig.animation_data_create()
    rig.animation_data.action = action
    curves: dict[tuple[str, str, int], object] = {}
    for fc in rig_fcurves(rig):
        c = _channel(fc.data_path)
        if c:
            curves[(c[0], c[1], fc.array_index)] = fc
    rest = rest_rotations(rig)
    rest_pos = rest_positions(rig)
    rotations: dict[str, list] = {j: [] for j in JOINT_NAMES}
    root_translation, positions = [], []
    for frame in frame_span(action, loops):
        basis = {}
        for joint in JOINT_NAMES:
            pb = rig.pose.bones[joint]
            values = [curves[(joint, "rotation_quaternion", k)].evaluate(frame)
                      if (joint, "rotation_quaternion", k) in curves else pb.rotation_quaternion[k] for k in range(4)]
            q = Quaternion(values)
            norm = math.sqrt(sum(v * v for v in values))
            basis[joint] = q.normalized() if norm > 1e-12 else Quaternion((math.nan,) * 4)
        pb = rig.pose.bones[ROOT]
        location = Vector([curves[(ROOT, "location", k)].evaluate(frame) if (ROOT, "location", k) in curves
                           else pb.location[k] for k in range(3)])
        local, root = from_basis(rest, basis, location)
        for joint in JOINT_NAMES:
            rotations[joint].append(tuple(local[joint]))
        root_translation.append(tuple(root))
        positions.append(_forward_kinematics(rest_pos, local, root))
    return Motion(fps=fps, rotations=rotations, root_translation=root_translation, joint_positions=positions)


def _forward_kinematics(rest_pos: list[Vector], local: dict[str, Quaternion], root: Vector):
    glob: list[Quaternion] = []
    pos: list[Vector] = []
    for j, joint in enumerate(JOINT_NAMES):
        p = PARENTS[j]
        if p < 0:
            glob.append(local[joint].copy())
            pos.append(rest_pos[0] + root)
        else:
            glob.append(glob[p] @ local[joint])
            pos.append(pos[p] + glob[p] @ (rest_pos[j] - rest_pos[p]))
    return [tuple(v) for v in pos]


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def set_scene_fps(scene, fps: float) -> None:
    whole = max(1, round(fps))
    scene.render.fps = whole
    scene.render.fps_base = whole / fps
