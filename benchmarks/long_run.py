"""A long unattended run: tiny clips through the local pool, workers recycled every few jobs.

    python benchmarks/long_run.py [--clips 1000] [--recycle-after 20] [--workers 2] [--window 100]

Renders --clips clips (Workbench, 64x64, 4 frames: the pool's own costs, not pixels, dominate) with
the workers replaced every --recycle-after jobs and the watchdog on, records when each clip lands,
and prints clips/hour per window of --window clips. Recycling and the watchdog cost nothing visible
when no window falls below 90% of the median window (the issue's bar); the table says whether one did.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks", "clap", "run", "jump", "turn_around"]
PHENOTYPE = {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=1000)
    p.add_argument("--recycle-after", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--window", type=int, default=100)
    args = p.parse_args()
    from rich.console import Console
    from rich.progress import Progress

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config
    from render_farm.dataset.folder import OutputFolder
    from render_farm.executors.base import RunLimits
    from render_farm.executors.local import LocalExecutor

    out = Path(tempfile.mkdtemp(prefix="synthact-long-run-"))
    per_action = -(-args.clips // len(ACTIONS))
    config = parse_config({"seed": 12, "actions": ACTIONS, "clips_per_action": per_action, "frames": 4, "fps": 8,
                           "resolution": [64, 64], "preset": "preview", "val_fraction": 0.0,
                           "body": {k: [v, v] for k, v in PHENOTYPE.items()}}, "long_run")
    try:
        pipeline.write_plan(config, out)
        folder = OutputFolder(out)
        jobs = list(folder.jobs())[: args.clips]
        bodies = default_cache_dir()
        pipeline.ensure_bodies(jobs, bodies, Console(stderr=True))
        landed: list[float] = []
        failed: list[str] = []
        limits = RunLimits(recycle_after=args.recycle_after)
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("rendering", total=len(jobs))

            def done(outcome) -> None:
                landed.append(time.monotonic())
                if not outcome.ok:
                    failed.append(f"{outcome.job_id}: {outcome.error}")
                progress.advance(task)

            start = time.monotonic()
            LocalExecutor(args.workers).run(iter(jobs), len(jobs), folder, bodies, limits, done)
        wall = time.monotonic() - start
        workers = len(list(folder.logs.glob("worker-*.log")))
        print(f"{len(landed)} clips in {wall:.0f} s ({len(landed) / wall * 3600:.0f} clips/h), {len(failed)} "
              f"failed, {args.workers} workers recycled every {args.recycle_after} jobs: {workers} worker "
              f"processes started\n")
        edges = [start, *landed]
        rates = []
        print("| clips | clips/h |\n|---|---|")
        for i in range(0, len(landed) - args.window + 1, args.window):
            rate = args.window / (edges[i + args.window] - edges[i]) * 3600
            rates.append(rate)
            print(f"| {i + 1}-{i + args.window} | {rate:.0f} |")
        if rates:
            median = statistics.median(rates)
            low = min(rates)
            verdict = "no window below 90% of the median" if low >= 0.9 * median else "a window below 90%"
            print(f"\nmedian {median:.0f} clips/h, lowest window {low:.0f} ({low / median:.2f} of the median): "
                  f"{verdict}")
        for line in failed[:10]:
            print("failed:", line)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
