"""Clips per hour with the bpy module against a Blender application (`synthact render --blender PATH`).

One plan, rendered by `synthact render` into fresh folders, the two paths taking turns (bpy, blender,
bpy, blender, ...) so that whatever else the machine does falls on both; the same workers, pool and
settings. The two paths differ in two ways at once: where Blender runs (in the worker process, or an
application beside it fed over pipes, with the frames crossing as files) and which Blender it is (the
bpy wheel is 5.0.1 or 5.1; the application is whatever PATH is). Prints a Markdown table.

    python benchmarks/blender_paths.py [--blender blender] [--rounds 2] [--clips 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SYNTHACT = str(Path(sys.executable).with_name("synthact"))


def config(folder: Path, clips: int) -> Path:
    """The quickstart's settings at 112x112, 16 frames (Cycles, the fast preset's 4 samples), mesh hair and no
    denoiser (Debian's Blender 3.4 has neither the hair node assets nor OpenImageDenoise)."""
    data = {"seed": 11, "actions": ["walk", "wave", "squat", "punch"], "clips_per_action": clips, "frames": 16,
            "fps": 8, "resolution": [112, 112], "engine": "cycles", "preset": "fast", "denoise": False,
            "val_fraction": 0.25,
            "outfit": {"hair_geometry": "mesh"}}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def render(cfg: Path, out: Path, workers: int, blender: str | None) -> tuple[float, list[dict], str]:
    cmd = [SYNTHACT, "render", str(cfg), "--out", str(out), "--workers", str(workers)]
    if blender:
        cmd += ["--blender", blender]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"render failed: {done.stderr[-2000:]}")
    labels = [json.loads(p.read_text()) for p in (out / "labels").rglob("*.json")]
    return took, [label["render_stats"] for label in labels], labels[0].get("renderer", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blender", default="blender")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clips", type=int, default=4, help="clips per action (4 actions)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synthact-bench-") as tmp:
        tmp = Path(tmp)
        cfg = config(tmp, args.clips)
        # Bodies baked and both Blenders' first starts paid before anything is timed.
        render(cfg, tmp / "warm-bpy", args.workers, None)
        render(cfg, tmp / "warm-app", args.workers, args.blender)
        rows: dict[str, list[float]] = {"bpy module": [], "application": []}
        stats: dict[str, list[dict]] = {"bpy module": [], "application": []}
        who: dict[str, str] = {}
        for r in range(args.rounds):
            for name, blender in (("bpy module", None), ("application", args.blender)):
                took, clip_stats, renderer = render(cfg, tmp / f"{name[:3]}-{r}", args.workers, blender)
                rows[name].append(len(clip_stats) / took * 3600)
                stats[name] += clip_stats
                who[name] = renderer
                print(f"round {r} {name}: {len(clip_stats)} clips in {took:.1f} s", file=sys.stderr, flush=True)
    print("| path | renderer | clips/h per round | mean clips/h | a clip: total s | rendering s | build s | encode s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rates in rows.items():
        per = {k: statistics.mean(s[k] for s in stats[name]) for k in ("total_s", "render_s", "build_s", "encode_s")}
        print(f"| {name} | {who[name]} | {', '.join(f'{x:.0f}' for x in rates)} | {statistics.mean(rates):.0f} | "
              f"{per['total_s']:.2f} | {per['render_s']:.2f} | {per['build_s']:.2f} | {per['encode_s']:.3f} |")
    ratio = statistics.mean(rows["application"]) / statistics.mean(rows["bpy module"])
    print(f"\napplication / bpy module: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
