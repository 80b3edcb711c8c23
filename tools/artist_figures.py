"""Illustrations for docs/artists.md: Workbench renders of the add-on's rig (headless Blender
cannot capture its own UI). Run with the bpy module:

    python -m tools.artist_figures OUT_DIR BODY.npz

Writes rig_tpose.png (the canonical rig as the add-on adds it) and rig_keyed.png (the rig
with a preview body, posed by the 'wave' template loaded from the library).
`make figures` runs it together with the preview-variant strip (scripts/artist_figures.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
from mathutils import Matrix, Vector

import blender_addon
from render_farm.templates import BUILTIN_DIR

SIZE = (360, 400)
BONE_COLOR = (0.95, 0.55, 0.15, 1.0)
BODY_COLOR = (0.72, 0.74, 0.78, 1.0)


def _bone_sticks(rig) -> None:
    """Render-visible stand-ins for the bones (armatures never render): a tapered stick per bone,
    parented to its bone so it follows the pose."""
    for bone in rig.data.bones:
        length = bone.length
        bpy.ops.mesh.primitive_cone_add(vertices=6, radius1=0.018, radius2=0.006, depth=length)
        stick = bpy.context.active_object
        stick.name = f"stick_{bone.name}"
        stick.color = BONE_COLOR
        stick.parent = rig
        stick.parent_type = "BONE"
        stick.parent_bone = bone.name
        # The cone's axis is +Z through its middle; a bone's is +Y from its head.
        stick.matrix_world = bone.matrix_local @ Matrix.Translation((0, length / 2, 0)) @ Matrix.Rotation(
            -1.5707963, 4, "X")


def _camera(scene) -> None:
    cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(cam)
    cam.data.type = "ORTHO"
    cam.data.ortho_scale = 2.1
    cam.location = Vector((2.6, -4.2, 1.6))
    cam.rotation_euler = (Vector((0.0, 0.0, 0.88)) - cam.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam


def _render(scene, path: Path) -> None:
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)


def main(out_dir: Path, body_file: Path) -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = SIZE
    scene.render.film_transparent = False
    scene.display.shading.color_type = "OBJECT"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.show_cavity = True
    scene.world = bpy.data.worlds.new("world")
    scene.world.color = (0.93, 0.93, 0.95)
    _camera(scene)
    out_dir.mkdir(parents=True, exist_ok=True)

    assert bpy.ops.synthact.add_rig() == {"FINISHED"}
    rig = bpy.context.active_object
    _bone_sticks(rig)
    _render(scene, out_dir / "rig_tpose.png")

    for obj in list(scene.objects):
        if obj.type == "ARMATURE" or obj.name.startswith("stick_"):
            bpy.data.objects.remove(obj)
    assert bpy.ops.synthact.add_rig(body_file=str(body_file)) == {"FINISHED"}
    body = bpy.data.objects["SynthAct Body"]
    body.color = BODY_COLOR
    assert bpy.ops.synthact.load_template(filepath=str(BUILTIN_DIR / "wave.json")) == {"FINISHED"}
    scene.frame_set(30)
    _render(scene, out_dir / "rig_keyed.png")
    blender_addon.unregister()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
