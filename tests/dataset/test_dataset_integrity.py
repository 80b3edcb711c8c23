"""A dataset folder never lies: one plan per folder, corrupt clips found by their header and rendered
again, verify checks every clip against its plan. Real Blender, real ffmpeg, decoded with PyAV."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
import yaml

from render_farm.dataset.mp4 import ClipHeaderError, read_header
from tests.conftest import DEFAULT_PHENOTYPE, run_cli

pytestmark = pytest.mark.slow


def config(tmp_path: Path, name: str = "c.yaml", **over) -> Path:
    data = {"seed": 8, "actions": ["wave", "squat"], "clips_per_action": 2, "frames": 4, "fps": 8,
            "resolution": [64, 64], "preset": "preview", "samples": 1, "val_fraction": 0.5,
            "body": {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()}}
    data.update(over)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def listed(out: Path) -> list[str]:
    return sorted(ln.split()[0] for s in ("train", "val") for ln in (out / f"{s}.txt").read_text().splitlines())


def frames_of(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(c.streams.video[0]))


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and "logs" not in p.parts}


def test_a_second_plan_is_refused_and_a_truncated_clip_is_rendered_again(tmp_path, default_body):
    out = tmp_path / "out"
    first = run_cli("render", str(config(tmp_path)), "--out", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(listed(out)) == 4
    plan_id = json.loads((out / "plan.json").read_text())["plan_id"]
    assert all(json.loads(p.read_text())["plan_id"] == plan_id for p in (out / "labels").rglob("*.json"))

    # Another resolution and frame count into the same folder: one line, exit 2, nothing written.
    before = snapshot(out)
    other = run_cli("render", str(config(tmp_path, "other.yaml", resolution=[96, 96], frames=6)), "--out", str(out))
    lines = [ln for ln in other.stderr.splitlines() if ln.strip()]
    assert other.returncode == 2 and len(lines) == 1, other.stderr
    assert lines[0] == (f"error: {out}: holds clips of another plan (frames 4 -> 6, resolution [64,64] -> [96,96]); "
                        "render into a new --out folder, or remove this one")
    assert snapshot(out) == before
    plan = run_cli("plan", str(config(tmp_path, "other.yaml", resolution=[96, 96], frames=6)), "--out", str(out))
    assert plan.returncode == 2 and snapshot(out) == before
    # More clips of the same plan are welcome: the folder grows.
    more = run_cli("render", str(config(tmp_path, "more.yaml", clips_per_action=3)), "--out", str(out),
                   "--workers", "1")
    assert more.returncode == 0 and "2 clips rendered, 4 already present" in more.stderr, more.stderr[-2000:]

    # A clip cut short after its label was written: found by its header, rendered again, listed once.
    victim = out / "clips" / "wave" / "wave_00001.mp4"
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    with pytest.raises(ClipHeaderError, match="file is cut short"):
        read_header(victim)
    again = run_cli("render", str(config(tmp_path, "more.yaml", clips_per_action=3)), "--out", str(out),
                    "--workers", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "clips/wave/wave_00001.mp4: unreadable MP4 (file is cut short" in again.stderr
    assert "1 clips rendered, 5 already present" in again.stderr
    assert len(listed(out)) == 6 and all(frames_of(out / c) == 4 for c in listed(out))
    assert run_cli("verify", str(out)).returncode == 0


def test_verify_fails_a_clip_that_differs_from_its_plan(tmp_path, default_body):
    out = tmp_path / "out"
    assert run_cli("render", str(config(tmp_path)), "--out", str(out), "--workers", "1").returncode == 0
    plan = out / "jobs.jsonl"
    lines = plan.read_text().splitlines()
    job = json.loads(lines[0])
    job["render"]["frames"] = 6  # the plan now says what this clip is not
    lines[0] = json.dumps(job)
    plan.write_text("\n".join(lines) + "\n")
    result = run_cli("verify", str(out))
    assert result.returncode == 1
    assert f"{job['label_path']}: frame_count 4, the plan says 6" in result.stderr
    assert "1 problem(s)" in result.stderr.strip().splitlines()[-1]
