"""Per-clip cost of annotation, of the optional passes, of the richest randomization and of a class's many
performances, beside a plain render of the same jobs.

    python benchmarks/randomization_cost.py [--clips 2] [--per-action 1] [--actions wave,squat,punch,kick]
                                            [--frames 16] [--samples 16] [--variants plain,passes,rich,one]

The same actions, seeds and bodies are planned up to four ways: "plain" (solid clothes, static camera,
plain ground, HDRI, no area lights, no props), "plain" with the mask and depth passes, and "rich"
(patterned clothes, shaking camera, brick ground, two area lights, four props). Each plan renders
in a fresh worker process with one Blender thread; the label's render_stats give build, render,
annotation (deformed-mesh box, keypoints, ray-cast visibility, and the passes when asked for) and
encode time. "plain, one performance a class" plans the plain jobs from copies of the templates without their
further performances (a template folder that overrides the built-ins): every clip plays the class's own
motion, everything else the jobs sample is the same. Prints a Markdown table.
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
VARIANTS = ("plain", "passes", "rich", "one")  # --variants: the plans above, and plain from one performance a class


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=2, help="actions, from the start of --actions")
    p.add_argument("--per-action", type=int, default=1, help="clips of each action")
    p.add_argument("--actions", default=",".join(ACTIONS))
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help="which plans to render, in this order: plain, passes, rich, one (one performance a class)")
    args = p.parse_args()
    chosen = args.variants.split(",")
    if "plain" not in chosen or not set(chosen) <= set(VARIANTS):
        p.error(f"--variants: a comma-separated list of {', '.join(VARIANTS)} that includes plain")
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config
    from render_farm.core.template.model import save_template
    from render_farm.templates import find_template

    root = Path(tempfile.mkdtemp(prefix="synthact-rand-"))
    bodies = default_cache_dir()
    actions = args.actions.split(",")[: args.clips]
    one_each = root / "one-performance-templates"
    one_each.mkdir()
    for action in actions:
        save_template(find_template(action).model_copy(update={"performances": []}), one_each / f"{action}.json")
    variants = {"plain": ("plain", PLAIN), "passes": ("plain + mask and depth passes", PASSES),
                "rich": ("rich", RICH),
                "one": ("plain, one performance a class", {**PLAIN, "template_dirs": [str(one_each)]})}
    rows = {}
    for name, extra in (variants[v] for v in chosen):
        config = parse_config({"seed": 3, "actions": actions, "clips_per_action": args.per_action,
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
        labels = [json.loads(pth.read_text()) for pth in sorted(out.rglob("labels/*/*.json"))]
        further = sum(1 for label in labels if label["params"]["motion"].get("performance"))
        print(f"{name}: {further} of {len(labels)} clips play a further performance", file=sys.stderr)
        stats = [label["render_stats"] for label in labels]
        numeric = [k for k, v in stats[0].items() if isinstance(v, int | float)]
        rows[name] = ({k: statistics.mean(s[k] for s in stats) for k in numeric}, time.perf_counter() - t)
    print(f"{len(actions)} actions x {args.per_action} clips, 224x224 x {args.frames} frames, Cycles {args.samples} "
          "samples, 1 thread")
    print("| scene | build s/clip | render s/clip | annotate s/clip | passes s/clip | encode s/clip | total s/clip |")
    print("|---|---|---|---|---|---|---|")
    for name, (m, _) in rows.items():
        print(f"| {name} | {m['build_s']:.3f} | {m['render_s']:.2f} | {m['annotate_s']:.3f} | {m['passes_s']:.2f} "
              f"| {m['encode_s']:.3f} | {m['total_s']:.2f} |")
    for name in [n for n in rows if n != "plain"]:
        print(f"\n{name} / plain total time per clip: {rows[name][0]['total_s'] / rows['plain'][0]['total_s']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
