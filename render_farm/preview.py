"""One randomized variant of a single template, rendered the way a dataset is: the add-on's preview."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from render_farm import pipeline
from render_farm.core.plan.config import parse_config
from render_farm.core.template.model import load_template
from synthact.errors import SynthActError

MAX_PREVIEW_FRAMES = 150


def render_preview(template_file: Path, seed: int, out: Path, body_dir: Path, size: int = 160,
                   engine: str = "workbench", console: Console | None = None) -> Path:
    """Plan one clip of the template with the default randomization and this seed, render it through the
    farm, and move the MP4 to `out` (its label goes next to it as <out>.json)."""
    template_file = Path(template_file)
    template = load_template(template_file)  # also checks that the file is named after the id
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".preview-", dir=out.parent))
    try:
        config = parse_config({
            "seed": seed, "output": str(work), "actions": [template.id],
            "template_dirs": [str(template_file.parent.resolve())], "clips_per_action": 1,
            "frames": min(template.frame_count, MAX_PREVIEW_FRAMES), "fps": template.fps,
            "resolution": [size, size], "engine": engine, "samples": 8, "val_fraction": 0.0, "workers": 1,
        }, f"preview of {template_file}")
        summary = pipeline.render(config, work, body_dir, 1, console)
        if summary.failed:
            raise SynthActError(f"{template_file}: preview render failed: {summary.failed[0].error}")
        job = pipeline.load_jobs(work)[0]
        os.replace(work / job.label_path, out.with_suffix(".json"))
        os.replace(work / job.clip_path, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
