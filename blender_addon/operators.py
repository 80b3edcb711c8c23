"""The panel's operators. Each runs from a script exactly as from a click (bpy.ops.synthact.*);
on bad input it reports one clear line, returns CANCELLED and writes nothing."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, StringProperty

from . import bvh, joint_maps, preview, rig, rules
from .body_preview import BodyFileError, attach_body, read_body
from .props import JOINT_MAP_ITEMS, preferences


class _Cancel(Exception):
    """Raised inside an operator to report an error and cancel."""


def _report_cancel(op, message: str) -> set[str]:
    op.report({"ERROR"}, message)
    return {"CANCELLED"}


def _library_dir(context, override: str = "") -> Path:
    raw = override or context.scene.synthact.library_dir
    if not raw:
        raise _Cancel("library: no folder set (choose one in the SynthAct panel)")
    if raw.startswith("//") and not bpy.data.filepath:
        raise _Cancel(f"library: {raw!r} is relative to the .blend file, which is not saved yet; "
                      "save it or choose an absolute folder")
    return Path(bpy.path.abspath(raw))


def _store_findings(context, action, findings: list[rules.Finding]) -> None:
    state = context.scene.synthact
    state.findings.clear()
    state.findings_action = action.name if action else ""
    for f in findings:
        item = state.findings.add()
        item.level, item.message = f.level, f.message


def collect(context) -> tuple[object, object, rules.Properties, rules.Motion, list[rules.Finding]]:
    """The rig's current action as template properties and motion, with everything the rules find."""
    try:
        armature = rig.find_rig(context)
    except rig.RigError as exc:
        raise _Cancel(str(exc)) from None
    action = armature.animation_data.action if armature.animation_data else None
    if action is None:
        raise _Cancel(f"rig {armature.name!r} has no action: key a pose (or import motion) first")
    canonical, others = rig.keyed_bones(armature)
    if not canonical:
        raise _Cancel(f"action {action.name!r} has no keys on the rig's joints")
    props = action.synthact.to_rules()
    findings = rules.check_properties(props)
    try:
        motion = rig.read_motion(armature, action, props.loops, rig.scene_fps(context.scene))
        motion.partner = _partner_motion(armature, action, props.loops, rig.scene_fps(context.scene))
    except rig.RigError as exc:
        raise _Cancel(str(exc)) from None
    findings += rules.check_motion(motion)
    findings += rules.check_props(props.props, motion.frame_count, 1 if motion.partner is None else 2)
    if others:
        findings.append(rules.Finding("WARNING", f"keys on bones outside the canonical skeleton are ignored: "
                                                 f"{', '.join(sorted(others))}"))
    _store_findings(context, action, findings)
    return armature, action, props, motion, findings


def _partner_motion(armature, action, loops: bool, fps: float) -> rules.Motion | None:
    """The partner rig's action sampled over the action's frames, for a two-person action."""
    partner = action.synthact.partner
    if partner is None:
        return None
    if partner == armature or not rig.is_rig(partner):
        raise rig.RigError(f"partner: {partner.name!r} is not a second SynthAct rig")
    theirs = partner.animation_data.action if partner.animation_data else None
    if theirs is None:
        raise rig.RigError(f"partner: rig {partner.name!r} has no action (key the partner's motion)")
    if tuple(theirs.frame_range) != tuple(action.frame_range):
        raise rig.RigError(f"partner: action {theirs.name!r} spans frames {theirs.frame_range[0]:g}-"
                           f"{theirs.frame_range[1]:g}, the action {action.frame_range[0]:g}-{action.frame_range[1]:g}")
    return rig.read_motion(partner, theirs, loops, fps)


def _first_error(findings: list[rules.Finding]) -> str | None:
    errors = [f.message for f in findings if f.level == "ERROR"]
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0] + more


