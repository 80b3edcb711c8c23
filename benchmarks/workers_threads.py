"""Workers per machine against threads per worker, on the same plan, in alternating rounds.

    python benchmarks/workers_threads.py [--clips 4] [--frames 16] [--samples 16] [--rounds 2]

Every core busy either way: N workers of 1 Blender thread (the farm's default) against 1 worker
of N threads (N = the machine's cores). Prints clips/hour of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks", "clap", "run"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=4)
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config
    from render_farm.executors.local import run_local

    cores = os.cpu_count() or 1
    root = Path(tempfile.mkdtemp(prefix="synthact-threads-"))
    config = parse_config({"seed": 4, "actions": ACTIONS[: args.clips], "clips_per_action": args.rounds,
                           "frames": args.frames, "fps": 16, "resolution": [224, 224], "samples": args.samples,
                           "denoise": False,
                           "val_fraction": 0.0}, "benchmark")
    bodies = default_cache_dir()
    walls = {"workers": 0.0, "threads": 0.0}
    for mode in walls:
        jobs = pipeline.prepare(config, root / mode)
        pipeline.ensure_bodies(jobs, bodies, Console(stderr=True, quiet=True))
    for r in range(args.rounds):
        for mode in (("workers", "threads") if r % 2 == 0 else ("threads", "workers")):
            part = pipeline.load_jobs(root / mode)[r :: args.rounds]
            t = time.perf_counter()
            # run_local gives each of W workers cores // W threads.
            run_local(part, root / mode, bodies, cores if mode == "workers" else 1, lambda _o: None)
            walls[mode] += time.perf_counter() - t
    n = args.clips * args.rounds
    print(f"{n} clips, 224x224 x {args.frames} frames, Cycles {args.samples} samples, {cores} cores\n")
    print("| layout | wall s | clips/hour |")
    print("|---|---|---|")
    print(f"| {cores} workers x 1 thread | {walls['workers']:.1f} | {n / walls['workers'] * 3600:.0f} |")
    print(f"| 1 worker x {cores} threads | {walls['threads']:.1f} | {n / walls['threads'] * 3600:.0f} |")
    print(f"\nworkers / threads clips-per-hour ratio: {walls['threads'] / walls['workers']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
