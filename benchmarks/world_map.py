"""What the world light's importance map costs: Blender's automatic map against manual resolutions.

    python benchmarks/world_map.py [--clips 3] [--frames 0 10 20] [--reference-samples 256]

Cycles builds the map when a scene is first rendered, and the farm builds a new scene for every
clip, so the map is paid once per clip, in its first frame. For a few jobs of one plan (built-in
HDRI worlds) the same frames are rendered in one process with the `fast` preset's settings and
each world map setting, side by side; quality is PSNR against a reference at many samples
(automatic map, 8 bounces, high-quality denoising). Prints a Markdown table: the first frame's
render time (map included), the later frames', and PSNR.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from video_quality import psnr  # noqa: E402

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks"]
MAPS = {"automatic (Blender's default)": None, "manual 1024": 1024, "manual 512": 512, "manual 256": 256}


def render(job, out: Path, bodies: Path, frames: list[int], samples: int, fast: bool, resolution: int | None,
           threads: int, denoise: bool = True) -> tuple[list[np.ndarray], list[float]]:
    import bpy

    from render_farm.blender.render import apply_frame
    from render_farm.blender.worker import build_scene
    from render_farm.video import read_bmp

    scene, actor, spec, *_ = build_scene(job, out, bodies, threads)
    c = scene.cycles
    c.samples, c.max_bounces, c.use_denoising = samples, 4 if fast else 8, denoise
    c.denoising_quality = "FAST" if fast else "HIGH"
    c.denoising_prefilter = "FAST" if fast else "ACCURATE"
    world = scene.world.cycles
    if resolution is None:
        world.sampling_method = "AUTOMATIC"
    else:
        world.sampling_method, world.sample_map_resolution = "MANUAL", resolution
    scene.render.image_settings.file_format = "BMP"
    scene.render.filepath = str(out / "frame.bmp")
    images, seconds = [], []
    for k in frames:
        apply_frame(scene, actor, spec, k)
        t = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        seconds.append(time.perf_counter() - t)
        images.append(read_bmp(out / "frame.bmp").astype(np.float64))
    return images, seconds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=3)
    p.add_argument("--frames", type=int, nargs="+", default=[0, 10, 20])
    p.add_argument("--reference-samples", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=None, help="instead of the fast preset's")
    p.add_argument("--no-denoise", action="store_true", help="render the candidates without denoising")
    args = p.parse_args()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import PRESETS, parse_config

    fast = PRESETS["fast"]
    config = parse_config({"seed": 21, "actions": ACTIONS, "clips_per_action": 1, "frames": max(args.frames) + 1,
                           "fps": 16, "resolution": [224, 224], "val_fraction": 0.0, **fast}, "benchmark")
    out = Path(tempfile.mkdtemp(prefix="synthact-worldmap-"))
    jobs = [j for j in pipeline.prepare(config, out) if j.scene.background == "hdri"][: args.clips]
    bodies = default_cache_dir()
    pipeline.ensure_bodies(jobs, bodies, Console(stderr=True, quiet=True))
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in MAPS}
    for n, job in enumerate(jobs):
        ref, _ = render(job, out, bodies, args.frames, args.reference_samples, False, None, args.threads)
        # Rotate the order per job: the first scene after another setting pays one-off costs (the
        # denoiser loading its other filter), which must not land on one map setting.
        names = list(MAPS)[n % len(MAPS):] + list(MAPS)[: n % len(MAPS)]
        for name in names:
            resolution = MAPS[name]
            images, seconds = render(job, out, bodies, args.frames, args.samples or fast["samples"], True,
                                     resolution, args.threads, not args.no_denoise)
            score = float(np.mean([psnr(a, b) for a, b in zip(images, ref, strict=True)]))
            rows[name].append((seconds[0], float(np.mean(seconds[1:])), score))
        print(f"{job.job_id} ({job.lighting.hdri}): " + ", ".join(f"{n} {r[-1][2]:.2f} dB" for n, r in rows.items()),
              file=sys.stderr, flush=True)
    print(f"{len(jobs)} clips (HDRIs {[j.lighting.hdri for j in jobs]}), frames {args.frames}, 224x224, the fast "
          f"preset's settings with {args.samples or fast['samples']} samples, "
          f"{'no' if args.no_denoise else 'fast'} denoising, {args.threads} threads; reference "
          f"{args.reference_samples} samples, automatic map\n")
    print("| world map | first frame s | later frames s | first - later s | PSNR to reference dB | per clip |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        a = np.array(r)
        print(f"| {name} | {a[:, 0].mean():.3f} | {a[:, 1].mean():.3f} | {(a[:, 0] - a[:, 1]).mean():.3f} | "
              f"{a[:, 2].mean():.2f} | {' / '.join(f'{x:.2f}' for x in a[:, 2])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
