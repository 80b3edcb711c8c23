"""The farm unattended: limits crossed many times with tiny jobs, a hung job, signals in every state,
plans whose memory does not grow with their length. Real Blender, real ffmpeg, decoded with PyAV."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import av
import pytest
import yaml

from render_farm.dataset.folder import SCRATCH_PREFIX, pid_namespace, remove_orphaned_scratch, scratch_name
from tests.conftest import DEFAULT_PHENOTYPE, REPO, session_processes
from tests.executors.cluster.interrupting import restore_sigint

SYNTHACT = str(Path(sys.executable).with_name("synthact"))
STOP_S = 15  # the bound: a signalled run is gone within this


def tiny_config(tmp_path: Path, clips: int = 8, **over) -> Path:
    """Workbench, 64x64, 4 frames, FXAA (1 sample): each clip about a second, so limits are crossed often."""
    data = {"seed": 5, "actions": ["wave", "squat", "punch"], "clips_per_action": clips, "frames": 4, "fps": 8,
            "resolution": [64, 64], "preset": "preview", "samples": 1, "val_fraction": 0.25,
            "body": {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()}}
    data.update(over)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def frame_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(c.streams.video[0]))


def listed_clips(out: Path) -> list[str]:
    return [ln.split()[0] for s in ("train", "val") for ln in (out / f"{s}.txt").read_text().splitlines()]


def labels(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "labels").rglob("*.json"))]


def env_with(tmp: Path, **extra: str) -> dict:
    # The run's scratch folders go to a temporary folder of the test's own, so they can be checked.
    return {**os.environ, "TMPDIR": str(tmp), **extra}


@pytest.mark.slow
def test_a_pool_recycling_every_two_jobs_renders_every_clip(tmp_path, default_body):
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path)), "--out", str(out), "--workers", "2",
                           "--recycle-after", "2"], capture_output=True, text=True, timeout=900,
                          env=env_with(scratch))
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"24 clips rendered, 0 already present, 0 failed; train 18, val 6 -> {out}"
    clips = listed_clips(out)
    assert len(clips) == 24
    assert all(frame_count(out / c) == 4 for c in clips)
    # Worker processes rendered 2 clips each: the limit was crossed 11-12 times, never stalling.
    per_worker: dict[int, int] = {}
    for label in labels(out):
        pid = label["render_stats"]["worker_pid"]
        per_worker[pid] = per_worker.get(pid, 0) + 1
    # (Which worker gets the last jobs depends on timing: at most two may end the run with one clip.)
    assert max(per_worker.values()) == 2 and list(per_worker.values()).count(2) >= 11, per_worker
    assert list(scratch.iterdir()) == []  # every scratch folder removed


@pytest.mark.slow
def test_the_watchdog_kills_a_hung_job_and_the_retry_completes_the_run(tmp_path, default_body):
    out, scratch, marker = tmp_path / "out", tmp_path / "tmp", tmp_path / "hung"
    scratch.mkdir()
    start = time.monotonic()
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path, clips=2)), "--out", str(out),
                           "--workers", "2", "--watchdog", "20"], capture_output=True, text=True, timeout=900,
                          env=env_with(scratch, SYNTHACT_TEST_HANG_ONCE=str(marker)))
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.exists()  # a job did hang (for an hour, had nothing killed it)
    assert "6 clips rendered, 0 already present, 0 failed" in done.stderr
    assert took > 20 and all(frame_count(out / c) == 4 for c in listed_clips(out))
    assert len(listed_clips(out)) == 6
    # The hung worker was killed and replaced: three worker processes logged, two rendered.
    assert len(list((out / "logs").glob("worker-*.log"))) == 3
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
def test_the_watchdog_is_crossed_twice_and_the_run_still_completes(tmp_path, default_body):
    # Two hangs: one job may hang on its first and second try and still render on its third (retries: 2).
    # 20 s: a tiny job's first frame (its scene built) comes within seconds even beside a CPU hog; a 4 s
    # watchdog once killed slow jobs on a busy machine, and counted their replacements here.
    out, scratch, marker = tmp_path / "out", tmp_path / "tmp", tmp_path / "hung"
    scratch.mkdir()
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path, clips=2)), "--out", str(out),
                           "--workers", "2", "--watchdog", "20"], capture_output=True, text=True, timeout=900,
                          env=env_with(scratch, SYNTHACT_TEST_HANG_ONCE=str(marker), SYNTHACT_TEST_HANG_COUNT="2"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.exists() and Path(f"{marker}.1").exists()  # both hangs happened
    assert "6 clips rendered, 0 already present, 0 failed" in done.stderr
    assert len(listed_clips(out)) == 6 and all(frame_count(out / c) == 4 for c in listed_clips(out))
    assert len(list((out / "logs").glob("worker-*.log"))) == 4  # two workers, two replacements
    assert list(scratch.iterdir()) == []


def _wait_until(condition, timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("state", ["rendering", "recycling"])
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_run_within_seconds_in_every_state(tmp_path, default_body, state, how):
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([SYNTHACT, "render", str(tiny_config(tmp_path)), "--out", str(out), "--workers", "2",
                             "--recycle-after", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env_with(scratch),
                            preexec_fn=restore_sigint)
    logs = out / "logs"

    def worker_logs() -> int:
        return len(list(logs.glob("worker-*.log"))) if logs.is_dir() else 0

    if state == "rendering":
        found = _wait_until(lambda: any(p.name.endswith(".partial") for p in out.rglob(".*")))
    else:  # a third worker log: a replacement is starting (importing bpy) right now
        found = _wait_until(lambda: worker_logs() >= 3)
    assert found and proc.poll() is None, f"never reached {state}"
    sent = time.monotonic()
    if how == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    else:
        os.kill(proc.pid, signal.SIGTERM)  # a batch system stops the main process only
    _, stderr = proc.communicate(timeout=120)
    assert time.monotonic() - sent < STOP_S, stderr[-2000:]
    assert proc.returncode == 130, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: interrupted: ") and "run the same command again" in last, last
    assert _wait_until(lambda: session_processes(proc.pid) == [], timeout=5), session_processes(proc.pid)
    assert not [p for p in out.rglob(".*") if p.is_file()], "temporary files remain"
    assert list(scratch.iterdir()) == [], "scratch folders remain"
    complete = sorted(p.relative_to(out / "labels").with_suffix(".mp4") for p in (out / "labels").rglob("*.json"))
    assert sorted(Path(c).relative_to("clips") for c in listed_clips(out)) == complete
    assert f"interrupted: {len(complete)} of 24 clips are complete" in last


def test_scratch_folders_of_dead_workers_are_removed_and_live_ones_kept(tmp_path):
    ns = pid_namespace()
    assert ns.isdigit() and ns != "0"
    dead = tmp_path / f"{SCRATCH_PREFIX}{ns}-999999999-abc"  # above any pid_max: no such process
    live = tmp_path / f"{SCRATCH_PREFIX}{ns}-{os.getpid()}-def"
    assert tempfile.mkdtemp(prefix=scratch_name(), dir=tmp_path).startswith(str(live)[:-3])
    # A dead pid of another pid namespace (a container sharing /tmp): its pids are not ours to judge.
    elsewhere = tmp_path / f"{SCRATCH_PREFIX}{int(ns) + 1}-999999999-ghi"
    legacy = tmp_path / f"{SCRATCH_PREFIX}999999999-jkl"  # named before namespaces: unknown, kept
    other = tmp_path / "someone-elses"
    for d in (dead, live, elsewhere, legacy, other):
        d.mkdir()
        (d / "frame.bmp").write_bytes(b"BM")
    assert remove_orphaned_scratch(tmp_path) == 1
    assert not dead.exists() and all(d.exists() for d in (live, elsewhere, legacy, other))


def test_a_run_in_another_pid_namespace_keeps_this_ones_scratch(tmp_path):
    """The host's live worker folder survives the orphan sweep of a process in a new pid namespace, where
    the host's pid does not exist (as a Ray test run under `unshare --pid` likely removed one). CI runs as
    root with util-linux, so there it runs and fails rather than skips."""
    if (shutil.which("unshare") is None or os.geteuid() != 0) and not os.environ.get("CI"):
        pytest.skip("needs root and unshare")
    live = tmp_path / f"{scratch_name()}live"
    live.mkdir()
    sweep = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from render_farm.dataset.folder import "
             f"remove_orphaned_scratch as r; print(r({str(tmp_path)!r}))")
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", sweep],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0" and live.is_dir()


PLAN_RSS = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    from render_farm import pipeline
    from render_farm.core.plan.config import DatasetConfig
    clips, processes = int(sys.argv[1]), int(sys.argv[3])
    config = DatasetConfig(actions=["wave", "squat", "punch", "walk"], clips_per_action=clips // 4)
    count = pipeline.write_plan(config, Path(sys.argv[2]), processes=processes)
    assert count == clips, count
    # This process and, when planning in parallel, each planning process (the largest of them).
    own, child = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(own + processes * child if processes > 1 else own)
""")


