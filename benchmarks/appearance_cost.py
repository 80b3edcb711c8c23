"""Time per clip with garments, hair and accessories against painted clothing only, the same plan side by side.

    python benchmarks/appearance_cost.py [--clips 4] [--frames 16] [--rounds 2]

One plan (the fast preset: Cycles, 4 samples, denoised; 224x224) rendered twice per round in fresh worker
processes with one Blender thread, three ways: with outfits (`outfit.enabled: true`, the default, every piece
forced on: long sleeves, trousers, a jacket, shoes, long hair and all four accessories: the most there can be)
with strand hair (the default `hair_geometry: curves`, at the most strands and the longest the default ranges
give) and with mesh hair (`hair_geometry: mesh`, the fallback), and with painted clothing only
(`outfit.enabled: false`). Rounds rotate the order. The labels' render_stats give the time per clip. Target
(issue 14): at most 1.3x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACTIONS = ["walk", "wave", "squat", "kick", "jumping_jacks", "sit_down"]
FULL = {"enabled": True, "top": {"choice": ["longsleeve"]}, "bottom": {"choice": ["trousers"]},
        "dress_probability": 0.0, "jacket_probability": 1.0, "shoes_probability": 1.0, "hair": {"choice": ["long"]},
        "glasses_probability": 1.0, "hat_probability": 1.0, "bag_probability": 1.0, "watch_probability": 1.0}
ARMS = {"strand_hair": {**FULL, "hair_geometry": "curves", "hair_strands": 5000, "hair_length": 1.3},
        "mesh_hair": {**FULL, "hair_geometry": "mesh"},
        "painted": {"enabled": False}}


def render(config_data: dict, out: Path, bodies: Path) -> list[dict]:
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.core.plan.config import parse_config

    jobs = pipeline.prepare(parse_config(config_data, "bench"), out)
    pipeline.ensure_bodies(jobs, bodies, Console(stderr=True))
    code = ("from pathlib import Path; from render_farm.pipeline import load_jobs; "
            "from render_farm.blender.worker import render_job; "
            f"[render_job(j, Path({str(out)!r}), Path({str(bodies)!r}), 1) for j in load_jobs(Path({str(out)!r}))]")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return [json.loads(p.read_text())["render_stats"] for p in sorted(out.rglob("labels/*/*.json"))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from render_farm.bodies.baked.cache import default_cache_dir

    base = {"seed": 14, "actions": ACTIONS[: args.clips], "clips_per_action": 1, "frames": args.frames, "fps": 16,
            "resolution": [224, 224], "engine": "cycles", "preset": "fast", "val_fraction": 0.0}
    root = Path(tempfile.mkdtemp(prefix="synthact-appearance-"))
    totals: dict[str, list[float]] = {name: [] for name in ARMS}
    parts: dict[str, list[dict]] = {name: [] for name in ARMS}
    names = list(ARMS)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            stats = render({**base, "outfit": ARMS[name]}, root / f"{name}-{r}", default_cache_dir())
            totals[name] += [s["total_s"] for s in stats]
            parts[name] += stats
    mean = {k: statistics.mean(v) for k, v in totals.items()}
    result = {
        "clips_per_round": args.clips, "rounds": args.rounds, "frames": args.frames,
        "seconds_per_clip": {k: round(v, 3) for k, v in mean.items()},
        "ratio_to_painted": {k: round(mean[k] / mean["painted"], 3) for k in ("strand_hair", "mesh_hair")},
        "ratio_strand_to_mesh_hair": round(mean["strand_hair"] / mean["mesh_hair"], 3),
        "parts_s_per_clip": {k: {p: round(statistics.mean(s[p] for s in v), 3)
                                 for p in ("build_s", "render_s", "annotate_s", "encode_s")} for k, v in parts.items()},
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
