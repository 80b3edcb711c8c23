"""A real two-node Ray cluster renders a dataset while its second node is killed.

Run inside a private network and PID namespace (see tests/executors/test_cluster.py):

    python ray_scenario.py CONFIG OUT_DIR RESULT.json

Starts a head and a second node with ray.cluster_utils.Cluster (one CPU each), runs
`synthact render CONFIG --backend ray --address ...` as a user would, kills the second
node once the first clip is done, waits for the render to finish (bounded). Then renders
the config into OUT_DIR-interrupted and sends SIGINT (Ctrl-C) while clips are being
encoded: records the exit, the Ray task processes still alive, and a rerun. Then renders
with `--device cuda` (one clip an action) before and after a node that declares a GPU joins. Records what happened
and shuts the cluster down by its own handles.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

# Notice a dead node in about 1.5 s instead of 6-9 s.
os.environ.update(RAY_health_check_period_ms="500", RAY_health_check_timeout_ms="500",
                  RAY_health_check_failure_threshold="3")

from interrupting import interrupt_mid_clip, live_processes, restore_sigint  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

RENDER_TIMEOUT_S = 900
POLL_S = 0.2


def rendering_tasks() -> list[str]:
    # Ray names a worker process after the task it runs (`ray::_render_task`); idle ones are `ray::IDLE`.
    return live_processes(lambda cmd: cmd.startswith("ray::_render_task"))


def interrupt(config: str, out_dir: str, address: str) -> dict:
    synthact = Path(sys.executable).parent / "synthact"
    command = [str(synthact), "render", config, "--out", out_dir, "--backend", "ray", "--address", address]
    render = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=restore_sigint)
    found = interrupt_mid_clip(render, out_dir, lambda: {"tasks_before": rendering_tasks()})
    found["tasks_after"] = rendering_tasks()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    found.update(rerun_returncode=rerun.returncode, rerun_stderr=rerun.stderr[-3000:])
    return found


def gpu_device(config: str, out_dir: str, cluster: Cluster, node_args: dict) -> dict:
    """`--device cuda` on Ray: refused while no node has a GPU; with a node that declares one (Ray
    trusts what a node declares; there is no GPU here) the tasks get a share of it, and the worker
    falls back to the CPU because Blender finds no CUDA device."""
    synthact = Path(sys.executable).parent / "synthact"
    # One clip an action (Cycles, on the CPU in the end): what is checked is where the tasks run, not how many.
    small = Path(out_dir + ".yaml")
    small.write_text(yaml.safe_dump({**yaml.safe_load(Path(config).read_text()), "clips_per_action": 1}))
    command = [str(synthact), "render", str(small), "--out", out_dir, "--backend", "ray", "--address",
               cluster.address, "--device", "cuda", "--engine", "cycles"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    cluster.add_node(**node_args, num_gpus=1)
    cluster.wait_for_nodes()
    done = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
    labels = sorted(Path(out_dir, "labels").rglob("*.json"))
    return {"refused_returncode": refused.returncode, "refused_stderr": refused.stderr[-2000:],
            "returncode": done.returncode, "stderr": done.stderr[-3000:],
            "devices": sorted({json.loads(p.read_text())["render_device"] for p in labels}), "labels": len(labels)}


def main(config: str, out_dir: str, result_path: str) -> None:
    result: dict = {}
    # Ray's socket paths must stay under 108 bytes: a short folder, removed afterwards.
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    os.environ["RAY_TMPDIR"] = str(temp)  # also where Ray records the "current cluster", never /tmp/ray
    (temp / "ray").mkdir()
    node_args = {"num_cpus": 1, "object_store_memory": 100_000_000, "include_dashboard": False}
    cluster = None
    try:
        cluster = Cluster(initialize_head=True, head_node_args={**node_args, "temp_dir": str(temp / "ray")})
        second = cluster.add_node(**node_args)
        cluster.wait_for_nodes()
        result["address"] = cluster.address
        synthact = Path(sys.executable).parent / "synthact"
        # Every Ray worker process is replaced after each task: the recycle limit is crossed on every clip.
        render = subprocess.Popen([str(synthact), "render", config, "--out", out_dir, "--backend", "ray",
                                   "--address", cluster.address, "--recycle-after", "1"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        start = time.monotonic()
        labels = Path(out_dir) / "labels"
        while time.monotonic() - start < RENDER_TIMEOUT_S and render.poll() is None:
            if labels.is_dir() and any(labels.rglob("*.json")):
                break
            time.sleep(POLL_S)
        result["clips_before_kill"] = len(list(labels.rglob("*.json"))) if labels.is_dir() else 0
        result["render_running_at_kill"] = render.poll() is None
        cluster.remove_node(second, allow_graceful=False)
        try:
            stdout, stderr = render.communicate(timeout=RENDER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            render.kill()
            stdout, stderr = render.communicate()
        result["returncode"] = render.returncode
        result["stdout"], result["stderr"] = stdout[-2000:], stderr[-4000:]
        result["interrupt"] = interrupt(config, out_dir + "-interrupted", cluster.address)
        result["gpu"] = gpu_device(config, out_dir + "-gpu", cluster, node_args)
    finally:
        if cluster is not None:
            cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        Path(result_path).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