@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_planning_memory_does_not_grow_with_the_number_of_jobs(tmp_path, processes):
    # Planning keeps no job: from 10,000 to 30,000 jobs the peak grew 2.6 MB (one process) and 5.1 MB (two,
    # every planning process together; 2026-12-03), while keeping each job's JSON line alone (about 1.5 kB)
    # would add 30 MB and keeping the jobs far more. Both sizes are past the allocator's own start-up growth
    # (1,000 -> 20,000 grew 16 and 54 MB), so the test is quick and its margin wide.
    peaks = {}
    for clips in (10_000, 30_000):
        done = subprocess.run([sys.executable, "-c", PLAN_RSS, str(clips), str(tmp_path / str(clips)),
                               str(processes)], capture_output=True, text=True, timeout=900, cwd=REPO)
        assert done.returncode == 0, done.stderr[-2000:]
        peaks[clips] = int(done.stdout.split()[-1]) / 1024  # MB, every planning process together
    with open(tmp_path / "30000" / "jobs.jsonl", encoding="utf-8") as f:
        lines = sum(1 for _ in f)
        size = f.tell()
    assert lines == 30_000 and size / lines > 1000  # what keeping the 20,000 more lines would cost: over 20 MB
    assert peaks[30_000] - peaks[10_000] < 15, peaks