class SYNTHACT_OT_add_rig(bpy.types.Operator):
    """Add the canonical-skeleton armature, in its T-pose, ready to animate"""

    bl_idname = "synthact.add_rig"
    bl_label = "Add Canonical Rig"
    bl_options = {"REGISTER", "UNDO"}

    body_file: StringProperty(name="Preview body", subtype="FILE_PATH",
                              description="Optional baked body (.npz from the farm's body cache) to skin on the rig")

    def execute(self, context):
        body = None
        if self.body_file:
            try:
                body = read_body(Path(bpy.path.abspath(self.body_file)))
            except BodyFileError as exc:
                return _report_cancel(self, str(exc))
        if context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        rest = [tuple(map(float, p)) for p in body["rest_joints"]] if body else rig.REFERENCE_REST_JOINTS
        armature = rig.build_rig(context, rest_joints=rest)
        if body:
            try:
                attach_body(context, armature, body)
            except BodyFileError as exc:
                bpy.data.objects.remove(armature)
                return _report_cancel(self, f"{self.body_file}: {exc}")
        self.report({"INFO"}, f"added {armature.name} ({len(armature.data.bones)} bones)")
        return {"FINISHED"}


class SYNTHACT_OT_validate(bpy.types.Operator):
    """Check the rig's action against the template rules"""

    bl_idname = "synthact.validate"
    bl_label = "Validate"

    def execute(self, context):
        try:
            _, action, _, motion, findings = collect(context)
        except _Cancel as exc:
            _store_findings(context, None, [rules.Finding("ERROR", str(exc))])
            return _report_cancel(self, str(exc))
        error = _first_error(findings)
        if error:
            return _report_cancel(self, error)
        warnings = [f.message for f in findings if f.level == "WARNING"]
        for w in warnings:
            self.report({"WARNING"}, w)
        self.report({"INFO"}, f"{action.name}: valid, {motion.frame_count} frames at {motion.fps:g} fps"
                              + (f", {len(warnings)} warning(s)" if warnings else ""))
        return {"FINISHED"}


def _export(context, directory: Path | None = None, performance: str | None = None
            ) -> tuple[Path, rules.Properties, rules.Motion, str]:
    """Write the rig's action as a template or, given `performance` (a name; empty: the action's name), as a
    further performance of the template of the same id already in the folder. Returns the performance's
    name too ("main" for a template)."""
    _, action, props, motion, findings = collect(context)
    error = _first_error(findings)
    if error:
        raise _Cancel(error)
    folder = directory or _library_dir(context)
    path = folder / f"{props.id}.json"
    if performance is not None:
        performance = performance or _template_id_from(action.name)
    try:
        existing = rules.read_document(path) if path.is_file() else None
        if performance is not None:
            if existing is None:
                raise _Cancel(f"{path}: no template {props.id!r} to add the performance to (export it first)")
            document = rules.with_performance(existing, performance, props, motion)
        elif existing is not None and existing.get("performances"):
            # The class's other performances stay; the action replaces the one it was loaded as.
            document = rules.with_motion_replaced(existing, action.synthact.performance or "main", props, motion)
        else:
            document = rules.template_data(props, motion)
        rules.write_atomic(path, rules.template_text(document))
    except rules.TemplateFileError as exc:
        raise _Cancel(str(exc)) from None
    except OSError as exc:
        raise _Cancel(f"{path}: cannot write ({exc.strerror})") from None
    return path, props, motion, performance or "main"


class SYNTHACT_OT_export_template(bpy.types.Operator):
    """Validate the rig's action and write it as template JSON into the library folder"""

    bl_idname = "synthact.export_template"
    bl_label = "Export Template"

    directory: StringProperty(name="Folder", subtype="DIR_PATH",
                              description="Library folder (default: the panel's library folder)")
    as_performance: BoolProperty(name="As Another Performance", default=False,
                                 description="Add the action to the template of the same id in the folder as "
                                             "another performance of its class, instead of replacing it")
    performance_name: StringProperty(name="Performance", description="The performance's name (default: the "
                                     "action's name, as an id)")

    def execute(self, context):
        try:
            folder = _library_dir(context, self.directory)
            path, props, motion, name = _export(context, folder,
                                                self.performance_name if self.as_performance else None)
        except _Cancel as exc:
            return _report_cancel(self, str(exc))
        what = f"performance {name!r} of {props.id}" if self.as_performance else props.id
        self.report({"INFO"}, f"exported {what} ({motion.frame_count} frames) to {path}")
        return {"FINISHED"}


