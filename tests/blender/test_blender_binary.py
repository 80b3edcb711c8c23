"""Rendering with a Blender application (`synthact render --blender PATH`): the same pool, recycling, watchdog,
retries and signals as the bpy module, with Debian's Blender 3.4 (`make test` installs it), whose Python
has neither pydantic nor ffmpeg-python: the worker inside it needs only numpy and the project's modules."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, session_processes
from tests.executors.test_farm_scale import (
    STOP_S,
    SYNTHACT,
    _wait_until,
    env_with,
    frame_count,
    labels,
    listed_clips,
    tiny_config,
)

# Outside CI a developer without a Blender executable may skip these; in CI (CI=true) they must run.
BLENDER = shutil.which("blender")
_no_blender = pytest.mark.skipif(BLENDER is None and not os.environ.get("CI"),
                                 reason="no Blender executable (make test installs one)")


def needs_blender(test):
    """A test that renders with the Blender application: slow, and outside the quick lane."""
    return _no_blender(pytest.mark.blender(pytest.mark.slow(test)))

MESH_HAIR = {"hair_geometry": "mesh"}  # Debian's Blender 3.4 predates the hair node assets (3.5)


def blender_config(tmp_path: Path, clips: int, **over) -> Path:
    return tiny_config(tmp_path, clips=clips, outfit=MESH_HAIR, **over)


def serve_processes(scratch: Path) -> list[int]:
    """Blender applications running the SynthAct worker for a run whose scratch folder (TMPDIR) is `scratch`:
    the links folder each one imports from lies in it. Others' (a test running beside this one) are not
    counted."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (cmdline.parent / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = f"SYNTHACT_WORKER_PATH={scratch}/".encode()
        if "render_farm/blender/serve.py" in text and "--python" in text and any(e.startswith(ours) for e in environ):
            found.append(int(cmdline.parent.name))
    return found


