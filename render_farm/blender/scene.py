"""An empty scene with the render settings of a job."""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy
import numpy as np
from mathutils import Matrix

from render_farm.core.plan.antialiasing import workbench_antialiasing
from synthact.errors import SynthActError

if TYPE_CHECKING:  # the job's pydantic models: a Blender application's Python may not have pydantic
    from render_farm.core.plan.jobs import RenderParams

ENGINES = {"cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH", "eevee": "BLENDER_EEVEE"}


def _engine_id(engine: str) -> str:
    """Blender 4.2-4.4 name Eevee BLENDER_EEVEE_NEXT; 3.x and 5.x BLENDER_EEVEE."""
    items = {i.identifier for i in bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items}
    wanted = ENGINES[engine]
    return f"{wanted}_NEXT" if wanted not in items and f"{wanted}_NEXT" in items else wanted


def reset() -> bpy.types.Scene:
    """Start from Blender's factory startup file with nothing in the scene. Its preferences are left as they
    are: `read_factory_settings` also reset them and so disabled and registered every add-on again (Cycles
    among them), 70 of its 85 ms a clip (issue 15); the worker sets the one preference it uses (the Cycles
    device) for every job."""
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True, load_ui=False)
    return bpy.context.scene


def configure(scene: bpy.types.Scene, params: RenderParams, threads: int) -> None:
    scene.render.engine = _engine_id(params.engine)
    scene.render.resolution_x = params.width
    scene.render.resolution_y = params.height
    scene.render.resolution_percentage = 100
    scene.render.fps = max(1, round(params.fps))
    scene.render.film_transparent = False
    scene.render.threads_mode = "FIXED"
    scene.render.threads = max(1, threads)
    # Standard view transform: rendered colours follow the sampled colours.
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    if params.engine == "cycles":
        scene.cycles.device = "CPU"
        scene.cycles.samples = params.samples
        scene.cycles.use_adaptive_sampling = params.adaptive_threshold > 0
        if params.adaptive_threshold > 0:
            scene.cycles.adaptive_threshold = params.adaptive_threshold
        scene.cycles.use_denoising = params.denoise
        if params.denoise:
            try:
                scene.cycles.denoiser = "OPENIMAGEDENOISE"
            except TypeError:  # not among the choices: a distribution's build without it (Debian's 3.4)
                raise SynthActError(f"denoise: this Blender ({bpy.app.version_string}) was built without "
                                    "OpenImageDenoise; set denoise: false, or render with another Blender") from None
            # Measured: at 224x224 on a CPU the high-quality filter costs about what the samples it saves cost.
            fast = params.denoise_quality == "fast"
            if hasattr(scene.cycles, "denoising_quality"):  # Blender >= 4.1
                scene.cycles.denoising_quality = "FAST" if fast else "HIGH"
            scene.cycles.denoising_prefilter = "FAST" if fast else "ACCURATE"
        # Measured: the light tree costs more than it saves with one sun and a world light.
        if hasattr(scene.cycles, "use_light_tree"):  # Blender >= 3.5
            scene.cycles.use_light_tree = False
        scene.cycles.max_bounces = params.max_bounces
        scene.cycles.seed = 0
        scene.render.use_persistent_data = True
    elif params.engine == "eevee":
        # Rasterized on the GPU (software OpenGL without one: several seconds a frame).
        scene.eevee.taa_render_samples = params.samples
    else:
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "VERTEX"
        shading.show_shadows = True
        shading.show_cavity = False
        scene.display.render_aa = workbench_antialiasing(params.samples)


def place_object(obj: bpy.types.Object, rotation: np.ndarray, location: np.ndarray) -> None:
    """Set an object's world matrix from a 3x3 rotation and a location."""
    m = Matrix.Identity(4)
    for r in range(3):
        for c in range(3):
            m[r][c] = float(rotation[r, c])
        m[r][3] = float(location[r])
    obj.matrix_world = m
