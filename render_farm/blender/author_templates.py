"""Author the built-in templates in Blender through the add-on, as an artist would.

For each action in render_farm.templates.authoring: add the canonical rig (the add-on's
operator), pose it key by key and insert keyframes (sine ease in/out), set the template
properties, validate and export (the add-on's operators). Run with the bpy module:

    python -m render_farm.blender.author_templates [OUT_DIR]

(OUT_DIR defaults to the built-in library; `make templates` runs this.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
from mathutils import Quaternion

import blender_addon
from blender_addon import rig as addon_rig
from render_farm.core.skeleton import JOINT_NAMES
from render_farm.templates.authoring import FPS, LIBRARY_DIR, TemplateSpec, build_library, solve_pose


class AuthoringError(RuntimeError):
    pass


def _run(op, **kwargs) -> None:
    result = op(**kwargs)
    if result != {"FINISHED"}:
        raise AuthoringError(f"{op.idname_py()} returned {result}")


def author(spec: TemplateSpec, rig, out_dir: Path) -> Path:
    action = bpy.data.actions.new(spec.id)
    if rig.animation_data is None:
        rig.animation_data_create()
    rig.animation_data.action = action
    addon_rig.set_pose(rig, {})  # start from rest so the first key turns the short way
    for frame, (_, pose) in zip(spec.key_frames(), spec.keys, strict=False):
        local, root = solve_pose(pose)
        addon_rig.set_pose(rig, {n: Quaternion(local[j]) for j, n in enumerate(JOINT_NAMES)}, tuple(root),
                           shortest_from_current=True)
        addon_rig.key_pose(rig, frame)
    # Every channel eases in and out of every key together (sine easing), so a pose is
    # reached by all joints and the root at once: no foot dips through the floor between
    # keys, as independent Bezier handles per channel allow.
    for fc in addon_rig.rig_fcurves(rig):
        for kp in fc.keyframe_points:
            kp.interpolation = "SINE"
            kp.easing = "EASE_IN_OUT"
        if spec.loops:
            fc.modifiers.new("CYCLES")  # the artist sees the cycle repeat on the timeline
        fc.update()
    action.use_frame_range = True
    action.frame_start = 1
    action.frame_end = spec.frame_count + (1 if spec.loops else 0)
    props = action.synthact
    props.template_id, props.label, props.description, props.loops = spec.id, spec.label, spec.description, spec.loops
    props.speed_min, props.speed_max = spec.randomization.speed
    props.mirror = spec.randomization.mirror
    props.joint_noise_deg = spec.randomization.joint_noise_deg
    _run(bpy.ops.synthact.validate)
    _run(bpy.ops.synthact.export_template, directory=str(out_dir))
    return out_dir / f"{spec.id}.json"


def author_library(out_dir: Path) -> list[Path]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    try:
        scene = bpy.context.scene
        addon_rig.set_scene_fps(scene, FPS)
        _run(bpy.ops.synthact.add_rig)
        rig = bpy.context.active_object
        return [author(spec, rig, out_dir) for spec in build_library()]
    finally:
        blender_addon.unregister()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else LIBRARY_DIR
    for path in author_library(out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