def start_render(tmp_path: Path, clips: int, workers: int) -> tuple[subprocess.Popen, Path, Path]:
    """A run of 12-frame clips through Blender applications, in the background: (process, output, scratch)."""
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([SYNTHACT, "render", str(blender_config(tmp_path, clips, frames=12)), "--out", str(out),
                             "--workers", str(workers), "--blender", "blender"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, env=env_with(scratch))
    return proc, out, scratch


@needs_blender
def test_a_blender_application_renders_through_the_pool_recycling_every_two_jobs(tmp_path, default_body):
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([SYNTHACT, "render", str(blender_config(tmp_path, 4)), "--out", str(out), "--workers", "2",
                           "--recycle-after", "2", "--blender", "blender"], capture_output=True, text=True,
                          timeout=900, env=env_with(scratch))
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"12 clips rendered, 0 already present, 0 failed; train 9, val 3 -> {out}"
    clips = listed_clips(out)
    assert len(clips) == 12 and all(frame_count(out / c) == 4 for c in clips)
    verified = subprocess.run([SYNTHACT, "verify", str(out)], capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    found = labels(out)
    assert {label["renderer"] for label in found} == {f"Blender 3.4.1 at {os.path.realpath(BLENDER)}"}
    # Each Blender rendered 2 clips (its pool worker was recycled after 2, and the Blender with it).
    per_blender: dict[int, int] = {}
    for label in found:
        pid = int(label["render_stats"]["worker_pid"])
        per_blender[pid] = per_blender.get(pid, 0) + 1
    assert max(per_blender.values()) == 2 and list(per_blender.values()).count(2) >= 5, per_blender
    assert serve_processes(scratch) == [] and list(scratch.iterdir()) == []


@needs_blender
def test_a_killed_blender_fails_only_its_job_which_is_retried(tmp_path, default_body):
    proc, out, scratch = start_render(tmp_path, clips=3, workers=1)
    # Kill the Blender in the middle of a clip: once a clip is being encoded and another is already done.
    assert _wait_until(lambda: len(list(out.glob("labels/*/*.json"))) >= 1 and serve_processes(scratch)
                       and any(p.name.endswith(".partial") for p in out.rglob(".*"))), "never rendered"
    victims = serve_processes(scratch)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]
    assert "9 clips rendered, 0 already present, 0 failed" in stderr
    assert len(listed_clips(out)) == 9 and all(frame_count(out / c) == 12 for c in listed_clips(out))
    rendered_by = {int(label["render_stats"]["worker_pid"]) for label in labels(out)}
    assert rendered_by & set(victims) and len(rendered_by) >= 2  # the killed Blender's clips, then its successor's
    assert session_processes(proc.pid) == [] and list(scratch.iterdir()) == []


@needs_blender
def test_the_watchdog_kills_a_hung_worker_and_its_blender(tmp_path, default_body):
    out, scratch, marker = tmp_path / "out", tmp_path / "tmp", tmp_path / "hung"
    scratch.mkdir()
    done = subprocess.run([SYNTHACT, "render", str(blender_config(tmp_path, 1)), "--out", str(out), "--workers", "1",
                           "--watchdog", "20", "--blender", "blender"], capture_output=True, text=True, timeout=900,
                          env=env_with(scratch, SYNTHACT_TEST_HANG_ONCE=str(marker)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.exists() and "3 clips rendered, 0 already present, 0 failed" in done.stderr
    assert len(list((out / "logs").glob("worker-*.log"))) == 2  # the hung worker and its replacement
    assert serve_processes(scratch) == [] and list(scratch.iterdir()) == []


@needs_blender
def test_sigterm_while_blender_renders_ends_the_run_and_leaves_nothing(tmp_path, default_body):
    proc, out, scratch = start_render(tmp_path, clips=4, workers=2)
    assert _wait_until(lambda: any(p.name.endswith(".partial") for p in out.rglob(".*"))), "never rendering"
    sent = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert time.monotonic() - sent < STOP_S, stderr[-2000:]
    assert proc.returncode == 130, stderr[-3000:]
    assert stderr.strip().splitlines()[-1].startswith("error: interrupted: ")
    assert _wait_until(lambda: session_processes(proc.pid) == [] and serve_processes(scratch) == [], timeout=10)
    assert not [p for p in out.rglob(".*") if p.is_file()], "temporary files remain"
    assert list(scratch.iterdir()) == [], "scratch folders remain"
    # The same command renders the rest.
    again = subprocess.run([SYNTHACT, "render", str(blender_config(tmp_path, 4, frames=12)), "--out", str(out),
                            "--workers", "2", "--blender", "blender"], capture_output=True, text=True, timeout=900,
                           env=env_with(scratch))
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(listed_clips(out)) == 12


@needs_blender
def test_a_job_failing_inside_blender_is_one_line_naming_the_cause(tmp_path, default_body):
    """Blender 3.4 ships no hair node assets: strand hair fails naming the missing asset and what to set."""
    out = tmp_path / "out"
    config = tiny_config(tmp_path, clips=1, actions=["wave"], val_fraction=0,
                         outfit={"hair": {"choice": ["long"]}, "hair_geometry": "curves"})
    done = subprocess.run([SYNTHACT, "render", str(config), "--out", str(out), "--workers", "1",
                           "--blender", "blender"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 1
    failure = json.loads((out / "failures.jsonl").read_text().splitlines()[0])
    assert "SynthActError: hair-node-assets:" in failure["error"]
    assert "procedural_hair_node_assets.blend does not exist" in failure["error"]
    assert failure["error"].endswith("set outfit.hair_geometry: mesh for this Blender (3.4.1)")
    assert not list(out.rglob("*.mp4"))


@pytest.mark.parametrize("script,expected", [
    ("echo hello", "is not a Blender (`-b --python-expr` printed no Blender version; exit code 0)"),
    ('echo "Blender 2.93.1 (hash 1b8d33b18c2f)"', "is Blender 2.93; SynthAct needs 3.4 or newer"),
    ("echo synthact-probe 4 2 0 3.11.7 None", "Blender 4.2.0 at {path}: its Python 3.11.7 has no numpy"),
])
def test_a_blender_that_cannot_render_is_refused_before_anything_is_written(tmp_path, script, expected):
    """Fakes stand for what cannot be installed here: something that is not Blender, a Blender too old, a
    Blender whose Python lacks numpy."""
    fake = tmp_path / "blender"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    out = tmp_path / "out"
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path, clips=1)), "--out", str(out),
                           "--blender", str(fake)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --blender: "), done.stderr
    assert expected.format(path=fake) in lines[0]
    assert not out.exists()


def test_a_missing_blender_is_refused_in_one_line(tmp_path):
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path, clips=1)), "--out", str(tmp_path / "o"),
                           "--blender", str(tmp_path / "nowhere" / "blender")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "SYNTHACT_BLENDER": "ignored-when-the-flag-is-given"})
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --blender: {tmp_path / 'nowhere' / 'blender'}: no such executable"


