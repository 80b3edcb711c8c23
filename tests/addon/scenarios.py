"""Add-on scenarios, run inside Blender (the bpy module) in a clean user profile.

    python tests/addon/scenarios.py SCENARIO RESULT.json [ARGS...]

Each scenario drives the add-on the way an artist's clicks do (bpy.ops.synthact.*),
records what happened in RESULT.json, and the pytest side asserts on it. Run in a
separate process: bpy cannot share a process with torch, and each scenario needs a
fresh Blender.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import types
from pathlib import Path

import bpy
from mathutils import Quaternion

# In the bpy module, addon_utils only imports once bpy has.
addon_utils = importlib.import_module("addon_utils")

EXT = "bl_ext.user_default.synthact"
SYNTHACT_PREFIX = "SYNTHACT_"


class Reports:
    """Operator reports (CANCELLED + message) as a script sees them: captured from the raised error."""

    @staticmethod
    def call(op, **kwargs) -> dict:
        try:
            result = op(**kwargs)
            return {"result": sorted(result), "error": None}
        except RuntimeError as exc:  # bpy.ops raises RuntimeError("Error: <message>") on CANCELLED + ERROR
            return {"result": ["CANCELLED"], "error": str(exc).strip()}


def install(zip_path: str) -> None:
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    assert result == {"FINISHED"}, result


def registered_names() -> list[str]:
    names = [n for n in dir(bpy.types) if n.startswith(SYNTHACT_PREFIX)]
    names += [f"{t.__name__}.synthact" for t in (bpy.types.Scene, bpy.types.Action) if hasattr(t, "synthact")]
    return sorted(names)


def operators() -> list[str]:
    return sorted(dir(bpy.ops.synthact))


def install_and_toggle(out: dict, zip_path: str) -> None:
    install(zip_path)
    out["enabled"] = list(addon_utils.check(EXT))
    out["operators"] = operators()
    out["registered"] = registered_names()
    cycles = []
    for _ in range(2):
        addon_utils.disable(EXT)
        after_disable = registered_names()
        addon_utils.enable(EXT)
        cycles.append({"after_disable": after_disable, "after_enable": registered_names()})
    out["cycles"] = cycles
    addon_utils.disable(EXT)
    out["final"] = registered_names()


def legacy(out: dict, addon_parent: str) -> None:
    """Register as a legacy add-on: the source folder on sys.path, enabled by module name."""
    sys.path.insert(0, addon_parent)
    mod = addon_utils.enable("blender_addon", default_set=True)
    out["module"] = getattr(mod, "__name__", None)
    out["bl_info_name"] = getattr(mod, "bl_info", {}).get("name")
    out["registered"] = registered_names()
    bpy.ops.synthact.add_rig()
    out["bones"] = len(bpy.context.active_object.data.bones)
    addon_utils.disable("blender_addon")
    out["final"] = registered_names()


def _key(rig, frame: int, turns: dict[str, tuple[tuple[float, float, float], float]], root=(0.0, 0.0, 0.0)) -> None:
    """An artist's keyframe: turn bones (local axis, degrees), move the root, Insert Keyframe."""
    for pb in rig.pose.bones:
        pb.rotation_quaternion = Quaternion()
    for name, (axis, deg) in turns.items():
        rig.pose.bones[name].rotation_quaternion = Quaternion(axis, math.radians(deg))
    rig.pose.bones["pelvis"].location = root
    for pb in rig.pose.bones:
        pb.keyframe_insert("rotation_quaternion", frame=frame, group=pb.name)
    rig.pose.bones["pelvis"].keyframe_insert("location", frame=frame, group="pelvis")


