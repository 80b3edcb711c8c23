"""A dataset folder never lies: one plan per folder, corrupt clips found by their header and rendered
again, verify checks every clip against its plan. Real Blender, real ffmpeg, decoded with PyAV."""

from __future__ import annotations

import json
import os
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
    # More clips of the same plan are welcome: the folder grows. With 3 clips a class the split ranks
    # wave_00001 into val: its label says train, so it is rendered again (labels never disagree with lists).
    more = run_cli("render", str(config(tmp_path, "more.yaml", clips_per_action=3)), "--out", str(out),
                   "--workers", "1")
    assert more.returncode == 0 and "3 clips rendered, 3 already present" in more.stderr, more.stderr[-2000:]
    assert 'clips/wave/wave_00001.mp4: its label says split "train", the plan says "val"; rendering it again' in \
        " ".join(more.stderr.split())
    assert run_cli("verify", str(out)).returncode == 0

    # A clip cut short after its label was written: found by its size, rendered again, listed once; a clip
    # whose label is from before clip records (no clip_file) by its MP4 header.
    victim = out / "clips" / "wave" / "wave_00001.mp4"
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    older = out / "clips" / "squat" / "squat_00001.mp4"
    older_label = out / "labels" / "squat" / "squat_00001.json"
    label = json.loads(older_label.read_text())
    del label["clip_file"]
    label["schema_version"] = 2
    older_label.write_text(json.dumps(label))
    older.write_bytes(older.read_bytes()[:-100])
    with pytest.raises(ClipHeaderError, match="file is cut short"):
        read_header(victim)
    again = run_cli("render", str(config(tmp_path, "more.yaml", clips_per_action=3)), "--out", str(out),
                    "--workers", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    text = " ".join(again.stderr.split())
    assert f"clips/wave/wave_00001.mp4: {len(data) // 2} bytes, its label says {len(data)}; rendering it again" \
        in text
    assert "clips/squat/squat_00001.mp4: unreadable MP4 (file is cut short" in text
    assert "2 clips rendered, 4 already present" in text
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


def test_a_folder_keeps_its_class_list_clip_count_and_templates(tmp_path, default_body):
    out = tmp_path / "out"
    first = run_cli("render", str(config(tmp_path)), "--out", str(out), "--workers", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    before = snapshot(out)
    hint = "; render into a new --out folder, or remove this one"
    index = ": a clip's class index is its class's position in actions (classes may only be added at the end)"
    refused = {
        "reordered": ({"actions": ["squat", "wave"]},
                      f"{out}: class 0 is wave here and squat in the config (moved){index}{hint}"),
        "renamed": ({"actions": ["wave", "jump"]},
                    f"{out}: class 1 is squat here and jump in the config (renamed or replaced){index}{hint}"),
        "removed": ({"actions": ["wave"]}, f"{out}: class 1 (squat) is missing from the config's actions{index}{hint}"),
        "fewer": ({"clips_per_action": 1},
                  f"{out}: clips_per_action 2 -> 1 would drop planned clips from the split lists (keep 2){hint}"),
    }
    for name, (over, message) in refused.items():
        for command in ("plan", "render"):
            result = run_cli(command, str(config(tmp_path, f"{name}.yaml", **over)), "--out", str(out))
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            assert result.returncode == 2 and lines == [f"error: {message}"], (name, command, result.stderr)
            assert snapshot(out) == before, (name, command)

    # A template edited in place (one rotation) is refused by its folder copy; its description is not a change.
    mine = tmp_path / "mine"
    mine.mkdir()
    wave = json.loads((out / "templates" / "wave.json").read_text())
    wave["description"] = "said differently"
    (mine / "wave.json").write_text(json.dumps(wave))
    same = run_cli("plan", str(config(tmp_path, "mine.yaml", template_dirs=[str(mine)])), "--out", str(out))
    assert same.returncode == 0, same.stderr
    joint = sorted(wave["rotations"])[0]
    wave["rotations"][joint][0] = [0.0, 1.0, 0.0, 0.0]
    (mine / "wave.json").write_text(json.dumps(wave))
    before = snapshot(out)
    edited = run_cli("plan", str(config(tmp_path, "mine.yaml", template_dirs=[str(mine)])), "--out", str(out))
    assert edited.returncode == 2, edited.stderr
    assert edited.stderr.strip() == (f"error: {out / 'templates' / 'wave.json'}: the template of class wave has "
                                     f"changed since this folder's clips were planned{hint}")
    assert snapshot(out) == before

    # A class added at the end extends the folder: the clips already there keep their indices and stay listed.
    grown = run_cli("render", str(config(tmp_path, "grown.yaml", actions=["wave", "squat", "bow"])), "--out",
                    str(out), "--workers", "1")
    assert grown.returncode == 0, grown.stderr[-3000:]
    assert "2 clips rendered, 4 already present" in grown.stderr
    assert (out / "classes.txt").read_text() == "wave\nsquat\nbow\n"
    assert json.loads((out / "plan.json").read_text())["classes"] == ["wave", "squat", "bow"]
    assert run_cli("verify", str(out)).returncode == 0
    # and the shorter list is now a removal.
    again = run_cli("plan", str(config(tmp_path)), "--out", str(out))
    assert again.returncode == 2 and "class 2 (bow) is missing from the config's actions" in again.stderr


def test_a_clip_written_over_and_a_corrupt_label_are_rendered_again(tmp_path, default_body):
    out = tmp_path / "out"
    assert run_cli("render", str(config(tmp_path)), "--out", str(out), "--workers", "1").returncode == 0
    labels = {p.stem: json.loads(p.read_text()) for p in (out / "labels").rglob("*.json")}
    for stem, label in labels.items():  # every label records its clip's bytes
        clip = out / label["clip"]
        assert label["clip_file"]["bytes"] == clip.stat().st_size, stem
        assert label["clip_file"]["mtime_ns"] == clip.stat().st_mtime_ns, stem
        assert label["schema_version"] == 4

    # 600 bytes zeroed inside a clip, same size: found by its mtime, then its digest.
    victim = out / "clips" / "wave" / "wave_00000.mp4"
    data = bytearray(victim.read_bytes())
    size = len(data)
    data[size // 2: size // 2 + 600] = bytes(600)
    victim.write_bytes(bytes(data))
    # a label cut short, and a label that is not JSON at all
    cut = out / "labels" / "squat" / "squat_00000.json"
    cut.write_text(cut.read_text()[:-200])
    garbage = out / "labels" / "squat" / "squat_00001.json"
    garbage.write_bytes(b"\x00" * 100 + b"}")
    # a folder copied without its times (every mtime changes): hashed, still complete
    wave1 = out / "clips" / "wave" / "wave_00001.mp4"
    os.utime(wave1, ns=(1, 1))

    again = run_cli("render", str(config(tmp_path)), "--out", str(out), "--workers", "1")
    assert again.returncode == 0, again.stderr[-3000:]
    text = " ".join(again.stderr.split())
    assert ("clips/wave/wave_00000.mp4: its bytes differ from those its label records (BLAKE2b); rendering it "
            "again") in text
    assert "clips/squat/squat_00000.mp4: its label is cut short (it does not end with '}'); rendering it again" \
        in text
    assert "clips/squat/squat_00001.mp4: its label is not valid JSON" in text
    assert "3 clips rendered, 1 already present" in text, text
    assert run_cli("verify", str(out)).returncode == 0
    assert frames_of(victim) == 4 and victim.stat().st_size == json.loads(
        (out / "labels" / "wave" / "wave_00000.json").read_text())["clip_file"]["bytes"]

    # An edit that restores the clip's mtime passes a resume (one stat) but not verify (every digest).
    label = json.loads((out / "labels" / "wave" / "wave_00000.json").read_text())
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(label["clip_file"]["mtime_ns"], label["clip_file"]["mtime_ns"]))
    checked = run_cli("verify", str(out))
    assert checked.returncode == 1
    assert "clips/wave/wave_00000.mp4: its bytes differ from those its label records (BLAKE2b)" in checked.stderr