def _template_id_from(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"motion_{slug}"[:64]


class SYNTHACT_OT_import_bvh(bpy.types.Operator):
    """Import a BVH motion capture file and retarget it onto the canonical rig as a new action"""

    bl_idname = "synthact.import_bvh"
    bl_label = "Import BVH"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(subtype="FILE_PATH")
    filter_glob: StringProperty(default="*.bvh", options={"HIDDEN"})
    joint_map: EnumProperty(name="Joint map", items=JOINT_MAP_ITEMS, default="CMU")
    map_file: StringProperty(name="Map file", subtype="FILE_PATH", description="Joint map JSON for 'Custom file'")

    def invoke(self, context, event):
        self.joint_map = context.scene.synthact.joint_map
        self.map_file = context.scene.synthact.custom_map
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        if self.joint_map == "CUSTOM":
            if not self.map_file:
                return _report_cancel(self, "joint map: 'Custom file' is chosen but no map file is set")
            map_path = Path(bpy.path.abspath(self.map_file))
        else:
            map_path = joint_maps.BUILTIN_MAPS[self.joint_map]
        try:
            joint_map = joint_maps.load_joint_map(map_path)
            armature = rig.find_rig(context)
        except (joint_maps.JointMapError, rig.RigError) as exc:
            return _report_cancel(self, str(exc))
        path = Path(bpy.path.abspath(self.filepath))
        if context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        render = context.scene.render
        fps_before = (render.fps, render.fps_base)  # the importer sets the scene's rate to the file's
        try:
            source = bvh.import_bvh(context, path)
        except bvh.BvhError as exc:
            render.fps, render.fps_base = fps_before
            return _report_cancel(self, str(exc))
        try:
            motion, driven = bvh.retarget(context, source, armature, joint_map, rig.scene_fps(context.scene))
        except bvh.BvhError as exc:
            render.fps, render.fps_base = fps_before
            return _report_cancel(self, f"{path}: {exc}")
        finally:
            bvh.remove_source(source)
            context.view_layer.objects.active = armature
        findings = [f for f in rules.check_motion(motion) if f.level == "ERROR"]
        if findings:
            render.fps, render.fps_base = fps_before
            return _report_cancel(self, f"{path}: {findings[0].message}")
        action = bpy.data.actions.new(path.stem)
        rig.write_motion(armature, action, motion, loops=False)
        action.synthact.template_id = _template_id_from(path.stem)
        action.synthact.label = path.stem.replace("_", " ")
        context.scene.frame_start, context.scene.frame_end = (int(v) for v in action.frame_range)
        self.report({"INFO"}, f"imported {path.name}: {motion.frame_count} frames, {len(driven)} of 24 joints "
                              f"driven by the map")
        return {"FINISHED"}


class SYNTHACT_OT_refresh_library(bpy.types.Operator):
    """List the templates in the library folder"""

    bl_idname = "synthact.refresh_library"
    bl_label = "Refresh Library"

    def execute(self, context):
        try:
            folder = _library_dir(context)
        except _Cancel as exc:
            return _report_cancel(self, str(exc))
        if not folder.is_dir():
            return _report_cancel(self, f"library: {folder} is not a folder")
        state = context.scene.synthact
        state.library.clear()
        for template_id, label, frames, path, performances in rules.list_templates(folder):
            row = state.library.add()
            row.template_id, row.label, row.frames, row.path = template_id, label, frames, str(path)
            row.performances = performances
        state.library_index = min(state.library_index, max(0, len(state.library) - 1))
        self.report({"INFO"}, f"{len(state.library)} template(s) in {folder}")
        return {"FINISHED"}


class SYNTHACT_OT_load_template(bpy.types.Operator):
    """Load a template onto the rig as an action, for editing"""

    bl_idname = "synthact.load_template"
    bl_label = "Load Template"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(subtype="FILE_PATH",
                             description="Template JSON (default: the template selected in the library list)")
    performance: IntProperty(name="Performance", min=0, default=0,
                             description="Which performance of the class to load (0: the template's own)")

    def execute(self, context):
        state = context.scene.synthact
        raw = self.filepath
        if not raw:
            if not 0 <= state.library_index < len(state.library):
                return _report_cancel(self, "library: no template selected (refresh the library list)")
            raw = state.library[state.library_index].path
        path = Path(bpy.path.abspath(raw))
        try:
            document = rules.read_document(path)
            props, motion = rules.template_from(path, document, self.performance)
            armature = rig.find_rig(context)
        except (rules.TemplateFileError, rig.RigError) as exc:
            return _report_cancel(self, str(exc))
        actors = 1 if motion.partner is None else 2
        error = _first_error(rules.check_properties(props) + rules.check_motion(motion)
                             + rules.check_props(props.props, motion.frame_count, actors))
        if error:
            return _report_cancel(self, f"{path}: {error}")
        rig.set_scene_fps(context.scene, motion.fps)
        action = bpy.data.actions.new(props.id)
        rig.write_motion(armature, action, motion, loops=props.loops)
        action.synthact.from_rules(props)
        action.synthact.performance = (document["performances"][self.performance - 1]["name"]
                                       if self.performance else "main")
        if motion.partner is not None:
            partner = rig.build_rig(context, name=f"{armature.name} Partner")
            rig.write_motion(partner, bpy.data.actions.new(f"{props.id}_partner"), motion.partner, loops=props.loops)
            action.synthact.partner = partner
            context.view_layer.objects.active = armature  # the action being edited stays on the first rig
        context.scene.frame_start, context.scene.frame_end = (int(v) for v in action.frame_range)
        self.report({"INFO"}, f"loaded {props.id} ({motion.frame_count} frames) as action {action.name!r}")
        return {"FINISHED"}


class SYNTHACT_OT_preview_variant(bpy.types.Operator):
    """Render a short randomized variant of the action through the render farm (Workbench, low resolution)
    and show it"""

    bl_idname = "synthact.preview_variant"
    bl_label = "Preview Variant"

    seed: IntProperty(name="Seed", default=-1, min=-1, description="Variant seed (-1: the panel's seed)")
    size: IntProperty(name="Size", default=160, min=32, max=1024, description="Preview width and height, pixels")

    def execute(self, context):
        seed = context.scene.synthact.preview_seed if self.seed < 0 else self.seed
        prefs = preferences(context)
        command = prefs.synthact_command if prefs else "synthact"
        work = Path(tempfile.mkdtemp(prefix="synthact-preview-"))
        try:
            template_file, props, _, _ = _export(context, work)
            out = work / f"{props.id}-seed{seed}.mp4"
            preview.render_preview(command, template_file, seed, out, self.size)
        except BaseException as exc:
            shutil.rmtree(work, ignore_errors=True)  # nothing to show: nothing to keep
            if isinstance(exc, (_Cancel, preview.PreviewError)):
                return _report_cancel(self, str(exc))
            raise
        # The movie is read from disk while it is shown: keep this folder until the next preview or exit.
        _keep_only_preview(work)
        image = preview.show_movie(context, out)
        self.report({"INFO"}, f"preview of {props.id} (seed {seed}): {image.frame_duration} frames, {out}")
        return {"FINISHED"}


_shown_preview: list[Path] = []


def _keep_only_preview(work: Path) -> None:
    for old in _shown_preview:
        shutil.rmtree(old, ignore_errors=True)
    _shown_preview[:] = [work]


@atexit.register
def _remove_shown_preview() -> None:
    for old in _shown_preview:
        shutil.rmtree(old, ignore_errors=True)


CLASSES = (SYNTHACT_OT_add_rig, SYNTHACT_OT_validate, SYNTHACT_OT_export_template, SYNTHACT_OT_import_bvh,
           SYNTHACT_OT_refresh_library, SYNTHACT_OT_load_template, SYNTHACT_OT_preview_variant)
