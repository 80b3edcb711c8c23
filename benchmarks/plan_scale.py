"""Planning and resuming at scale: jobs/s and peak memory of `write_plan`, and the resume scan.

    python benchmarks/plan_scale.py [--sizes 10000 100000 1000000] [--processes 0] [--scan-sizes 100000 1000000]
                                    [--scan-checks [header records journal touched]]

Each size is planned in a fresh process (peak RSS of that process and of its largest planning child,
from getrusage). Then the resume scan that `synthact render` runs before it renders anything (every
line validated, every job checked for its label and clip, each present clip checked) for each of
--scan-sizes: against an empty output folder, and against one where every clip is present, by two
checks side by side: the MP4 header of each clip (before issue 29) and the label head plus clip
record (each label's first 4 KiB and last bytes, one stat of its clip). The clips are one real clip
of the plan's size and length, hard-linked to every job's path (a new original every 60,000 links,
ext4's limit); the labels are real files, one per job, with the job's fields, the clip's record,
the job itself and padding to about 6 kB, and a journal entry per job as workers write them. The scan
`synthact render` runs (journal entries, core.label.journal) is measured beside the checks before it. A
last pair of rows changes every clip's modification time (a folder copied without its times): no entry
matches, so every clip is hashed and journaled again; then the same folder once more.
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
    from render_farm.dataset.folder import OutputFolder, header_problem
    folder, mode = OutputFolder(Path(sys.argv[1])), sys.argv[2]
    t = time.perf_counter()
    if mode == "journal":  # what `synthact render` runs now
        scan = folder.scan()
        planned, todo = scan.planned, len(scan.todo)
    else:
        complete = folder.complete(check=mode == "records")
        planned = todo = 0
        for job in folder.jobs():
            planned += 1
            present = job in complete
            if present and mode == "header":  # the check before issue 29
                present = header_problem(folder.root / job.clip_path, job) is None
            todo += not present
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"planned": planned, "todo": todo, "seconds": wall, "rss_mb": rss}))
""")


CHECKS = {
    "header": "every clip present: MP4 headers (before issue 29)",
    "records": "every clip present: label heads and clip records (every label read)",
    "journal": "every clip present: journal entries (no label read)",
    "touched": "mtimes changed: full check, every clip hashed, entries written",
}


def run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def complete_all(out: Path) -> list[Path]:
    """A clip and a label for every job, as a finished run leaves them; returns the clip originals."""
    import numpy as np

    from render_farm.core.label.integrity import clip_file
    from render_farm.core.label.journal import JOURNAL_DIR, entry_line, line_digest, stamp
    from render_farm.video import ClipEncoder

    first = json.loads(open(out / "jobs.jsonl", encoding="utf-8").readline())["render"]
    clip = out / "clip-0.mp4"
    encoder = ClipEncoder(clip, first["width"], first["height"], first["fps"])
    for k in range(first["frames"]):
        encoder.write(np.full((first["height"], first["width"], 3), k * 7 % 255, dtype=np.uint8))
    encoder.close()
    originals, record = [clip], clip_file(clip).model_dump()
    folders, links = set(), 0
    padding = [[[0.12345, 0.12345, 0.12345]] * 24] * 4
    (out / JOURNAL_DIR).mkdir(exist_ok=True)
    journal_file = open(out / JOURNAL_DIR / "benchmark.tsv", "w", encoding="ascii")  # noqa: SIM115
    entries: list[str] = []
    with open(out / "jobs.jsonl", encoding="utf-8") as f:
        for line in f:
            job = json.loads(line)
            if links and links % 60_000 == 0:  # ext4 allows 65,000 links to one file: start a new original
                clip = out / f"clip-{links}.mp4"
                shutil.copyfile(originals[0], clip)
                originals.append(clip)
                record = clip_file(clip).model_dump()
            links += 1
            for rel in (job["clip_path"], job["label_path"]):
                if (out / rel).parent not in folders:
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                    folders.add((out / rel).parent)
            os.link(clip, out / job["clip_path"])
            r = job["render"]
            label = {"schema_version": 3, "clip": job["clip_path"], "clip_file": record, "job_id": job["job_id"],
                     "plan_id": job["plan_id"], "action_id": job["action_id"], "action_label": job["action_label"],
                     "class_index": job["class_index"], "template_id": job["template_id"], "seed": job["seed"],
                     "split": job["split"], "fps": r["fps"], "frame_count": r["frames"], "width": r["width"],
                     "height": r["height"], "params": job, "joints_3d": padding}
            (out / job["label_path"]).write_text(json.dumps(label, separators=(",", ":")), encoding="utf-8")
            # The worker's journal entry for the line it rendered (one file here: one writer).
            entries.append(entry_line(line_digest(line.encode("utf-8")), stamp(str(out / job["label_path"])),
                                      stamp(str(out / job["clip_path"]))))
            if len(entries) >= 10_000:
                journal_file.write("".join(entries))
                entries.clear()
    journal_file.write("".join(entries))
    journal_file.close()
    return originals


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--processes", type=int, default=0, help="planning processes (0: the default for the size)")
    p.add_argument("--scan-checks", nargs="*", default=list(CHECKS), choices=list(CHECKS),
                   help="which scans of the complete folder to run (the empty folder's always runs; none: only it)")
    p.add_argument("--scan-sizes", type=int, nargs="*", default=[100_000, 1_000_000],
                   help="plans whose resume scan is measured (each writes a clip link and a label per job)")
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
        print("\n| resume scan of | planned | to render | seconds | us a job | peak RSS (MB) |\n"
              "|---|---|---|---|---|---|")

        def row(what: str, r: dict) -> None:
            print(f"| {what} | {r['planned']:,} | {r['todo']:,} | {r['seconds']:.1f} | "
                  f"{r['seconds'] / r['planned'] * 1e6:.0f} | {r['rss_mb']:.0f} |", flush=True)

        for size in args.scan_sizes:
            out = root / str(size)
            if not out.is_dir():
                run(PLAN, str(size), str(out), str(args.processes))
            row("an empty folder", run(SCAN, str(out), "journal"))
            if not args.scan_checks:
                shutil.rmtree(out)
                continue
            originals = complete_all(out)
            for check in ("header", "records", "journal"):
                if check in args.scan_checks:
                    row(CHECKS[check], run(SCAN, str(out), check))
            if "touched" in args.scan_checks:
                for clip in originals:  # a copy without times: no entry matches, every clip is hashed
                    os.utime(clip, ns=(1, 1))
                row(CHECKS["touched"], run(SCAN, str(out), "journal"))
                row("the same folder again: journal entries", run(SCAN, str(out), "journal"))
            shutil.rmtree(out)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
