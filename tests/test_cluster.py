"""Cluster backends against real engines, each inside a private network and PID namespace: every
address is loopback, and whatever the test starts dies with the namespace."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from render_farm import pipeline
from render_farm.verify import verify_dataset

HERE = Path(__file__).resolve().parent
NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]


def in_namespace(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    command = f'ip link set lo up && exec "{sys.executable}" "{script}" ' + " ".join(f'"{a}"' for a in args)
    return subprocess.run([*NAMESPACE, "bash", "-c", command], capture_output=True, text=True, timeout=timeout,
                          check=False)


def small_config(tmp_path: Path, clips: int) -> Path:
    config = tmp_path / "cluster.yaml"
    config.write_text(yaml.safe_dump({
        "seed": 11, "actions": ["wave", "squat"], "clips_per_action": clips, "frames": 12, "fps": 12,
        "resolution": [64, 64], "engine": "workbench", "val_fraction": 0.0,
    }))
    return config


def assert_complete(out: Path, expected: int) -> None:
    jobs = pipeline.load_jobs(out)
    assert len(jobs) == expected
    assert all(pipeline.is_complete(out, j) for j in jobs)
    problems, checked = verify_dataset(out)  # every clip decodes fully, labels match
    assert problems == [] and checked == expected
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary files
    assert not (out / "failures.jsonl").exists()


pytestmark = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")


def test_ray_cluster_renders_everything_when_a_node_dies(tmp_path, default_body, body_dir):
    pytest.importorskip("ray")
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
