"""Ray workers pinned to a core each (claim_core) against unpinned ones, on the same plan.

    python benchmarks/ray_pinning.py [--clips 8] [--frames 16] [--samples 16] [--rounds 4]

Runs as root: re-executes itself inside a private network and PID namespace (as the cluster
tests do), where it starts a one-node Ray cluster with one CPU per core for each round, with
SYNTHACT_PIN_CORES=1 or 0 in the workers' environment, alternating (pinned, unpinned, unpinned,
pinned, ...) so that drift of a shared machine favours neither. Renders through the Ray backend
(`RayExecutor`) and prints clips/hour of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks", "clap", "run"]
INSIDE = "SYNTHACT_BENCH_NAMESPACE"


def reexec_in_namespace() -> int:
    command = f'ip link set lo up && exec "{sys.executable}" ' + " ".join(f'"{a}"' for a in sys.argv)
    return subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", "bash", "-c", command],
                          env={**os.environ, INSIDE: "1"}, check=False).returncode


def render_round(jobs, out: Path, bodies: Path, pinned: bool) -> float:
    from ray.cluster_utils import Cluster

    from render_farm.dataset.folder import OutputFolder
    from render_farm.executors.base import RunLimits
    from render_farm.executors.cores import PIN_ENV, available_cores
    from render_farm.executors.ray_cluster import RayExecutor

    os.environ[PIN_ENV] = "1" if pinned else "0"  # the raylet, and so every worker, inherits it
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    os.environ["RAY_TMPDIR"] = str(temp)
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": available_cores(), "object_store_memory": 100_000_000, "include_dashboard": False,
        "temp_dir": str(temp / "ray")})
    try:
        t = time.perf_counter()
        outcomes = []
        RayExecutor(cluster.address).run(jobs, len(jobs), OutputFolder(out), bodies, RunLimits(), outcomes.append)
        wall = time.perf_counter() - t
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        return wall
    finally:
        cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=8, help="clips per layout")
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--rounds", type=int, default=4)
    args = p.parse_args()
    if not os.environ.get(INSIDE):
        return reexec_in_namespace()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.plan.config import parse_config
    from render_farm.executors.cores import available_cores

    root = Path(tempfile.mkdtemp(prefix="synthact-raypin-"))
    per_action = max(1, -(-args.clips // len(ACTIONS)))
    config = parse_config({"seed": 8, "actions": ACTIONS, "clips_per_action": per_action, "frames": args.frames,
                           "fps": 16, "resolution": [224, 224], "samples": args.samples, "denoise": False,
                           "val_fraction": 0.0},
                          "benchmark")
    bodies = default_cache_dir()
    walls = {"pinned": 0.0, "unpinned": 0.0}
    plans = {}
    for mode in walls:
        plans[mode] = pipeline.prepare(config, root / mode)[: args.clips]
        pipeline.ensure_bodies(plans[mode], bodies, Console(stderr=True, quiet=True))
    for r in range(args.rounds):
        for mode in (("pinned", "unpinned") if r % 2 == 0 else ("unpinned", "pinned")):
            part = plans[mode][r :: args.rounds]
            walls[mode] += render_round(part, root / mode, bodies, mode == "pinned")
    n = args.clips
    print(f"{n} clips per layout, 224x224 x {args.frames} frames, Cycles {args.samples} samples, one Ray node "
          f"with {available_cores()} CPUs (one task per CPU)\n")
    print("| Ray workers | wall s | clips/hour |")
    print("|---|---|---|")
    for mode, wall in walls.items():
        print(f"| {mode} | {wall:.1f} | {n / wall * 3600:.0f} |")
    print(f"\npinned / unpinned clips/hour: {walls['unpinned'] / walls['pinned']:.2f}")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
