"""The render presets' trade-off: time per frame against image quality (PSNR to a converged reference).

    python benchmarks/render_presets.py [--clips 3] [--frames 6] [--reference-samples 256]

The same plan (same scenes, bodies, cameras) is rendered with each preset of
render_farm.core.plan.config.PRESETS, with fast's settings at other sample counts, with 16 plain
samples (fast until 2026-11-26), and once more as the reference (Cycles, many samples,
8 bounces, denoised). Frames are compared after encoding, as a dataset holds them: decoded
clip against decoded reference clip, PSNR over all frames. Time per frame is the Blender
render time the labels record (one thread per worker). Prints a Markdown table.
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

from video_quality import decode, psnr  # noqa: E402

ACTIONS = ["walk", "wave", "squat", "punch"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=3)
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--reference-samples", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--denoised-candidates", type=int, nargs="*", default=[2, 8],
                   help="also measure fast's settings with these sample counts")
    args = p.parse_args()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.label.labels import load_label
    from render_farm.core.plan.config import PRESETS, parse_config

    root = Path(tempfile.mkdtemp(prefix="synthact-presets-"))
    settings = {name: {"preset": name} for name in PRESETS}
    # fast's settings with other sample counts (denoised as fast is), and fast before 2026-11-26.
    for samples in args.denoised_candidates:
        settings[f"{samples} samples + fast OIDN"] = {"preset": "fast", "samples": samples}
    settings["16 samples, no denoising"] = {"preset": "fast", "samples": 16, "denoise": False}
    settings["reference"] = {"engine": "cycles", "samples": args.reference_samples, "max_bounces": 8,
                             "denoise": True, "denoise_quality": "high", "adaptive_threshold": 0.0}
    results = {}
    for name, extra in settings.items():
        config = parse_config({"seed": 5, "actions": ACTIONS[: args.clips], "clips_per_action": 1,
                               "frames": args.frames, "fps": 16, "resolution": [224, 224], "val_fraction": 0.0,
                               **extra}, name)
        out = root / name
        t = time.perf_counter()
        pipeline.render(config, out, default_cache_dir(), args.workers, Console(stderr=True, quiet=True))
        wall = time.perf_counter() - t
        jobs = pipeline.load_jobs(out)
        render_s = sum(load_label(out / j.label_path).render_stats["render_s"] for j in jobs)
        results[name] = {"jobs": jobs, "out": out, "per_frame": render_s / (len(jobs) * args.frames), "wall": wall,
                         "config": config}
    ref = results["reference"]
    print(f"{args.clips} clips x {args.frames} frames, 224x224, {args.workers} workers of 1 thread; reference: "
          f"Cycles {args.reference_samples} samples, 8 bounces, denoised\n")
    print("| preset | engine | samples | bounces | adaptive | denoise | s/frame (render) | x fast "
          "| PSNR to reference (dB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    fast = results["fast"]["per_frame"]
    for name, r in results.items():
        c = r["config"]
        scores = [psnr(decode(r["out"] / j.clip_path), decode(ref["out"] / rj.clip_path))
                  for j, rj in zip(r["jobs"], ref["jobs"], strict=True)]
        value = "-" if name == "reference" else f"{np.mean(scores):.1f}"
        denoise = c.denoise_quality if c.denoise else "no"
        print(f"| {name} | {c.engine} | {c.samples} | {c.max_bounces} | {c.adaptive_threshold or 'off'} | "
              f"{denoise} | {r['per_frame']:.3f} | {r['per_frame'] / fast:.2f} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
