"""Properties the add-on keeps in .blend files: template settings on actions, panel state on the scene."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    FloatVectorProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from . import rules

JOINT_MAP_ITEMS = [
    ("CMU", "CMU-style", "Hips, LeftUpLeg, LeftArm, ... as in the CMU mocap BVH conversions"),
    ("MIXAMO", "Mixamo-style", "mixamorig:Hips, mixamorig:LeftArm, ..."),
    ("CUSTOM", "Custom file", "A joint map JSON file of your own (copy a shipped one and edit it)"),
]


HAND_ITEMS = [(h, h.replace("_", " "), f"The prop moves with the {h.replace('_', ' ')}") for h in rules.HANDS]
SHAPE_ITEMS = [(s, s, f"A {s}") for s in rules.PROP_SHAPES]


class SYNTHACT_PG_hold(bpy.types.PropertyGroup):
    """A span of frames during which an actor holds a prop."""

    actor: IntProperty(name="Actor", min=0, max=1, description="0: this rig; 1: the partner rig")
    hand: EnumProperty(name="Hand", items=HAND_ITEMS, default="right_hand")
    from_frame: IntProperty(name="From", min=0, description="First template frame held (0: the action's first)")
    to_frame: IntProperty(name="To", min=0, description="Last template frame held")
    offset: FloatVectorProperty(name="Offset", size=3, subtype="TRANSLATION",
                                description="The prop's centre from the hand, in the hand's axes (metres)")
    rotation: FloatVectorProperty(name="Rotation", size=3, description="The prop's turn in the hand (XYZ, degrees)")


class SYNTHACT_PG_prop(bpy.types.PropertyGroup):
    """A hand-held object of the template: a primitive shape and when it is held."""

    prop_name: StringProperty(name="Name", description="Lower case, digits, _ (e.g. cup)")
    shape: EnumProperty(name="Shape", items=SHAPE_ITEMS, default="box")
    size: FloatVectorProperty(name="Size", size=3, min=0.001, max=rules.MAX_PROP_SIZE_M, default=(0.1, 0.1, 0.1),
                              description="Extent along x, y, z in metres (a cylinder's axis is z)")
    holds: CollectionProperty(type=SYNTHACT_PG_hold)

    def to_rules(self) -> dict:
        return {"name": self.prop_name, "shape": self.shape, "size_m": list(self.size),
                "holds": [{"actor": h.actor, "hand": h.hand, "from_frame": h.from_frame, "to_frame": h.to_frame,
                           "offset_m": list(h.offset), "rotation_deg": list(h.rotation)} for h in self.holds]}

    def from_rules(self, data: dict) -> None:
        self.prop_name, self.shape, self.size = data["name"], data["shape"], data["size_m"]
        self.holds.clear()
        for h in data["holds"]:
            hold = self.holds.add()
            hold.actor, hold.hand = int(h.get("actor", 0)), h["hand"]
            hold.from_frame, hold.to_frame = int(h["from_frame"]), int(h["to_frame"])
            hold.offset, hold.rotation = h.get("offset_m", (0, 0, 0)), h.get("rotation_deg", (0, 0, 0))


def _is_partner_rig(self, obj) -> bool:
    return obj.type == "ARMATURE" and bool(obj.data.get("synthact_canonical_rig"))  # rig.RIG_TAG


class SYNTHACT_PG_template(bpy.types.PropertyGroup):
    """The template an action becomes on export."""

    template_id: StringProperty(name="Id", description="Stable identifier: lower case, digits, _ (e.g. jumping_jacks)")
    label: StringProperty(name="Label", description="Human-readable class name, e.g. 'jumping jacks'")
    description: StringProperty(name="Description", description="One sentence describing the motion")
    loops: BoolProperty(name="Loops", description="The last frame of the range repeats the first (walk cycles)")
    speed_min: FloatProperty(name="Speed min", default=0.9, min=0.01, soft_max=3.0,
                             description="Slowest playback speed the farm may use")
    speed_max: FloatProperty(name="Speed max", default=1.1, min=0.01, soft_max=3.0,
                             description="Fastest playback speed the farm may use")
    mirror: BoolProperty(name="Allow mirroring", default=True,
                         description="The farm may swap left and right (not for one-handed actions that must stay so)")
    joint_noise_deg: FloatProperty(name="Joint noise", default=3.0, min=0.0, max=rules.MAX_JOINT_NOISE_DEG,
                                   description="Largest random per-joint turn the farm may add, degrees")
    family: StringProperty(name="Family", description="The family of actions it belongs to (e.g. gesture)")
    props: CollectionProperty(type=SYNTHACT_PG_prop)
    partner: PointerProperty(name="Partner rig", type=bpy.types.Object, poll=_is_partner_rig,
                             description="A second SynthAct rig whose action, over the same frames, is the partner "
                                         "of a two-person action")
    performance: StringProperty(name="Performance", default="main",
                                description="Which performance of the class the action is (Load Template sets it); "
                                            "Export writes it back in place and keeps the class's other "
                                            "performances")

    def to_rules(self) -> rules.Properties:
        return rules.Properties(id=self.template_id, label=self.label, description=self.description, loops=self.loops,
                                speed_min=self.speed_min, speed_max=self.speed_max, mirror=self.mirror,
                                joint_noise_deg=self.joint_noise_deg, family=self.family,
                                props=[p.to_rules() for p in self.props])

    def from_rules(self, p: rules.Properties) -> None:
        self.template_id, self.label, self.description, self.loops = p.id, p.label, p.description, p.loops
        self.speed_min, self.speed_max = p.speed_min, p.speed_max
        self.mirror, self.joint_noise_deg = p.mirror, p.joint_noise_deg
        self.family = p.family
        self.props.clear()
        for data in p.props:
            self.props.add().from_rules(data)


class SYNTHACT_PG_finding(bpy.types.PropertyGroup):
    level: StringProperty()
    message: StringProperty()


class SYNTHACT_PG_library_entry(bpy.types.PropertyGroup):
    template_id: StringProperty()
    label: StringProperty()
    frames: IntProperty()
    path: StringProperty(subtype="FILE_PATH")
    performances: IntProperty(default=1)


class SYNTHACT_PG_scene(bpy.types.PropertyGroup):
    library_dir: StringProperty(name="Library", subtype="DIR_PATH", default="//templates",
                                description="Folder the templates are exported to and browsed from")
    joint_map: EnumProperty(name="Joint map", items=JOINT_MAP_ITEMS, default="CMU",
                            description="How the BVH file's joint names map onto the canonical skeleton")
    custom_map: StringProperty(name="Map file", subtype="FILE_PATH", description="Joint map JSON for 'Custom file'")
    preview_seed: IntProperty(name="Seed", default=0, min=0, description="Seed of the randomized preview variant")
    findings: CollectionProperty(type=SYNTHACT_PG_finding)
    findings_action: StringProperty(description="The action the findings are about")
    library: CollectionProperty(type=SYNTHACT_PG_library_entry)
    library_index: IntProperty(name="Template", default=0)
    library_performance: IntProperty(name="Performance", default=0, min=0,
                                     description="Which performance of the selected class Load Template loads "
                                                 "(0: the template's own)")


class SYNTHACT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    synthact_command: StringProperty(
        name="synthact command", subtype="FILE_PATH", default="synthact",
        description="The render farm's command line (from `pip install synthact`); previews render through it",
    )

    def draw(self, context):
        self.layout.prop(self, "synthact_command")


CLASSES = (SYNTHACT_PG_hold, SYNTHACT_PG_prop, SYNTHACT_PG_template, SYNTHACT_PG_finding, SYNTHACT_PG_library_entry,
           SYNTHACT_PG_scene,
           SYNTHACT_AP_preferences)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Action.synthact = PointerProperty(type=SYNTHACT_PG_template)
    bpy.types.Scene.synthact = PointerProperty(type=SYNTHACT_PG_scene)


def unregister() -> None:
    del bpy.types.Scene.synthact
    del bpy.types.Action.synthact
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)


def preferences(context) -> SYNTHACT_AP_preferences | None:
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None
