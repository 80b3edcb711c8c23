"""The SynthAct tab in the 3D viewport's sidebar."""

from __future__ import annotations

import bpy

from . import rig, rules


class SYNTHACT_UL_library(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        broken = item.frames == 0
        layout.label(text=item.template_id, icon="ERROR" if broken else "ARMATURE_DATA")
        performances = f", {item.performances} performances" if item.performances > 1 else ""
        layout.label(text=item.label if broken else f"{item.label} ({item.frames} f{performances})")


class _Panel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SynthAct"


def _rig_action(context):
    try:
        armature = rig.find_rig(context)
    except rig.RigError:
        return None, None
    return armature, armature.animation_data.action if armature.animation_data else None


class SYNTHACT_PT_main(_Panel, bpy.types.Panel):
    bl_idname = "SYNTHACT_PT_main"
    bl_label = "SynthAct Templates"

    def draw(self, context):
        layout = self.layout
        armature, action = _rig_action(context)
        if armature is None:
            layout.operator("synthact.add_rig", icon="ARMATURE_DATA")
            layout.label(text="Add the canonical rig to start.", icon="INFO")
            return
        layout.label(text=f"Rig: {armature.name}", icon="ARMATURE_DATA")
        if action is None:
            layout.label(text="Key a pose or import motion to start an action.", icon="INFO")
            return
        box = layout.box()
        box.label(text=f"Action: {action.name}", icon="ACTION")
        t = action.synthact
        for prop in ("template_id", "label", "description", "loops"):
            box.prop(t, prop)
        row = box.row(align=True)
        row.prop(t, "speed_min")
        row.prop(t, "speed_max")
        box.prop(t, "mirror")
        box.prop(t, "joint_noise_deg")
        box.prop(t, "family")
        box.prop(t, "partner")
        for prop in t.props:  # added and edited from scripts or the Python console: action.synthact.props
            spans = ", ".join(f"{'partner ' if h.actor else ''}{h.hand.replace('_', ' ')} {h.from_frame}-{h.to_frame}"
                              for h in prop.holds)
            box.label(text=f"Prop {prop.prop_name}: {prop.shape}, {spans}", icon="OBJECT_DATA")
        # Property problems are cheap to check, so they show while the artist types.
        for f in rules.check_properties(t.to_rules()):
            box.label(text=f.message, icon="ERROR")


class SYNTHACT_PT_motion(_Panel, bpy.types.Panel):
    bl_label = "Import Motion"
    bl_parent_id = "SYNTHACT_PT_main"

    def draw(self, context):
        state = context.scene.synthact
        self.layout.prop(state, "joint_map")
        if state.joint_map == "CUSTOM":
            self.layout.prop(state, "custom_map")
        self.layout.operator("synthact.import_bvh", icon="IMPORT")


class SYNTHACT_PT_check(_Panel, bpy.types.Panel):
    bl_label = "Validate and Export"
    bl_parent_id = "SYNTHACT_PT_main"

    def draw(self, context):
        layout = self.layout
        state = context.scene.synthact
        layout.prop(state, "library_dir")
        row = layout.row(align=True)
        row.operator("synthact.validate", icon="CHECKMARK")
        row.operator("synthact.export_template", icon="EXPORT")
        add = row.operator("synthact.export_template", text="Add as Performance", icon="ADD")
        add.as_performance = True
        _, action = _rig_action(context)
        if action is not None and state.findings_action == action.name:
            if not len(state.findings):
                layout.label(text="No problems found.", icon="CHECKMARK")
            for f in state.findings:
                layout.label(text=f.message, icon="ERROR" if f.level == "ERROR" else "INFO")


class SYNTHACT_PT_preview(_Panel, bpy.types.Panel):
    bl_label = "Preview Variant"
    bl_parent_id = "SYNTHACT_PT_main"

    def draw(self, context):
        row = self.layout.row(align=True)
        row.prop(context.scene.synthact, "preview_seed")
        row.operator("synthact.preview_variant", icon="RENDER_ANIMATION")


class SYNTHACT_PT_library(_Panel, bpy.types.Panel):
    bl_label = "Library"

    def draw(self, context):
        layout = self.layout
        state = context.scene.synthact
        layout.prop(state, "library_dir")
        layout.template_list("SYNTHACT_UL_library", "", state, "library", state, "library_index", rows=5)
        row = layout.row(align=True)
        row.operator("synthact.refresh_library", icon="FILE_REFRESH")
        if 0 <= state.library_index < len(state.library) and state.library[state.library_index].performances > 1:
            layout.prop(state, "library_performance")
        row.operator("synthact.load_template", icon="IMPORT").performance = state.library_performance


CLASSES = (SYNTHACT_UL_library, SYNTHACT_PT_main, SYNTHACT_PT_motion, SYNTHACT_PT_check, SYNTHACT_PT_preview,
           SYNTHACT_PT_library)
