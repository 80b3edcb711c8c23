"""The resume scan and its journal: a job whose entry still matches its label and clip is complete without its
label being read; every way a job or its files can change sends it to the full check. No Blender: the clips
are real MP4s the test encodes, the labels carry the fields a resume reads."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from render_farm import pipeline
from render_farm.core.label import journal
from render_farm.core.label.integrity import clip_file
from render_farm.core.plan.config import DatasetConfig
from render_farm.core.plan.jobs import job_line
from render_farm.dataset.folder import OutputFolder
from render_farm.video import ClipEncoder
from synthact.errors import SynthActError


def _plan(out: Path, clips: int = 2) -> list:
    config = DatasetConfig(actions=["wave", "squat"], clips_per_action=clips, frames=3, fps=8,
                           resolution=[32, 32], val_fraction=0.5, seed=4)
    return pipeline.prepare(config, out)


def _render(out: Path, job, shade: int = 60) -> None:
    """What a worker leaves: the clip, then its label, then its journal entry."""
    clip = out / job.clip_path
    clip.parent.mkdir(parents=True, exist_ok=True)
    encoder = ClipEncoder(clip, job.render.width, job.render.height, job.render.fps)
    for k in range(job.render.frames):
        encoder.write(np.full((job.render.height, job.render.width, 3), shade + 20 * k, dtype=np.uint8))
    encoder.close()
    r = job.render
    label = {"schema_version": 3, "clip": job.clip_path, "clip_file": clip_file(clip).model_dump(),
             "job_id": job.job_id, "plan_id": job.plan_id, "action_id": job.action_id,
             "class_index": job.class_index, "split": job.split, "fps": r.fps, "frame_count": r.frames,
             "width": r.width, "height": r.height, "params": {"job_id": job.job_id}}
    (out / job.label_path).parent.mkdir(parents=True, exist_ok=True)
    (out / job.label_path).write_text(json.dumps(label, separators=(",", ":")))
    journal.append_entry(out, journal.line_digest(job_line(job).encode()), job.label_path, job.clip_path)


def _rendered(tmp_path: Path, clips: int = 2) -> tuple[Path, list]:
    out = tmp_path / "out"
    jobs = _plan(out, clips)
    for job in jobs:
        _render(out, job)
    return out, jobs


def test_journaled_jobs_are_complete_without_their_labels_read(tmp_path):
    out, jobs = _rendered(tmp_path)
    # A label garbled in place with its size and time kept: only a scan that reads it could tell.
    label = out / jobs[0].label_path
    st = label.stat()
    label.write_bytes(b"x" * st.st_size)
    os.utime(label, ns=(st.st_atime_ns, st.st_mtime_ns))
    scan = OutputFolder(out).scan()
    assert (scan.planned, len(scan.todo), scan.journaled, scan.broken) == (4, 0, 4, [])
    # The split lists come from the same scan, in plan order, without parsing the journaled lines.
    folder = OutputFolder(out)
    counts, done, planned = folder.write_split_lists()
    assert (counts, done, planned) == ({"train": 2, "val": 2}, 4, 4)
    for split in ("train", "val"):
        expected = "".join(f"{j.clip_path} {j.class_index}\n" for j in jobs if j.split == split)
        assert (out / f"{split}.txt").read_text() == expected
    assert (out / "classes.txt").read_text() == "wave\nsquat\n"


def test_every_change_to_a_job_or_its_files_takes_the_full_check(tmp_path):
    out, jobs = _rendered(tmp_path, clips=3)
    folder = OutputFolder(out)
    wave0, wave1, wave2, squat0 = jobs[0], jobs[1], jobs[2], jobs[3]
    # 1. Another job's label copied over this one's (a new inode, the size may even match).
    shutil.copyfile(out / wave1.label_path, out / wave0.label_path)
    # 2. A clip touched (a new time, the same bytes): the full check hashes it and it passes.
    os.utime(out / wave1.clip_path, ns=(1, 1))
    # 3. A clip written over in place with the same size: its time changes, the hash tells.
    clip = out / wave2.clip_path
    data = bytearray(clip.read_bytes())
    data[-40:] = bytes(40)
    clip.write_bytes(bytes(data))
    # 4. The plan line itself changed (its split), the files untouched: the line's digest has no entry.
    lines = folder.plan_file.read_text().splitlines()
    changed = json.loads(lines[3])
    assert changed["job_id"] == squat0.job_id
    changed["split"] = "val" if squat0.split == "train" else "train"
    lines[3] = json.dumps(changed, separators=(",", ":"))
    folder.plan_file.write_text("\n".join(lines) + "\n")

    scan = folder.scan()
    problems = {job.job_id: why for job, why in scan.broken}
    assert problems[wave0.job_id] == f'its label says job_id "{wave1.job_id}", the plan says "{wave0.job_id}"'
    assert problems[wave2.job_id] == "its bytes differ from those its label records (BLAKE2b)"
    assert problems[squat0.job_id] == (f'its label says split "{squat0.split}", the plan says "{changed["split"]}"')
    assert wave1.job_id not in problems
    assert scan.journaled == 2 and len(scan.todo) == 3 and scan.planned == 6
    todo = [j.job_id for j in folder.jobs_at(scan.todo)]
    assert todo == [wave0.job_id, wave2.job_id, squat0.job_id]
    # The touched clip passed the full check and was journaled: the next scan takes the short way for it.
    again = folder.scan()
    assert again.journaled == 3 and len(again.todo) == 3


def test_a_copied_folder_is_checked_in_full_once_then_journaled(tmp_path):
    out, _ = _rendered(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)  # times kept, inodes new: no entry matches
    first = OutputFolder(copy).scan()
    assert (first.journaled, len(first.todo), first.broken) == (0, 0, [])
    second = OutputFolder(copy).scan()
    assert (second.journaled, len(second.todo)) == (4, 0)


def test_a_folder_without_a_journal_or_with_a_damaged_one_is_checked_in_full(tmp_path):
    out, jobs = _rendered(tmp_path)
    shutil.rmtree(out / "journal")
    (out / "journal").mkdir()
    entry = journal.entry_line(journal.line_digest(job_line(jobs[0]).encode()), (1, 2, 3), (4, 5, 6))
    (out / "journal" / "torn.tsv").write_text(
        entry[:-12]  # cut short by a crash
        + "j2\t" + "ab" * 16 + "\t1\t2\t3\t4\t5\t6\n"  # another version
        + "j1\tnot-hex\t1\t2\t3\t4\t5\t6\n")
    scan = OutputFolder(out).scan()
    assert (scan.journaled, len(scan.todo), scan.broken) == (0, 0, [])
    assert OutputFolder(out).scan().journaled == 4  # the full check journaled them


def test_a_read_only_journal_does_not_stop_a_resume(tmp_path):
    out, _ = _rendered(tmp_path)
    shutil.rmtree(out / "journal")
    (out / "journal").write_text("a file where the folder should be")
    scan = OutputFolder(out).scan()
    assert (scan.journaled, len(scan.todo), scan.broken) == (0, 0, [])


def test_a_bad_plan_line_is_named_by_the_scan_and_by_the_read_of_offsets(tmp_path):
    out = tmp_path / "out"
    _plan(out)
    folder = OutputFolder(out)
    scan = folder.scan()
    assert len(scan.todo) == 4 and [j.job_id for j in folder.jobs_at(scan.todo[2:])] == ["squat_00000",
                                                                                         "squat_00001"]
    lines = folder.plan_file.read_bytes().splitlines(keepends=True)
    folder.plan_file.write_bytes(b"".join(lines[:2]) + b'{"job_id": 3}\n' + lines[3])
    with pytest.raises(SynthActError, match=r"jobs.jsonl: line 3: not a valid job \("):
        folder.scan()
    with pytest.raises(SynthActError, match=r"jobs.jsonl: line 3: not a valid job \("):
        list(folder.jobs_at(scan.todo[2:]))
    folder.plan_file.write_bytes(b"".join(lines[:3]) + b'{"job_id": "\xff"}\n')
    with pytest.raises(SynthActError, match=r"jobs.jsonl: line 4: not a valid job \('utf-8' codec"):
        folder.scan()


def test_a_line_shaped_like_a_job_but_not_one_is_refused_before_anything_renders(tmp_path):
    """The scan takes a line whose label is absent as to render from its head alone; the tail is still checked,
    in one line, before any job starts (when its bodies are looked up), and nothing is written."""
    out = tmp_path / "out"
    _plan(out)
    folder = OutputFolder(out)
    lines = folder.plan_file.read_bytes().splitlines(keepends=True)
    bad = lines[2].replace(b'"frames":3', b'"frames":-3')
    assert bad != lines[2]
    folder.plan_file.write_bytes(b"".join(lines[:2]) + bad + lines[3])
    scan = folder.scan()
    assert len(scan.todo) == 4 and scan.classes == {0: "wave", 1: "squat"}
    with pytest.raises(SynthActError, match=r"jobs.jsonl: line 3: not a valid job \(render.frames: "):
        pipeline.execute(out, tmp_path / "bodies")
    assert not (out / "clips").exists() and not (tmp_path / "bodies").exists()
