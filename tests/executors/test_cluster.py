"""Cluster backends against real engines, each inside a private network and PID namespace: every
address is loopback, and whatever the test starts dies with the namespace."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from render_farm import pipeline
from render_farm.dataset.verify import verify_dataset

HERE = Path(__file__).resolve().parent
NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]


def in_namespace(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    # A second loopback address: glibc's getaddrinfo(AI_ADDRCONFIG), which Slurm uses, returns no IPv4
    # address at all when 127.0.0.1 is the only one configured.
    command = (f'ip link set lo up && ip addr add 127.0.0.2/8 dev lo && exec "{sys.executable}" "{script}" '
               + " ".join(f'"{a}"' for a in args))
    return subprocess.run([*NAMESPACE, "bash", "-c", command], capture_output=True, text=True, timeout=timeout,
                          check=False)


def small_config(tmp_path: Path, clips: int, **over) -> Path:
    config = tmp_path / "cluster.yaml"
    config.write_text(yaml.safe_dump({
        "seed": 11, "actions": ["wave", "squat"], "clips_per_action": clips, "frames": 12, "fps": 12,
        "resolution": [64, 64], "engine": "workbench", "val_fraction": 0.0, **over,
    }))
    return config


def assert_complete(out: Path, expected: int) -> None:
    jobs = pipeline.load_jobs(out)
    assert len(jobs) == expected
    assert all(pipeline.is_complete(out, j) for j in jobs)
    problems, checked = verify_dataset(out)  # every clip decodes fully, labels match
    assert problems == [] and checked == expected
    assert not [p for d in ("clips", "labels") for p in (out / d).rglob(".*") if p.is_file()]  # no temporaries
    assert not (out / "failures.jsonl").exists()


# CI installs every engine (make test): there a missing one fails instead of skipping.
IN_CI = bool(os.environ.get("CI"))
pytestmark = pytest.mark.skipif(shutil.which("unshare") is None and not IN_CI, reason="needs unshare (util-linux)")


def need(module: str):
    return importlib.import_module(module) if IN_CI else pytest.importorskip(module)


@pytest.mark.slow
def test_ray_cluster_renders_everything_when_a_node_dies(tmp_path, default_body, body_dir):
    need("ray")
    out = tmp_path / "ds"
    done = in_namespace(str(HERE / "cluster" / "ray_scenario.py"), str(small_config(tmp_path, 3)), str(out),
                        str(tmp_path / "result.json"), timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["render_running_at_kill"], result  # the node died mid-run
    assert result["clips_before_kill"] < 6
    assert result["returncode"] == 0, result["stderr"]
    assert "6 clips rendered" in result["stderr"]
    assert_complete(out, 6)
    # --recycle-after 1: no Ray worker process rendered two clips.
    pids = [json.loads(p.read_text())["render_stats"]["worker_pid"] for p in (out / "labels").rglob("*.json")]
    assert len(pids) == 6 and len(set(pids)) == 6, pids
    # Ctrl-C while clips were being rendered: the tasks are cancelled and gone before the run exits.
    stop = result["interrupt"]
    assert stop["running_at_signal"] and stop["tasks_before"], stop
    assert stop["returncode"] == 130, stop["stderr"]
    assert stop["stderr"].strip().splitlines()[-1].startswith("error: interrupted: "), stop["stderr"]
    assert stop["tasks_after"] == [] and stop["temporaries"] == [], stop
    assert len(stop["labels"]) < 6, stop
    assert stop["rerun_returncode"] == 0, stop["rerun_stderr"]
    assert f"{6 - len(stop['labels'])} clips rendered, {len(stop['labels'])} already present" in stop["rerun_stderr"]
    assert_complete(Path(f"{out}-interrupted"), 6)
    # A GPU device: refused in one line while no node has a GPU; with one, 4 tasks share it (here
    # Blender finds no CUDA device on it and renders on the CPU, and says so).
    gpu = result["gpu"]
    assert gpu["refused_returncode"] == 2, gpu["refused_stderr"]
    assert gpu["refused_stderr"].strip().splitlines()[-1] == (
        f"error: --device cuda: the Ray cluster at {result['address']} has no GPU (no node declares one); use "
        "--device cpu, or start nodes with GPUs"), gpu["refused_stderr"]
    assert gpu["returncode"] == 0, gpu["stderr"]
    assert "--device cuda: no usable GPU on the worker; rendering on the CPU" in gpu["stderr"]
    assert gpu["labels"] == 2 and gpu["devices"] == ["CPU"], gpu
    assert_complete(Path(f"{out}-gpu"), 2)


@pytest.mark.skipif(shutil.which("slurmctld") is None and not IN_CI, reason="needs Debian's slurmctld, slurmd, munge")
def test_slurm_array_renders_and_a_resubmission_renders_only_what_is_missing(tmp_path, default_body, body_dir):
    need("submitit")
    out = tmp_path / "ds"
    done = in_namespace(str(HERE / "cluster" / "slurm_scenario.py"), str(small_config(tmp_path, 2)), str(out),
                        str(tmp_path / "result.json"), timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    jobs = pipeline.load_jobs(out)
    shard0 = {str(Path(j.label_path).relative_to("labels")) for j in jobs[0::2]}
    # First run: submitit array of shards 0 and 1, one at a time; shard 1 was cancelled while it waited.
    assert result["cancelled"] and result["cancelled"].endswith("_1"), result
    assert result["first"]["returncode"] == 1, result["first"]["stderr"]
    assert "submitted Slurm array" in result["first"]["stderr"] and "(submitit): shards [0, 1] of 2" in \
        result["first"]["stderr"]
    assert "2 of 4 clips failed" in result["first"]["stderr"]
    assert set(result["labels_after_first"]) == shard0
    # Resubmission (sbatch script): only shard 1 goes to Slurm, shard 0's clips are left as they were.
    assert result["second"]["returncode"] == 0, result["second"]["stderr"]
    assert "(sbatch): shards [1] of 2" in result["second"]["stderr"]
    assert "#SBATCH --array=1%1" in result["sbatch_script"]
    for name, mtime in result["mtimes_after_first"].items():
        assert result["mtimes_after_second"][name] == mtime
    assert_complete(out, 4)
    # Ctrl-C while an array task encoded a clip: the array is scancelled and gone before the run exits.
    stop = result["interrupt"]
    assert stop["running_at_signal"] and stop["queue_at_signal"], stop
    assert stop["returncode"] == 130, stop["stderr"]
    assert stop["stderr"].strip().splitlines()[-1].startswith("error: interrupted: "), stop["stderr"]
    assert stop["queue_after"] == [] and stop["processes_after"] == [] and stop["temporaries"] == [], stop
    assert len(stop["labels"]) < 4, stop
    assert stop["rerun_returncode"] == 0, stop["rerun_stderr"]
    assert_complete(Path(f"{out}-interrupted"), 4)


def test_shards_cover_the_plan_once_and_resubmit_only_what_is_missing(tmp_path):
    from render_farm.core.plan.config import load_config
    from render_farm.executors.slurm import SlurmOptions, sbatch_script, shard_of, shards_to_submit

    jobs = pipeline.prepare(load_config(small_config(tmp_path, 5)), tmp_path / "ds")
    parts = [list(shard_of(iter(jobs), i, 3)) for i in range(3)]
    assert sorted(j.job_id for p in parts for j in p) == sorted(j.job_id for j in jobs)
    done = {j.job_id for j in parts[0] + parts[2]}
    assert shards_to_submit(jobs, lambda j: j.job_id in done, 3) == [1]
    assert shards_to_submit(jobs, lambda j: True, 3) == []
    script = sbatch_script(tmp_path / "ds", tmp_path / "bodies", [1], SlurmOptions(shards=3, partition="gpu",
                                                                                      array_parallelism=2))
    assert "#SBATCH --array=1%2" in script and "#SBATCH --partition=gpu" in script
    assert f"render-shard {tmp_path / 'ds'} --shard $SLURM_ARRAY_TASK_ID --of 3" in script
    assert "--blender" not in script
    # A Blender application on the nodes: every array task renders with it (a path with a space, quoted).
    options = SlurmOptions(shards=3, blender="/opt/b 4/blender")
    script = sbatch_script(tmp_path / "ds", tmp_path / "bodies", [1], options)
    assert script.splitlines()[-1].endswith("--watchdog 600 --blender '/opt/b 4/blender'")


@pytest.mark.slow
@pytest.mark.parametrize("blender", [None, "blender"], ids=["bpy", "blender-application"])
def test_submitit_local_executor_renders_shards(tmp_path, default_body, body_dir, blender):
    submitit = need("submitit")
    from render_farm.core.plan.config import load_config
    from render_farm.executors.base import RunLimits
    from render_farm.executors.slurm import _render_shard_task

    if blender and shutil.which(blender) is None and not IN_CI:
        pytest.skip("no Blender application (make test installs Debian's)")
    out = tmp_path / "ds"
    # Mesh hair: Debian's Blender 3.4 has no hair node assets.
    jobs = pipeline.prepare(load_config(small_config(tmp_path, 1, outfit={"hair_geometry": "mesh"})), out)
    pipeline.ensure_bodies(jobs, body_dir, Console(file=open(os.devnull, "w")))  # as `synthact render` does first
    executor = submitit.AutoExecutor(folder=tmp_path / "submitit", cluster="local")
    executor.update_parameters(timeout_min=20)
    jobs = executor.map_array(_render_shard_task, [str(out)] * 2, [str(body_dir)] * 2, [0, 1], [2, 2], [1, 1],
                              ["cpu"] * 2, [RunLimits()] * 2, [blender] * 2)
    assert [j.result() for j in jobs] == [0, 0]  # no clip failed in either shard
    renderers = {json.loads(p.read_text())["renderer"] for p in (out / "labels").rglob("*.json")}
    assert renderers == {"Blender 5.0.1 (bpy module)" if blender is None else
                         f"Blender 3.4.1 at {os.path.realpath(shutil.which('blender'))}"}
    # As after a hand-submitted array: rendering the plan renders nothing and writes the split lists.
    summary, _ = pipeline.render_plan(out / "jobs.jsonl", None, body_dir)
    assert (summary.rendered, summary.skipped) == (0, 2)
    assert_complete(out, 2)


def test_render_shard_rejects_a_shard_outside_the_plan(tmp_path):
    from render_farm.core.plan.config import load_config

    pipeline.prepare(load_config(small_config(tmp_path, 1)), tmp_path / "ds")
    done = subprocess.run([str(Path(sys.executable).parent / "synthact"), "render-shard", str(tmp_path / "ds"),
                           "--shard", "3", "--of", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--shard 3: must be in 0..1" in done.stderr


@pytest.mark.slow
def test_a_ray_task_renders_with_a_blender_application(tmp_path, default_body, body_dir):
    """The task function Ray runs on a node, called as a node's worker process calls it (in a process of its own:
    it claims a core), twice: with --blender it renders through the one Blender application it keeps. The Ray
    backend itself is the test above."""
    from render_farm.core.plan.config import load_config

    if shutil.which("blender") is None and not IN_CI:
        pytest.skip("no Blender application (make test installs Debian's)")
    out = tmp_path / "ds"
    pipeline.prepare(load_config(small_config(tmp_path, 1, outfit={"hair_geometry": "mesh"})), out)
    code = ("import json, sys\n"
            "from render_farm.executors.ray_cluster import _render_task\n"
            "lines = open(sys.argv[1] + '/jobs.jsonl').read().splitlines()\n"
            "print(json.dumps([_render_task(line, sys.argv[1], sys.argv[2], 'cpu', 'blender') for line in lines]))\n")
    done = subprocess.run([sys.executable, "-c", code, str(out), str(body_dir)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(stats) == 2 and len({s["worker_pid"] for s in stats}) == 1  # one Blender kept for both jobs
    summary, _ = pipeline.render_plan(out / "jobs.jsonl", None, body_dir)
    assert (summary.rendered, summary.skipped) == (0, 2)
    assert_complete(out, 2)
