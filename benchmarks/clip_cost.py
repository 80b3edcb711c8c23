"""Per-clip cost of the foundation pipeline: scene build, frame rendering, encoding, peak memory.

Renders the same jobs (224x224 x 32 frames) with Cycles at 8 and 16 samples and with
Workbench, each configuration in a fresh worker process (so its peak RSS is its own),
one Blender thread, side by side in one invocation. Prints a Markdown table.

    python benchmarks/clip_cost.py [--clips 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONFIGS = [("cycles", 8), ("cycles", 16), ("workbench", 1)]
ACTIONS = ["walk", "wave", "jumping_jacks", "squat", "punch", "kick"]


def child(args: argparse.Namespace) -> None:
    """Render the planned jobs in this process and print one JSON line of stats per clip."""
    from render_farm.blender.worker import render_job
    from render_farm.pipeline import load_jobs

    out = Path(args.out)
    for job in load_jobs(out):
        job = job.model_copy(update={"render": job.render.model_copy(update={"engine": args.engine,
                                                                            "samples": args.samples,
                                                                            "denoise": False})})
        t = time.perf_counter()
        stats = render_job(job, out, Path(args.bodies), threads=1)
        stats["wall_s"] = time.perf_counter() - t
        print("STATS " + json.dumps(stats), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="cycles", help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=int, default=16, help=argparse.SUPPRESS)
    parser.add_argument("--bodies", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0

    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config

    root = args.out or Path(tempfile.mkdtemp(prefix="synthact-bench-"))
    config = parse_config({"seed": 1, "actions": ACTIONS[: args.clips], "clips_per_action": 1, "frames": 32,
                           "fps": 16, "resolution": [224, 224]}, "benchmark")
    bodies = default_cache_dir()
    rows = []
    for engine, samples in CONFIGS:
        out = root / f"{engine}-{samples}"
        jobs = pipeline.prepare(config, out)
        pipeline.ensure_bodies(jobs, bodies, Console(stderr=True))
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--out", str(out), "--engine", engine, "--samples", str(samples),
             "--bodies", str(bodies)], capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        process_s = time.perf_counter() - t
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        stats = [json.loads(line[6:]) for line in proc.stdout.splitlines() if line.startswith("STATS ")]
        rows.append((engine, samples, stats, process_s))

    print("| engine | samples | clips | build s/clip | render s/clip | s/frame | encode s/clip | total s/clip "
          "| outside rendering | process incl. bpy import s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for engine, samples, stats, process_s in rows:
        mean = {k: statistics.mean(s[k] for s in stats) for k in ("build_s", "render_s", "encode_s", "total_s")}
        outside = 1.0 - sum(s["render_s"] for s in stats) / sum(s["total_s"] for s in stats)
        peak = max(s["peak_rss_mb"] for s in stats)
        print(f"| {engine} | {samples if engine == 'cycles' else '-'} | {len(stats)} | {mean['build_s']:.3f} "
              f"| {mean['render_s']:.2f} | {mean['render_s'] / 32:.3f} | {mean['encode_s']:.3f} "
              f"| {mean['total_s']:.2f} | {outside:.1%} | {process_s:.1f} | {peak:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