def author(out: dict, zip_path: str, library: str, builtin: str, roundtrip_dir: str) -> None:
    install(zip_path)
    out["add_rig"] = Reports.call(bpy.ops.synthact.add_rig)
    rig = bpy.context.active_object
    bpy.context.scene.render.fps = 24
    _key(rig, 1, {})
    _key(rig, 12, {"left_shoulder": ((0, 0, 1), 70), "left_elbow": ((0, 0, 1), 40), "spine2": ((1, 0, 0), 10)},
         root=(0.0, 0.0, -0.05))
    _key(rig, 24, {"left_shoulder": ((0, 0, 1), 20)})
    action = rig.animation_data.action
    t = action.synthact
    t.template_id, t.label, t.description = "raise_left_arm", "raise left arm", "Raising the left arm, and down."
    t.speed_min, t.speed_max, t.mirror, t.joint_noise_deg = 0.8, 1.2, False, 4.0
    out["validate"] = Reports.call(bpy.ops.synthact.validate)
    out["export"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    # Re-export after an edit overwrites the file in place.
    t.description = "Raising the left arm sideways, and lowering it."
    out["reexport"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    # A second performance of the class: the right arm instead, keyed into a new action, added to the template.
    second = bpy.data.actions.new("raise right arm")
    rig.animation_data.action = second
    _key(rig, 1, {})
    _key(rig, 16, {"right_shoulder": ((0, 0, 1), -80), "right_elbow": ((0, 0, 1), -30)})
    _key(rig, 30, {"right_shoulder": ((0, 0, 1), -10)})
    second.synthact.template_id, second.synthact.label = "raise_left_arm", "ignored: the class keeps its own"
    out["add_performance"] = Reports.call(bpy.ops.synthact.export_template, directory=library, as_performance=True)
    out["add_performance_again"] = Reports.call(bpy.ops.synthact.export_template, directory=library,
                                                as_performance=True)
    second.synthact.template_id = "not_exported_yet"
    out["add_performance_nowhere"] = Reports.call(bpy.ops.synthact.export_template, directory=library,
                                                  as_performance=True, performance_name="other")
    second.synthact.template_id = "raise_left_arm"
    rig.animation_data.action = action
    out["library_files"] = sorted(p.name for p in Path(library).iterdir())
    # The posed rig, for checks against the farm's kinematics: world joint positions at frame 12.
    bpy.context.scene.frame_set(12)
    out["joints_at_12"] = {pb.name: list(rig.matrix_world @ pb.head) for pb in rig.pose.bones}
    # Library browser: list, select, load back; then a round trip of a built-in template.
    bpy.context.scene.synthact.library_dir = library
    out["refresh"] = Reports.call(bpy.ops.synthact.refresh_library)
    out["library"] = [(e.template_id, e.label, e.frames, e.performances) for e in bpy.context.scene.synthact.library]
    out["load"] = Reports.call(bpy.ops.synthact.load_template)
    out["loaded_action"] = rig.animation_data.action.name
    out["loaded_props"] = [rig.animation_data.action.synthact.template_id, rig.animation_data.action.synthact.mirror]
    out["load_performance"] = Reports.call(bpy.ops.synthact.load_template, performance=1)
    loaded = rig.animation_data.action
    out["loaded_performance"] = [loaded.synthact.template_id, loaded.synthact.label, int(loaded.frame_range[1])]
    out["load_missing_performance"] = Reports.call(bpy.ops.synthact.load_template, performance=2)
    out["load_builtin"] = Reports.call(bpy.ops.synthact.load_template, filepath=builtin)
    out["fps_after_builtin"] = bpy.context.scene.render.fps / bpy.context.scene.render.fps_base
    out["roundtrip_export"] = Reports.call(bpy.ops.synthact.export_template, directory=roundtrip_dir)


def bad_input(out: dict, zip_path: str, library: str, garbage_bvh: str, bad_map: str, good_bvh: str) -> None:
    install(zip_path)
    bpy.ops.synthact.add_rig()
    rig = bpy.context.active_object
    objects_before = sorted(o.name for o in bpy.data.objects)
    out["no_action"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    rig.animation_data_create()
    rig.animation_data.action = bpy.data.actions.new("empty")
    out["no_keys"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    _key(rig, 1, {})
    _key(rig, 10, {"right_knee": ((1, 0, 0), 30)})
    out["no_id"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    rig.animation_data.action.synthact.template_id = "Bad Id"
    rig.animation_data.action.synthact.label = "x"
    out["bad_id"] = Reports.call(bpy.ops.synthact.export_template, directory=library)
    actions_before = sorted(a.name for a in bpy.data.actions)
    fps_before = bpy.context.scene.render.fps
    out["garbage_bvh"] = Reports.call(bpy.ops.synthact.import_bvh, filepath=garbage_bvh)
    out["bad_map"] = Reports.call(bpy.ops.synthact.import_bvh, filepath=good_bvh, joint_map="CUSTOM", map_file=bad_map)
    out["missing_bvh"] = Reports.call(bpy.ops.synthact.import_bvh, filepath=garbage_bvh + ".missing")
    out["fps_kept"] = bpy.context.scene.render.fps == fps_before
    out["objects_unchanged"] = sorted(o.name for o in bpy.data.objects) == objects_before
    out["actions_unchanged"] = sorted(a.name for a in bpy.data.actions) == actions_before
    out["bad_template"] = Reports.call(bpy.ops.synthact.load_template, filepath=garbage_bvh)
    out["library_files"] = sorted(p.name for p in Path(library).iterdir()) if Path(library).exists() else []


def bvh(out: dict, zip_path: str, bvh_path: str, joint_map: str) -> None:
    install(zip_path)
    bpy.ops.synthact.add_rig()
    rig = bpy.context.active_object
    out["import"] = Reports.call(bpy.ops.synthact.import_bvh, filepath=bvh_path, joint_map=joint_map)
    out["objects"] = sorted(o.name for o in bpy.data.objects)
    action = rig.animation_data.action
    out["action"] = [action.name, list(action.frame_range), action.synthact.template_id]
    out["fps"] = bpy.context.scene.render.fps / bpy.context.scene.render.fps_base
    start, end = (int(v) for v in action.frame_range)
    rig_tracks = {"left_wrist": [], "right_ankle": [], "head": []}
    for f in range(start, end + 1):
        bpy.context.scene.frame_set(f)
        for name in rig_tracks:
            rig_tracks[name].append(list(rig.matrix_world @ rig.pose.bones[name].head))
    out["rig"] = rig_tracks
    # The source, imported on its own by Blender's importer: where its joints really are.
    before = set(bpy.data.objects)
    bpy.ops.import_anim.bvh(filepath=bvh_path, axis_forward="-Z", axis_up="Y", rotate_mode="NATIVE",
                            update_scene_fps=False, use_fps_scale=False)
    src = next(iter(set(bpy.data.objects) - before))
    names = {"left_wrist": ["LeftHand", "mixamorig:LeftHand"], "right_ankle": ["RightFoot", "mixamorig:RightFoot"],
             "head": ["Head", "mixamorig:Head"]}
    src_tracks = {k: [] for k in names}
    for f in range(start, end + 1):
        bpy.context.scene.frame_set(f)
        for k, candidates in names.items():
            bone = next(src.pose.bones[c] for c in candidates if c in src.pose.bones)
            src_tracks[k].append(list(src.matrix_world @ bone.head))
    out["source"] = src_tracks
    out["export"] = Reports.call(bpy.ops.synthact.export_template, directory=str(Path(bvh_path).parent / "lib"))


def preview(out: dict, zip_path: str, template: str, command: str) -> None:
    install(zip_path)
    bpy.context.preferences.addons[EXT].preferences.synthact_command = command
    bpy.ops.synthact.add_rig()
    out["load"] = Reports.call(bpy.ops.synthact.load_template, filepath=template)
    out["preview"] = Reports.call(bpy.ops.synthact.preview_variant, seed=5, size=96)
    images = [i for i in bpy.data.images if i.name.startswith("SynthAct preview")]
    out["images"] = [(i.name, i.source, i.frame_duration, list(i.size), bpy.path.abspath(i.filepath)) for i in images]
    bpy.context.preferences.addons[EXT].preferences.synthact_command = "/nonexistent/synthact"
    out["no_command"] = Reports.call(bpy.ops.synthact.preview_variant, seed=5, size=96)


def body(out: dict, zip_path: str, body_file: str, not_a_body: str) -> None:
    install(zip_path)
    out["bad"] = Reports.call(bpy.ops.synthact.add_rig, body_file=not_a_body)
    out["objects_after_bad"] = sorted(o.name for o in bpy.data.objects if o.type in {"ARMATURE", "MESH"})
    out["add"] = Reports.call(bpy.ops.synthact.add_rig, body_file=body_file)
    mesh = bpy.data.objects["SynthAct Body"]
    rig = mesh.parent
    out["mesh"] = {"vertices": len(mesh.data.vertices), "groups": len(mesh.vertex_groups),
                   "modifier": [m.type for m in mesh.modifiers], "parent": rig.name}
    out["unweighted"] = sum(1 for v in mesh.data.vertices if sum(g.weight for g in v.groups) < 0.99)
    # Posing the rig moves the skin: raise the left arm and see the hand vertices follow.
    lowest_before = min((mesh.matrix_world @ v.co).z for v in mesh.data.vertices if v.co.x > 0.6)
    rig.pose.bones["left_shoulder"].rotation_quaternion = Quaternion((0, 0, 1), math.radians(60))
    bpy.context.view_layer.update()
    evaluated = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
    ids = [v.index for v in mesh.data.vertices if v.co.x > 0.6]
    out["hand_moved"] = max(abs((evaluated.vertices[i].co - mesh.data.vertices[i].co).length) for i in ids)
    out["lowest_before"] = lowest_before


class LayoutRecorder:
    """Stands in for a UI layout, which background Blender does not have: records what a panel draws and
    checks that every property it shows exists on its data."""

    def __init__(self, log: list):
        self.log = log

    def _child(self, *args, **kwargs):
        return self

    row = column = box = split = _child

    def prop(self, data, name, **kwargs):
        if name not in data.bl_rna.properties:
            raise AttributeError(f"{type(data).__name__} has no property {name!r}")
        self.log.append(("prop", name))

    def operator(self, idname, **kwargs):
        category, op = idname.split(".")
        if not hasattr(getattr(bpy.ops, category), op):
            raise AttributeError(f"no operator {idname}")
        self.log.append(("operator", idname))
        return OperatorSettings(idname, getattr(getattr(bpy.ops, category), op).get_rna_type(), self.log)

    def label(self, text="", **kwargs):
        self.log.append(("label", text))

    def template_list(self, list_type, list_id, data, prop, active_data, active_prop, **kwargs):
        assert prop in data.bl_rna.properties and active_prop in active_data.bl_rna.properties
        self.log.append(("list", list_type))


class OperatorSettings:
    """What layout.operator returns: the button's operator properties; setting one that does not exist fails."""

    def __init__(self, idname: str, rna, log: list):
        object.__setattr__(self, "_where", (idname, rna, log))

    def __setattr__(self, name, value):
        idname, rna, log = self._where
        if name not in rna.properties:
            raise AttributeError(f"operator {idname} has no property {name!r}")
        log.append(("operator_setting", f"{idname}.{name}"))


def panels(out: dict, zip_path: str) -> None:
    install(zip_path)
    classes = [getattr(bpy.types, n) for n in dir(bpy.types) if n.startswith("SYNTHACT_PT_")]

    def draw_all(stage: str) -> None:
        for cls in classes:
            log: list = []
            cls.draw(types.SimpleNamespace(layout=LayoutRecorder(log)), bpy.context)
            out[f"{stage}:{cls.__name__}"] = log

    draw_all("empty")
    bpy.ops.synthact.add_rig()
    draw_all("rig")
    rig = bpy.context.active_object
    _key(rig, 1, {})
    _key(rig, 5, {"left_knee": ((1, 0, 0), 20)})
    rig.animation_data.action.synthact.template_id = "Not Valid"
    out["validate"] = Reports.call(bpy.ops.synthact.validate)
    draw_all("action")


SCENARIOS = {f.__name__: f for f in (install_and_toggle, legacy, author, bad_input, bvh, preview, body, panels)}

if __name__ == "__main__":
    name, result_path, *args = sys.argv[1:]
    result: dict = {}
    try:
        SCENARIOS[name](result, *args)
    finally:
        Path(result_path).write_text(json.dumps(result, indent=1))
    # The bpy 4.2 module segfaults while the interpreter tears down after an extension was
    # installed (measured; 5.0 does not): the scenario is complete, so leave without teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
