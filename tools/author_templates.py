"""Author the built-in templates in Blender through the add-on, as an artist would.

For each action of the built-in vocabulary (tools.families): add the canonical
rig (the add-on's operator), pose it key by key and insert keyframes (sine ease in/out), key the
partner rig likewise for a two-person action, set the template properties (family, held props,
partner), validate and export (the add-on's operators); then key each further performance of the class
the same way and export it into the same template (export with "as another performance"). Run with the bpy module:

    python -m tools.author_templates [OUT_DIR] [--only ID,ID,...]

(OUT_DIR defaults to the built-in library; `make templates` runs this; `--only` authors those classes alone.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
from mathutils import Quaternion

import blender_addon
from blender_addon import rig as addon_rig
from render_farm.core.geometry.skeleton import JOINT_NAMES
from render_farm.templates import BUILTIN_DIR
from tools.authoring import FPS, TemplateSpec, solve_pose
from tools.families import build_library


class AuthoringError(RuntimeError):
    pass


def _run(op, **kwargs) -> None:
    result = op(**kwargs)
    if result != {"FINISHED"}:
        raise AuthoringError(f"{op.idname_py()} returned {result}")


def _key_action(spec: TemplateSpec, rig, name: str, solved) -> bpy.types.Action:
    """Key one actor's poses (local rotations and root per key) into a new action on `rig`."""
    action = bpy.data.actions.new(name)
    if rig.animation_data is None:
        rig.animation_data_create()
    rig.animation_data.action = action
    addon_rig.set_pose(rig, {})  # start from rest so the first key turns the short way
    for frame, (local, root) in zip(spec.key_frames(), solved, strict=True):
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
    return action


def _set_props(spec: TemplateSpec, props) -> None:
    """The spec's held props as the panel's prop list: one prop per name, a hold per Held of that name."""
    props.props.clear()
    by_name: dict[str, object] = {}
    for held in spec.props:
        prop = by_name.get(held.name)
        if prop is None:
            prop = by_name[held.name] = props.props.add()
            prop.prop_name, prop.shape, prop.size = held.name, held.shape, held.size
        hold = prop.holds.add()
        hold.actor, hold.hand = held.actor, held.hand
        hold.from_frame, hold.to_frame = spec.frame_at(held.grab), spec.frame_at(held.release)
        hold.offset, hold.rotation = held.offset, held.rotation_deg


def author(spec: TemplateSpec, rig, partner_rig, out_dir: Path) -> Path:
    action = _key_action(spec, rig, spec.id, [solve_pose(pose) for _, pose in spec.keys])
    props = action.synthact
    if spec.partner is not None:
        _key_action(spec, partner_rig, f"{spec.id}_partner", [spec.partner.placed(p) for p in spec.partner.keys])
        props.partner = partner_rig
    bpy.context.view_layer.objects.active = rig  # the operators work on the active rig's action
    props.family = spec.family
    _set_props(spec, props)
    props.template_id, props.label, props.description, props.loops = spec.id, spec.label, spec.description, spec.loops
    props.speed_min, props.speed_max = spec.randomization.speed
    props.mirror = spec.randomization.mirror
    props.joint_noise_deg = spec.randomization.joint_noise_deg
    _run(bpy.ops.synthact.validate)
    # Export keeps the performances of a template already there; the library is authored afresh.
    (out_dir / f"{spec.id}.json").unlink(missing_ok=True)
    _run(bpy.ops.synthact.export_template, directory=str(out_dir))
    for name, performance in spec.performances:  # keyed on the same rigs, added to the exported template
        _key_action(performance, rig, f"{spec.id}_{name}", [solve_pose(pose) for _, pose in performance.keys])
        if performance.partner is not None:
            _key_action(performance, partner_rig, f"{spec.id}_{name}_partner",
                        [performance.partner.placed(p) for p in performance.partner.keys])
        bpy.context.view_layer.objects.active = rig
        props = rig.animation_data.action.synthact
        props.partner = partner_rig if performance.partner is not None else None
        props.family = spec.family
        _set_props(performance, props)
        props.template_id, props.label, props.description, props.loops = spec.id, spec.label, spec.description, \
            spec.loops
        _run(bpy.ops.synthact.validate)
        _run(bpy.ops.synthact.export_template, directory=str(out_dir), as_performance=True, performance_name=name)
    return out_dir / f"{spec.id}.json"


def author_library(out_dir: Path, only: set[str] | None = None) -> list[Path]:
    specs = build_library(only)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    try:
        scene = bpy.context.scene
        addon_rig.set_scene_fps(scene, FPS)
        _run(bpy.ops.synthact.add_rig)
        partner_rig = bpy.context.active_object
        partner_rig.name = "SynthAct Partner"
        _run(bpy.ops.synthact.add_rig)
        rig = bpy.context.active_object
        return [author(spec, rig, partner_rig, out_dir) for spec in specs]
    finally:
        blender_addon.unregister()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    only = None
    if "--only" in args:
        at = args.index("--only")
        only = set(args[at + 1].split(","))
        del args[at:at + 2]
    out = Path(args[0]) if args else BUILTIN_DIR
    for path in author_library(out, only):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
