"""Optional per-frame passes: the person mask and metric depth, from a second, emission-only render.

Each object temporarily gets an emission shader whose red channel is its distance from the camera
(divided by FAR_M) and whose green channel is 1 on the actor; the world is black, one sample
without pixel filtering, the 'Raw' view transform and no dithering, written as a 16-bit PNG. So
one cheap render gives both, with 1/65535 of FAR_M (about 1.5 mm) depth resolution. Works with
any engine setting: the pass always renders with Cycles.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from render_farm.blender.materials import empty_material

FAR_M = 100.0


def _pass_material(name: str, is_actor: bool) -> bpy.types.Material:
    mat, nodes, links = empty_material(name)
    cam = nodes.new("ShaderNodeCameraData")
    scale = nodes.new("ShaderNodeMath")
    scale.operation = "DIVIDE"
    links.new(cam.outputs["View Distance"], scale.inputs[0])
    scale.inputs[1].default_value = FAR_M
    combine = nodes.new("ShaderNodeCombineXYZ")
    links.new(scale.outputs[0], combine.inputs[0])
    combine.inputs[1].default_value = 1.0 if is_actor else 0.0
    emit = nodes.new("ShaderNodeEmission")
    links.new(combine.outputs[0], emit.inputs["Color"])
    out = nodes.new("ShaderNodeOutputMaterial")
    links.new(emit.outputs[0], out.inputs["Surface"])
    return mat


class PassRenderer:
    """Renders mask and depth for the current frame, then puts the scene back as it was."""

    def __init__(self, scene: bpy.types.Scene, actor_mesh: bpy.types.Object | list, scratch: Path):
        self.scene = scene
        # The person mask covers every actor (both people of a two-person action).
        self.actors = set(actor_mesh) if isinstance(actor_mesh, list) else {actor_mesh}
        self.path = scratch / "pass.png"
        self.actor_mat = _pass_material("pass_actor", True)
        self.other_mat = _pass_material("pass_other", False)
        self.black = bpy.data.worlds.new("pass_world")
        self.black.color = (0.0, 0.0, 0.0)
        if self.black.node_tree is None:
            self.black.use_nodes = True
        self.black.node_tree.nodes["Background"].inputs["Color"].default_value = (0, 0, 0, 1)

    def _swap(self) -> dict:
        saved = {"world": self.scene.world, "engine": self.scene.render.engine,
                 "view": self.scene.view_settings.view_transform, "dither": self.scene.render.dither_intensity,
                 "filepath": self.scene.render.filepath, "materials": {}}
        s = self.scene
        saved.update(samples=s.cycles.samples, filter=s.cycles.filter_width, fmt=s.render.image_settings.file_format,
                     depth=s.render.image_settings.color_depth, mode=s.render.image_settings.color_mode,
                     lights={o.name: o.hide_render for o in s.objects if o.type == "LIGHT"},
                     denoise=s.cycles.use_denoising)
        for obj in s.objects:
            if obj.type in ("MESH", "CURVES"):  # curves: strand hair
                saved["materials"][obj.name] = [slot.material for slot in obj.material_slots]
                mat = self.actor_mat if obj in self.actors else self.other_mat
                if not obj.material_slots:
                    obj.data.materials.append(mat)
                for slot in obj.material_slots:
                    slot.link = "OBJECT"
                    slot.material = mat
            elif obj.type == "LIGHT":
                obj.hide_render = True
        s.world = self.black
        s.render.engine = "CYCLES"
        s.cycles.samples = 1
        s.cycles.use_denoising = False  # exact values, not a denoiser's guess (and Blenders built without one)
        s.cycles.filter_width = 0.01
        s.view_settings.view_transform = "Raw"
        s.render.dither_intensity = 0.0
        s.render.image_settings.file_format = "PNG"
        s.render.image_settings.color_mode = "RGB"
        s.render.image_settings.color_depth = "16"
        s.render.filepath = str(self.path)
        return saved

    def _restore(self, saved: dict) -> None:
        s = self.scene
        for obj in s.objects:
            if obj.name in saved["materials"]:
                for slot in obj.material_slots:
                    slot.link = "DATA"
        s.world = saved["world"]
        s.render.engine = saved["engine"]
        s.cycles.samples = saved["samples"]
        s.cycles.use_denoising = saved["denoise"]
        s.cycles.filter_width = saved["filter"]
        s.view_settings.view_transform = saved["view"]
        s.render.dither_intensity = saved["dither"]
        s.render.image_settings.file_format = saved["fmt"]
        s.render.image_settings.color_mode = saved["mode"]
        s.render.image_settings.color_depth = saved["depth"]
        s.render.filepath = saved["filepath"]
        for name, hidden in saved["lights"].items():
            s.objects[name].hide_render = hidden

    def render_all(self, frames: int, pose_frame) -> tuple[np.ndarray, np.ndarray]:
        """Masks (T, H, W) bool and depths (T, H, W) float32 metres (0 where nothing is hit).

        Runs after the colour frames, switching the scene to the pass setup once: switching per
        frame would throw away Cycles' persistent data and double the colour render's cost.
        """
        saved = self._swap()
        try:
            masks, depths = [], []
            for k in range(frames):
                pose_frame(k)
                bpy.ops.render.render(write_still=True)
                mask, depth = self._read()
                masks.append(mask)
                depths.append(depth)
        finally:
            self._restore(saved)
        return np.stack(masks), np.stack(depths)

    def _read(self) -> tuple[np.ndarray, np.ndarray]:
        # Blender reads its own 16-bit PNG back at full precision (PIL would drop to 8 bits).
        image = bpy.data.images.load(str(self.path))
        try:
            image.colorspace_settings.name = "Non-Color"
            w, h = image.size
            px = np.empty(w * h * image.channels, dtype=np.float32)
            image.pixels.foreach_get(px)
        finally:
            bpy.data.images.remove(image)
        self.path.unlink(missing_ok=True)
        img = px.reshape(h, w, -1)[::-1]  # Blender's rows run bottom-up
        return img[..., 1] > 0.5, img[..., 0] * FAR_M