def test_a_missing_train_extra_is_one_line_naming_it():
    # As on a render node without the train extra: pytorchvideo cannot be imported.
    code = ("import sys; sys.modules['pytorchvideo'] = None; sys.argv = ['synthact', 'train', 'pretrain', "
            "'--data', 'x']; from render_farm.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert lines == ["error: synthact train needs the train extra (pytorchvideo is not installed): pip install -e "
                     "'.[train]' in a checkout, or pip install 'synthact[train]'"], done.stderr


def test_unknown_executor_and_bad_limits_are_one_line_errors(tmp_path):
    from render_farm.executors import executor_for
    from render_farm.executors.base import RunLimits
    from synthact.errors import SynthActError

    with pytest.raises(SynthActError, match=r"^--backend: unknown backend 'pbs' \(choose local, ray, slurm\)$"):
        executor_for("pbs")
    with pytest.raises(SynthActError, match="^--recycle-after: must be at least 1, got 0$"):
        RunLimits(recycle_after=0)
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path)), "--out", str(tmp_path / "o"),
                           "--recycle-after", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--recycle-after" in done.stderr and not (tmp_path / "o").exists()


def test_slurm_tasks_run_the_same_number_of_workers_by_either_path(tmp_path):
    from render_farm.executors.base import RunLimits
    from render_farm.executors.slurm import SlurmOptions, sbatch_script, shard_workers

    for device in ("cpu", "cuda"):
        options = SlurmOptions(shards=2, cpus_per_task=4, device=device)
        script = sbatch_script(tmp_path, tmp_path / "bodies", [0, 1], options, RunLimits(recycle_after=7))
        assert shard_workers(options) == 4
        assert "--workers 4 " in script and "--recycle-after 7 --watchdog 600" in script, script
        assert ("#SBATCH --gpus-per-task=1" in script) == (device == "cuda")


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(stat.parent.name))
                frontier.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_sigterm_while_baking_bodies_ends_the_run_within_seconds(tmp_path):
    from render_farm.bodies.baked.body import load_body

    # An empty cache and 24 distinct bodies: baking takes tens of seconds (about 1.4 s a body).
    bodies, out = tmp_path / "bodies", tmp_path / "out"
    config = tiny_config(tmp_path, body={})
    proc = subprocess.Popen([SYNTHACT, "render", str(config), "--out", str(out), "--bodies", str(bodies)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert _wait_until(lambda: _descendants(proc.pid), timeout=120), "no baking process started"
    time.sleep(3)  # inside the bake (importing torch and anny, baking the first bodies)
    assert proc.poll() is None
    sent = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert time.monotonic() - sent < STOP_S, stderr[-2000:]
    assert proc.returncode == 130, stderr[-3000:]
    assert stderr.strip().splitlines()[-1] == "error: interrupted before rendering started; nothing was rendered"
    assert _wait_until(lambda: session_processes(proc.pid) == [], timeout=5), session_processes(proc.pid)
    assert not (out / "clips").exists()
    baked = list(bodies.glob("*.npz")) if bodies.exists() else []
    assert len(baked) < 24, "the bake ran to the end before the signal"
    for path in baked:  # whatever was baked is whole (written under a temporary name, then renamed)
        load_body(path)


@pytest.mark.parametrize("fake_bpy,expected", [
    ('raise ImportError("no Blender here")', "worker processes cannot start: ImportError: no Blender here (see "),
    ("import os\nos._exit(3)", "worker processes keep dying before they are ready (last: worker process died "
                               "(exit code 3); see "),
    # A start that hangs is killed at the startup limit (shortened to 2 s here, crossed three times: two
    # workers, then a replacement), whatever the job watchdog (1 s) says; the run then stops.
    ("import time\ntime.sleep(3600)", "worker processes keep dying before they are ready (last: not ready for "
                                      "2 s (watchdog); worker killed; see "),
])
def test_workers_that_cannot_start_stop_the_run_in_one_line(tmp_path, default_body, fake_bpy, expected):
    # A `bpy` that shadows Blender's in every worker: a broken install, or workers dying at start (the run
    # gives up after STARTUP_DEATHS of them in a row instead of starting workers for ever).
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "bpy.py").write_text(fake_bpy + "\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": f"{shadow}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    limits = []
    if "sleep" in fake_bpy:  # only the start that hangs gets the short limit: a slow start elsewhere is not a hang
        env["SYNTHACT_TEST_STARTUP_LIMIT_S"] = "2"
        limits = ["--watchdog", "1"]
    done = subprocess.run([SYNTHACT, "render", str(tiny_config(tmp_path, clips=1)), "--out", str(out),
                           "--workers", "2", *limits], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(f"error: {expected}"), done.stderr[-3000:]
    assert lines[0].endswith(f"{out / 'logs'})")
    assert not list(out.rglob("*.mp4"))
