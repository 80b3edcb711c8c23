"""The baseline of benchmarks/render_throughput.py: one fresh Blender process per clip, writing PNG frames.

    python benchmarks/baseline_clip.py JOB_JSON OUT_DIR BODY_DIR FRAME_DIR [--samples N] [--frames N] [--threads N]
        [--device D]

The scene is built by the same code as the farm's worker (so the content is identical); each
frame is rendered to a PNG file, as pipelines such as SURREAL do, and the process exits. The
caller encodes the PNGs with a separate ffmpeg run. Prints the summed frame render time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("job")
    p.add_argument("out", type=Path)
    p.add_argument("bodies", type=Path)
    p.add_argument("frames_dir", type=Path)
    p.add_argument("--samples", type=int, default=None)
    p.add_argument("--frames", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="Blender render threads (the farm gives each worker "
                   "its share of the cores)")
    p.add_argument("--device", default="cpu", help="cpu, auto, optix or cuda (as synthact render --device)")
    args = p.parse_args()
    import bpy

    from render_farm.blender.render import apply_frame
    from render_farm.blender.worker import build_scene
    from render_farm.core.plan.jobs import Job

    job = Job.model_validate_json(Path(args.job).read_text())
    scene, actor, spec, *_ = build_scene(job, args.out, args.bodies, args.threads, args.device)
    if args.samples:
        scene.cycles.samples = args.samples
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    args.frames_dir.mkdir(parents=True, exist_ok=True)
    render_s = 0.0
    for k in range(args.frames or spec.rotations.shape[0]):
        apply_frame(scene, actor, spec, k)
        scene.render.filepath = str(args.frames_dir / f"frame_{k:04d}.png")
        t = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        render_s += time.perf_counter() - t
    print(json.dumps({"render_s": render_s}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
