"""Motion capture onto the canonical rig: Blender's own BVH importer, then retargeting by joint names.

For each mapped joint the source bone's world rotation away from its rest pose is
transferred, corrected by the turn between the two skeletons' rest directions of
that bone (so an A-pose source still lands on the T-pose rig). The root follows the
source hips, scaled by the ratio of the two skeletons' leg lengths, standing on the ground the
source's feet reach.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from mathutils import Quaternion

from .canonical import JOINT_INDEX, JOINT_NAMES, PARENTS, PRIMARY_CHILD
from .joint_maps import strip_namespace
from .rig import rest_positions
from .rules import Motion


class BvhError(ValueError):
    pass


def import_bvh(context, path: Path) -> bpy.types.Object:
    """Run Blender's BVH importer; returns the new armature. Raises BvhError for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise BvhError(f"{path}: file not found")
    before = set(bpy.data.objects)
    actions_before = set(bpy.data.actions)
    try:
        result = bpy.ops.import_anim.bvh(filepath=str(path), axis_forward="-Z", axis_up="Y", rotate_mode="NATIVE",
                                         update_scene_fps=True, update_scene_duration=False, use_fps_scale=False,
                                         global_scale=1.0)
    except Exception as exc:  # the importer raises bare exceptions on malformed files
        _remove(set(bpy.data.objects) - before, set(bpy.data.actions) - actions_before)
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise BvhError(f"{path}: not a readable BVH file ({detail})") from None
    new = [o for o in set(bpy.data.objects) - before if o.type == "ARMATURE"]
    if result != {"FINISHED"} or not new:
        _remove(set(bpy.data.objects) - before, set(bpy.data.actions) - actions_before)
        raise BvhError(f"{path}: not a readable BVH file (the importer made no armature)")
    return new[0]


def remove_source(obj) -> None:
    action = obj.animation_data.action if obj.animation_data else None
    _remove({obj}, {action} if action else set())


def _remove(objects, actions) -> None:
    for obj in objects:
        data = obj.data
        bpy.data.objects.remove(obj)
        if data is not None and data.users == 0:
            if isinstance(data, bpy.types.Armature):
                bpy.data.armatures.remove(data)
    for action in actions:
        if action.users == 0:
            bpy.data.actions.remove(action)


def retarget(context, source, rig, joint_map: dict[str, str], fps: float) -> tuple[Motion, list[str]]:
    """Sample the source armature's animation into canonical motion for the rig.

    Returns the motion and the canonical joints that were driven (the rest stay straight
    relative to their parents).
    """
    by_canonical: dict[str, str] = {}
    for bone in source.data.bones:
        target = joint_map.get(strip_namespace(bone.name))
        if target:
            by_canonical[target] = bone.name
    if "pelvis" not in by_canonical:
        names = ", ".join(sorted(strip_namespace(b.name) for b in source.data.bones)[:8])
        raise BvhError(f"the BVH has no joint the map sends to 'pelvis' (its joints include {names})")
    world = source.matrix_world
    world_rot = world.to_quaternion()
    src_rest_rot = {c: world_rot @ source.data.bones[s].matrix_local.to_quaternion() for c, s in by_canonical.items()}
    src_head = {c: world @ source.data.bones[s].head_local for c, s in by_canonical.items()}
    rig_rest = rest_positions(rig)

    # Turn from the rig's rest direction of each mapped bone to the source's (joint to mapped child).
    align: dict[str, Quaternion] = {}
    for joint, _src in by_canonical.items():
        child = PRIMARY_CHILD[joint]
        if child in by_canonical:
            d_rig = rig_rest[JOINT_INDEX[child]] - rig_rest[JOINT_INDEX[joint]]
            d_src = src_head[child] - src_head[joint]
            align[joint] = d_rig.rotation_difference(d_src) if d_src.length > 1e-9 else Quaternion()
        else:
            align[joint] = Quaternion()
    feet = [c for c in ("left_ankle", "left_foot", "right_ankle", "right_foot") if c in by_canonical]
    src_legs = src_head["pelvis"].z - min(v.z for v in src_head.values())
    rig_legs = rig_rest[0].z - min(v.z for v in rig_rest)
    scale = rig_legs / src_legs if src_legs > 1e-9 else 1.0

    action = source.animation_data.action if source.animation_data else None
    if action is None:
        raise BvhError("the BVH has no motion")
    start, end = (int(round(v)) for v in action.frame_range)
    scene = context.scene
    rotations: dict[str, list] = {j: [] for j in JOINT_NAMES}
    hips, lowest = [], []
    for frame in range(start, end + 1):
        scene.frame_set(frame)
        glob: list[Quaternion] = []
        for j, joint in enumerate(JOINT_NAMES):
            parent = glob[PARENTS[j]] if PARENTS[j] >= 0 else Quaternion()
            if joint in by_canonical:
                posed = world_rot @ source.pose.bones[by_canonical[joint]].matrix.to_quaternion()
                g = posed @ src_rest_rot[joint].inverted() @ align[joint]
            else:
                g = parent.copy()
            glob.append(g)
            local = parent.inverted() @ g
            local.normalize()
            rotations[joint].append(tuple(local))
        hips.append(world @ source.pose.bones[by_canonical["pelvis"]].head)
        lowest.append(min((world @ source.pose.bones[by_canonical[c]].head).z for c in feet) if feet else None)
    # The root starts above the origin; its height is measured from the ground the feet reach
    # (a mocap rest pose need not stand on the capture's floor).
    ground = min(v for v in lowest if v is not None) if feet else hips[0].z - src_legs
    rig_ground = min(rig_rest[JOINT_INDEX[c]].z for c in feet) if feet else rig_rest[0].z - rig_legs
    rig_height = rig_rest[0].z - rig_ground
    root_translation = [
        ((h.x - hips[0].x) * scale, (h.y - hips[0].y) * scale, (h.z - ground) * scale - rig_height) for h in hips
    ]
    return Motion(fps=fps, rotations=rotations, root_translation=root_translation), sorted(by_canonical)
