"""Preview variants: the farm renders one randomized clip of the template, the add-on shows it.

The render goes through `synthact preview` (the same planner, worker and encoder as a
dataset render), run as a separate process so the artist's scene is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import bpy

PREVIEW_TIMEOUT_S = 900


class PreviewError(RuntimeError):
    pass


def render_preview(command: str, template_file: Path, seed: int, out: Path, size: int = 160) -> Path:
    exe = shutil.which(command) or (command if Path(command).is_file() else None)
    if exe is None:
        raise PreviewError(f"synthact command {command!r} not found: install the render farm "
                           "(pip install synthact) and set its path in the add-on preferences")
    cmd = [exe, "preview", str(template_file), "--seed", str(seed), "--out", str(out), "--size", str(size)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PREVIEW_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PreviewError(f"preview render took longer than {PREVIEW_TIMEOUT_S} s and was stopped") from None
    if done.returncode != 0 or not out.is_file():
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        raise PreviewError(f"preview render failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return out


def show_movie(context, path: Path) -> bpy.types.Image:
    """Load the clip as a movie image and show it in an Image Editor if the window has one."""
    image = bpy.data.images.load(str(path), check_existing=False)
    image.name = f"SynthAct preview {path.stem}"
    screen = getattr(context, "screen", None)
    for area in screen.areas if screen else ():
        if area.type == "IMAGE_EDITOR":
            area.spaces.active.image = image
            area.spaces.active.image_user.frame_duration = image.frame_duration
            area.spaces.active.image_user.use_auto_refresh = True
            break
    return image