def test_the_blender_side_imports_neither_pydantic_nor_ffmpeg_python():
    """What blender/serve.py imports besides bpy, with every package a Blender's Python lacks blocked."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pydantic', 'pydantic_core', 'ffmpeg', 'yaml', 'typer', 'rich', 'av',"
        " 'torch', 'future'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import render_farm.blender.clip, render_farm.blender.hair, render_farm.core.scene.wire\n"
        "from render_farm.asset_check import handed_over, verify_file\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


@pytest.mark.blender
def test_frames_rendered_from_the_jobs_json_equal_those_from_the_job(tmp_path, default_body, body_dir):
    """The Blender application reads a job as JSON (wire.Plain) and its spec through a wire file: in the bpy
    module, that gives the very pixels and truths the pydantic job gives."""
    from render_farm.blender.clip import render_clip
    from render_farm.core.scene import wire
    from render_farm.dataset.clip_job import prepare
    from render_farm.video import read_bmp
    from tests.blender.test_blender_worker import make_jobs

    jobs = make_jobs(tmp_path, ["wave"], frames=3, size=(48, 48), annotations={"mask": True})
    jobs += make_jobs(tmp_path, ["pass_object"], frames=3, size=(48, 48), scene={"distractors": 2})
    for job in jobs:
        spec, body, partner = prepare(job, tmp_path, body_dir)
        results = []
        for as_sent in (False, True):
            frames: list[np.ndarray] = []

            def deliver(k, path, frames=frames):
                frames.append(read_bmp(path))
                path.unlink()

            if as_sent:
                wire.save(tmp_path / "w.npz", {"job": job.model_dump(mode="json"), "spec": spec})
                sent = wire.load(tmp_path / "w.npz")
                rendered = render_clip(wire.Plain.of(sent["job"]), sent["spec"], body, partner, tmp_path, deliver)
                wire.save(tmp_path / "r.npz", rendered)
                rendered = wire.load(tmp_path / "r.npz")
            else:
                rendered = render_clip(job, spec, body, partner, tmp_path, deliver)
            results.append((frames, rendered))
        (frames_a, a), (frames_b, b) = results
        assert len(frames_a) == 3 and all(np.array_equal(x, y) for x, y in zip(frames_a, frames_b, strict=True))
        assert frames_a[0].std() > 5
        for ta, tb in zip(a.truths + (a.partner_truths or []), b.truths + (b.partner_truths or []), strict=True):
            assert ta.bbox == tb.bbox and np.array_equal(ta.keypoints_3d, tb.keypoints_3d)
            assert np.array_equal(ta.joint_visible, tb.joint_visible)
        assert a.passes.keys() == b.passes.keys() and all(np.array_equal(a.passes[k], b.passes[k]) for k in a.passes)
        assert (a.partner_truths is None) == (job.partner is None)


def test_without_bpy_a_local_render_asks_for_a_blender_application(monkeypatch):
    """A Python with no bpy wheel (3.12) stands in here for the module missing: one line saying what to do, and a
    cluster backend is not judged by the submitting machine's modules."""
    import importlib.util

    from render_farm.pipeline import Backend
    from synthact.errors import SynthActError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bpy" else real(name, *a))
    version = ".".join(map(str, sys.version_info[:2]))
    with pytest.raises(SynthActError) as refused:
        Backend("local").check()
    assert str(refused.value) == (
        f"no bpy module in this Python {version} (bpy has wheels for CPython 3.11 and 3.13 only): render with a "
        "Blender application (--blender PATH, or SYNTHACT_BLENDER), or install SynthAct under Python 3.11 or 3.13")
    Backend("ray").check()  # nothing raised


