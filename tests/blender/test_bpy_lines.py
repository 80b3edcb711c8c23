"""The two bpy lines render one job alike: bpy 5.0.1 (Python 3.11, this suite) and bpy 5.1 (Python 3.13, the
environment `make test` builds in .venv-bpy51). Frames differ by less than the path tracer's own seed noise,
labels are equal but for the renderer and the timings."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from render_farm.blender import scene as scene_module
from render_farm.blender import worker
from tests.blender.test_blender_worker import decode, make_jobs
from tests.conftest import REPO

BPY51_PYTHON = Path(os.environ.get("SYNTHACT_BPY51_PYTHON", REPO / ".venv-bpy51" / "bin" / "python"))
RENDER = """
import sys
from pathlib import Path
from render_farm.blender.worker import render_job
from render_farm.core.plan.jobs import Job
render_job(Job.model_validate_json(Path(sys.argv[1]).read_text()), Path(sys.argv[2]), Path(sys.argv[3]))
"""


@pytest.mark.blender
@pytest.mark.slow
@pytest.mark.skipif(not BPY51_PYTHON.exists() and not os.environ.get("CI"),
                    reason="no bpy 5.1 environment (make test builds .venv-bpy51 where a Python 3.13 is)")
def test_bpy_5_0_and_5_1_render_a_job_within_seed_noise(tmp_path, default_body, body_dir, monkeypatch):
    folders = {name: tmp_path / name for name in ("ours", "theirs", "seed1")}
    job = None
    for folder in folders.values():
        job = make_jobs(folder, ["handshake"], engine="cycles", frames=3, size=(96, 96), samples=16,
                        scene={"distractors": 2}, annotations={"mask": True, "depth": True})[0]
    (tmp_path / "job.json").write_text(job.model_dump_json())
    done = subprocess.run([str(BPY51_PYTHON), "-c", RENDER, str(tmp_path / "job.json"), str(folders["theirs"]),
                           str(body_dir)], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    worker.render_job(job, folders["ours"], body_dir)
    configure = scene_module.configure

    def another_seed(sc, params, threads):
        configure(sc, params, threads)
        sc.cycles.seed = 1

    monkeypatch.setattr(scene_module, "configure", another_seed)
    worker.render_job(job, folders["seed1"], body_dir)

    frames = {name: np.stack(decode(folder / job.clip_path)[0]).astype(np.float64) for name, folder in folders.items()}
    between_versions = np.abs(frames["ours"] - frames["theirs"]).mean()
    seed_noise = np.abs(frames["ours"] - frames["seed1"]).mean()
    assert seed_noise > 0.5  # the seed does change the noise
    assert between_versions < 0.75 * seed_noise, (between_versions, seed_noise)

    labels, renderers = {}, {}
    for name in ("ours", "theirs"):
        label = json.loads((folders[name] / job.label_path).read_text())
        renderers[name] = label["renderer"]
        labels[name] = {k: v for k, v in label.items() if k not in ("renderer", "render_stats", "clip_file")}
    assert renderers["ours"] == "Blender 5.0.1 (bpy module)"
    assert renderers["theirs"].startswith("Blender 5.1.") and renderers["theirs"].endswith(" (bpy module)")
    assert labels["ours"] == labels["theirs"]
    with np.load(folders["ours"] / job.passes_path) as ours, np.load(folders["theirs"] / job.passes_path) as theirs:
        assert (ours["mask"] == theirs["mask"]).mean() > 0.999
        assert np.abs(ours["depth"].astype(np.float32) - theirs["depth"].astype(np.float32)).max() < 0.01
