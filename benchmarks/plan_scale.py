"""Planning and resuming at scale: jobs/s and peak memory of `write_plan`, and the resume scan.

    python benchmarks/plan_scale.py [--sizes 10000 100000 1000000] [--processes 0]

Each size is planned in a fresh process (peak RSS of that process and of its largest planning child,
from getrusage). Then, for the largest plan, the resume scan that `synthact render` runs before it
renders anything (every line validated, every job checked for its label and clip, each clip's MP4
header read and compared with its job) against an empty output folder and against one where every
other clip is complete: one real clip of the plan's size and length, hard-linked to every completed
job's path (the scan reads each header, so it cannot tell), and empty labels (the scan only lists them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks", "clap", "run", "jump", "turn_around"]

PLAN = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from render_farm import pipeline
    from render_farm.core.plan.config import DatasetConfig
    clips, out, processes = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    actions = {actions!r}
    config = DatasetConfig(actions=actions, clips_per_action=clips // len(actions))
    t = time.perf_counter()
    count = pipeline.write_plan(config, out, processes=processes or None)
    wall = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({{"jobs": count, "seconds": wall, "rss_mb": own, "child_rss_mb": child}}))
""").format(actions=ACTIONS)

SCAN = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from render_farm.dataset.folder import OutputFolder
    folder = OutputFolder(Path(sys.argv[1]))
    t = time.perf_counter()
    complete = folder.complete(headers=True)
    planned = todo = 0
    for job in folder.jobs():
        planned += 1
        todo += job not in complete
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"planned": planned, "todo": todo, "seconds": wall, "rss_mb": rss}))
""")


def run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def complete_every_other(out: Path) -> int:
    """A clip and a label for every other job, as a half-finished run leaves them (hard links)."""
    import numpy as np

    from render_farm.video import ClipEncoder

    first = json.loads(open(out / "jobs.jsonl", encoding="utf-8").readline())["render"]
    clip, label = out / "one.mp4", out / "one.json"
    encoder = ClipEncoder(clip, first["width"], first["height"], first["fps"])
    for k in range(first["frames"]):
        encoder.write(np.full((first["height"], first["width"], 3), k * 7 % 255, dtype=np.uint8))
    encoder.close()
    label.touch()
    made, folders, links = 0, set(), 0
    sources = {"clip": clip, "label": label}
    with open(out / "jobs.jsonl", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n % 2:
                continue
            job = json.loads(line)
            if links and links % 60_000 == 0:  # ext4 allows 65,000 links to one file: start new originals
                for kind, source in sources.items():
                    fresh = source.with_name(f"{kind}-{links}{source.suffix}")
                    shutil.copyfile(source, fresh)
                    sources[kind] = fresh
            links += 1
            for rel, kind in ((job["clip_path"], "clip"), (job["label_path"], "label")):
                path = out / rel
                if path.parent not in folders:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    folders.add(path.parent)
                os.link(sources[kind], path)
            made += 1
    return made


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--processes", type=int, default=0, help="planning processes (0: the default for the size)")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="synthact-plan-scale-"))
    try:
        print("| jobs | processes | seconds | jobs/s | peak RSS planner (MB) | largest child (MB) | jobs.jsonl (MB) |")
        print("|---|---|---|---|---|---|---|")
        for size in args.sizes:
            out = root / str(size)
            r = run(PLAN, str(size), str(out), str(args.processes))
            mb = (out / "jobs.jsonl").stat().st_size / 1e6
            rate = r["jobs"] / r["seconds"]
            print(f"| {r['jobs']} | {args.processes or 'default'} | {r['seconds']:.1f} | {rate:.0f} "
                  f"| {r['rss_mb']:.0f} | {r['child_rss_mb']:.0f} | {mb:.0f} |", flush=True)
        largest = root / str(max(args.sizes))
        print("\n| resume scan of | planned | to render | seconds | peak RSS (MB) |\n|---|---|---|---|---|")
        empty = run(SCAN, str(largest))
        print(f"| an empty folder | {empty['planned']} | {empty['todo']} | {empty['seconds']:.1f} | "
              f"{empty['rss_mb']:.0f} |", flush=True)
        complete_every_other(largest)
        half = run(SCAN, str(largest))
        print(f"| a half-complete folder | {half['planned']} | {half['todo']} | {half['seconds']:.1f} | "
              f"{half['rss_mb']:.0f} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