@needs_blender
def test_denoising_on_a_blender_built_without_a_denoiser_is_one_line(tmp_path, default_body):
    out = tmp_path / "out"
    config = tiny_config(tmp_path, clips=1, actions=["wave"], val_fraction=0, engine="cycles", samples=2,
                         denoise=True, outfit=MESH_HAIR)
    done = subprocess.run([SYNTHACT, "render", str(config), "--out", str(out), "--workers", "1",
                           "--blender", "blender"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 1
    failure = json.loads((out / "failures.jsonl").read_text().splitlines()[0])
    assert failure["error"] == ("BlenderJobError: SynthActError: denoise: this Blender (3.4.1) was built without "
                                "OpenImageDenoise; set denoise: false, or render with another Blender")


def test_a_blender_that_does_not_answer_is_refused_at_the_probe_limit(tmp_path):
    """The probe's time limit, crossed twice with a stand-in that never answers (a refusal is not remembered)."""
    from render_farm.executors.blender_process import check_blender
    from synthact.errors import SynthActError

    fake = tmp_path / "blender"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    for _ in range(2):
        with pytest.raises(SynthActError) as refused:
            check_blender(str(fake), timeout=0.5)
        assert str(refused.value) == f"--blender: {fake}: no answer within 0.5 s; is it a Blender?"


FAKE_SERVE = """#!{python}
# Stands in for a Blender whose worker is stuck in a frame and ignores SIGTERM.
import json, os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
read_fd, write_fd = (int(fd) for fd in os.environ["SYNTHACT_WORKER_FDS"].split(","))
replies = open(write_fd, "w")
replies.write(json.dumps({{"ready": True}}) + "\\n")
replies.flush()
time.sleep(600)
"""


def test_a_blender_stuck_in_a_job_is_killed_after_the_stop_wait(tmp_path, monkeypatch):
    """close() in a job: SIGTERM, then SIGKILL once STOP_WAIT_S has passed; crossed three times."""
    from render_farm.executors import blender_process

    monkeypatch.setattr(blender_process, "STOP_WAIT_S", 0.5)
    fake = tmp_path / "blender"
    fake.write_text(FAKE_SERVE.format(python=sys.executable))
    fake.chmod(0o755)
    worker = blender_process.BlenderWorker(str(fake))
    for _ in range(3):
        worker.start()
        process = worker.process
        assert worker.running
        worker.busy = True  # as during a job
        start = time.monotonic()
        worker.close()
        assert time.monotonic() - start >= 0.5
        assert process.returncode == -signal.SIGKILL and worker.process is None and worker.links is None


def test_a_blender_path_longer_than_the_limit_is_refused_naming_the_field():
    from render_farm.core.plan.config import parse_config
    from synthact.errors import SynthActError

    parse_config({"actions": ["wave"], "blender": "b" * 4096}, "ok.yaml")
    with pytest.raises(SynthActError, match=r"^long.yaml: blender: String should have at most 4096 characters"):
        parse_config({"actions": ["wave"], "blender": "b" * 4097}, "long.yaml")
