"""SynthAct's Blender add-on: artists author, label, preview and publish action templates.

A Blender 4.2+ extension (blender_manifest.toml) that also registers as a legacy
add-on (bl_info) where the manifest is not read. It needs nothing beyond what
Blender ships and writes the template JSON that `render_farm` validates.
Build the installable zip with `synthact addon build`; see docs/artists.md.
"""

bl_info = {
    "name": "SynthAct",
    "author": "SynthAct contributors",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "3D Viewport > Sidebar > SynthAct",
    "description": "Author, label, preview and export action templates for synthetic video datasets",
    "category": "Animation",
}

if "bpy" in locals():  # Blender's "Reload Scripts": pick up edited modules
    import importlib

    for _name in ("canonical", "rules", "joint_maps", "rig", "bvh", "body_preview", "preview", "props",
                  "operators", "panel"):
        if _name in locals():
            importlib.reload(locals()[_name])

import bpy  # noqa: E402

from . import operators, panel, props  # noqa: E402

_CLASS_GROUPS = (operators.CLASSES, panel.CLASSES)


def register() -> None:
    props.register()
    for group in _CLASS_GROUPS:
        for cls in group:
            bpy.utils.register_class(cls)


def unregister() -> None:
    for group in reversed(_CLASS_GROUPS):
        for cls in reversed(group):
            bpy.utils.unregister_class(cls)
    props.unregister()
