"""Per-clip cost of annotation, of the optional passes and of the richest randomization, beside a
plain render of the same jobs.

    python benchmarks/randomization_cost.py [--clips 2] [--frames 16] [--samples 16]

The same actions, seeds and bodies are planned three ways: "plain" (solid clothes, static camera,
plain ground, HDRI, no area lights, no props), "plain" with the mask and depth passes, and "rich"
(patterned clothes, shaking camera, brick ground, two area lights, four props). Each plan renders
in a fresh worker process with one Blender thread; the label's render_stats give build, render,
annotation (deformed-mesh box, keypoints, ray-cast visibility, and the passes when asked for) and
encode time. Prints a Markdown table.
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

ACTIONS = ["wave", "squat", "punch", "kick"]
PLAIN = {"clothing": {"pattern": {"choice": ["solid"]}},
         "camera": {"motion": {"choice": ["static"]}},
         "scene": {"background": {"choice": ["hdri"]}, "ground": {"choice": ["plain"]},
                   "distractors": 0, "area_lights": 0}}
PASSES = {**PLAIN, "annotations": {"mask": True, "depth": True}}
RICH = {"clothing": {"pattern": {"choice": ["stripes", "checks", "noise"]}},
        "camera": {"motion": {"choice": ["shake"]}},
        "scene": {"background": {"choice": ["hdri"]}, "ground": {"choice": ["bricks"]},
                  "distractors": 4, "area_lights": 2}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=2)
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--samples", type=int, default=16)
    args = p.parse_args()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config

    root = Path(tempfile.mkdtemp(prefix="synthact-rand-"))
    bodies = default_cache_dir()
    rows = {}
    for name, extra in (("plain", PLAIN), ("plain + mask and depth passes", PASSES), ("rich", RICH)):
        config = parse_config({"seed": 3, "actions": ACTIONS[: args.clips], "clips_per_action": 1,
                               "frames": args.frames, "fps": 16, "resolution": [224, 224], "samples": args.samples,
                               "denoise": False, **extra}, name)
        out = root / name
        jobs = pipeline.prepare(config, out)
        pipeline.ensure_bodies(jobs, bodies, Console(stderr=True))
        t = time.perf_counter()
        code = ("import sys; from pathlib import Path; from render_farm.pipeline import load_jobs; "
                "from render_farm.blender.worker import render_job; "
                f"[render_job(j, Path({str(out)!r}), Path({str(bodies)!r}), 1) for j in load_jobs(Path({str(out)!r}))]")
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        stats = [json.loads(pth.read_text())["render_stats"] for pth in sorted(out.rglob("labels/*/*.json"))]
        numeric = [k for k, v in stats[0].items() if isinstance(v, int | float)]
        rows[name] = ({k: statistics.mean(s[k] for s in stats) for k in numeric}, time.perf_counter() - t)
    print(f"{args.clips} clips, 224x224 x {args.frames} frames, Cycles {args.samples} samples, 1 thread")
    print("| scene | build s/clip | render s/clip | annotate s/clip | passes s/clip | encode s/clip | total s/clip |")
    print("|---|---|---|---|---|---|---|")
    for name, (m, _) in rows.items():
        print(f"| {name} | {m['build_s']:.3f} | {m['render_s']:.2f} | {m['annotate_s']:.3f} | {m['passes_s']:.2f} "
              f"| {m['encode_s']:.3f} | {m['total_s']:.2f} |")
    for name in ("rich", "plain + mask and depth passes"):
        print(f"\n{name} / plain total time per clip: {rows[name][0]['total_s'] / rows['plain'][0]['total_s']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
