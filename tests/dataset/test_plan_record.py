"""What binds a dataset folder to its plan, and the cheap checks of a clip and its label, without Blender."""

from __future__ import annotations

import json
import os

import pytest

from render_farm.core.label.integrity import (
    HEAD_BYTES,
    LabelHeadError,
    clip_file,
    clip_file_problem,
    read_label_head,
)
from render_farm.core.plan.record import PlanRecord, refusal

SETTINGS = {"seed": 3, "val_fraction": 0.25}


def record(classes: list[str] | None = ("walk", "wave", "jump"), clips: int | None = 4, plan_id: str = "p1",
           settings: dict | None = None) -> PlanRecord:
    return PlanRecord(plan_id=plan_id, settings=settings or SETTINGS, classes=None if classes is None else
                      list(classes), clips_per_action=clips)


@pytest.mark.parametrize(("wanted", "expected"), [
    (record(), None),
    (record(("walk", "wave", "jump", "bow")), None),  # added at the end
    (record(clips=9), None),  # more clips
    (record(("wave", "walk", "jump")), "class 0 is walk here and wave in the config (moved)"),
    (record(("walk", "run", "jump")), "class 1 is wave here and run in the config (renamed or replaced)"),
    (record(("walk", "jump")), "class 1 is wave here and jump in the config (moved)"),
    (record(("walk",)), "class 1 (wave) is missing from the config's actions (and 1 more)"),
    (record(("walk", "wave")), "class 2 (jump) is missing from the config's actions"),
    (record(clips=3), "clips_per_action 4 -> 3 would drop planned clips from the split lists (keep 4)"),
    (record(classes=None, clips=None), None),  # nothing to compare with
])
def test_a_folder_takes_a_plan_that_extends_it_and_refuses_one_that_changes_it(wanted, expected):
    problem = refusal(record(), wanted)
    if expected is None:
        assert problem is None
    else:
        assert problem.startswith(expected), problem
        if "class" in expected:
            assert problem.endswith("(classes may only be added at the end)")


def test_another_plan_names_the_settings_that_differ():
    ours = record(plan_id="p2", settings={**SETTINGS, "frames": 16, "fps": 8})
    theirs = record(settings={**SETTINGS, "frames": 8, "fps": 8})
    assert refusal(theirs, ours) == "holds clips of another plan (frames 8 -> 16)"


def test_a_record_from_before_the_class_list_still_reads():
    old = PlanRecord.model_validate_json(json.dumps({"plan_id": "p1", "settings": SETTINGS}))
    assert old.classes is None and old.clips_per_action is None
    assert refusal(old, record(("anything",), clips=1)) is None


def label_text(**over) -> str:
    fields = {"schema_version": 3, "clip": "clips/walk/walk_00000.mp4", "clip_file": None, "job_id": "walk_00000",
              "plan_id": "p1", "action_id": "walk", "action_label": "walk", "class_index": 0, "split": "train",
              "params": {"big": list(range(3000))}, "joints_3d": [[[0.5] * 3] * 24] * 16}
    fields.update(over)
    return json.dumps(fields, separators=(",", ":"))


def test_a_label_head_is_read_from_its_first_bytes_and_its_last(tmp_path):
    path = tmp_path / "l.json"
    path.write_text(label_text())
    assert path.stat().st_size > 4 * HEAD_BYTES
    head = read_label_head(path)
    assert head == {"schema_version": 3, "clip": "clips/walk/walk_00000.mp4", "clip_file": None,
                    "job_id": "walk_00000", "plan_id": "p1", "action_id": "walk", "action_label": "walk",
                    "class_index": 0, "split": "train"}
    # A label written with spaces and a final newline reads the same.
    path.write_text(json.dumps(json.loads(label_text()), indent=2) + "\n")
    assert read_label_head(path) == head
    # The key's name inside a string does not fool the fast path (it falls back to reading field by field).
    path.write_text(label_text(action_label='x","params":{"a":1}, "y'))
    assert read_label_head(path)["action_label"] == 'x","params":{"a":1}, "y'
    assert read_label_head(path)["split"] == "train"
    # A head whose fields run past HEAD_BYTES (a long label string) falls back to the whole label.
    path.write_text(label_text(action_label="x" * (2 * HEAD_BYTES)))
    assert read_label_head(path)["action_label"] == "x" * (2 * HEAD_BYTES)


@pytest.mark.parametrize(("text", "message"), [
    (label_text()[:-50], "cut short (it does not end with '}')"),
    ("", "cut short (it does not end with '}')"),
    ("\x00" * 100, "cut short (it does not end with '}')"),
    ("[1, {}}", "not valid JSON (not a JSON object)"),
    ('{"job_id" "walk"}', "not valid JSON (':' expected at byte 10)"),
    ('{"job_id": "walk" "x": 1}', "not valid JSON (',' expected at byte 18)"),
    ('{"job_id": walk}', "not valid JSON (Expecting value: line 1 column 12 (char 11))"),
    ('{"a": 1, "params": ' + "{" * 10 + "}", "not valid JSON"),  # cut inside the head, then the whole label
])
def test_a_broken_label_is_named(tmp_path, text, message):
    path = tmp_path / "l.json"
    path.write_text(text)
    if text.startswith('{"a": 1, "params"'):
        assert read_label_head(path) == {"a": 1}  # params is where the head stops: the rest is not read
        path.write_text('{"a": ' + "x" * (2 * HEAD_BYTES) + "}")
    with pytest.raises(LabelHeadError) as caught:
        read_label_head(path)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_clip_record_finds_a_changed_clip_by_stat_then_digest(tmp_path):
    clip = tmp_path / "c.mp4"
    clip.write_bytes(bytes(range(256)) * 40)
    rec = clip_file(clip)
    assert rec.bytes == 10240 and len(rec.blake2b) == 32
    assert clip_file_problem(clip, rec) is None
    # same size, other bytes: the mtime changed, so it is hashed
    data = bytearray(clip.read_bytes())
    data[5000:5600] = bytes(600)
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(rec.mtime_ns + 10**9, rec.mtime_ns + 10**9))
    assert clip_file_problem(clip, rec) == "its bytes differ from those its label records (BLAKE2b)"
    # the old mtime put back: a stat passes it, a full check does not
    os.utime(clip, ns=(rec.mtime_ns, rec.mtime_ns))
    assert clip_file_problem(clip, rec) is None
    assert clip_file_problem(clip, rec, full=True) == "its bytes differ from those its label records (BLAKE2b)"
    clip.write_bytes(b"short")
    assert clip_file_problem(clip, rec) == "5 bytes, its label says 10240"
    # the same bytes with another mtime (a copy without times) pass after hashing
    clip.write_bytes(bytes(range(256)) * 40)
    assert clip_file_problem(clip, rec) is None
    clip.unlink()
    assert clip_file_problem(clip, rec) == "unreadable (No such file or directory)"


def test_a_label_stores_each_job_field_once_and_gives_the_whole_job_back_in_either_layout():
    """Issue 30 item 5: from schema 4 `params` leaves out what the label holds at its top level; a schema 3
    label (the whole job in `params`) still gives its job back."""
    from render_farm.core.label.labels import TOP_LEVEL_JOB_FIELDS, TOP_LEVEL_RENDER_FIELDS, label_job, label_params
    from render_farm.core.plan.config import parse_config
    from render_farm.core.plan.planner import plan
    from render_farm.templates import find_template

    config = parse_config({"seed": 5, "actions": ["handshake", "wave"], "clips_per_action": 2, "frames": 8,
                           "annotations": {"mask": True}}, "test")
    jobs = plan(config, [find_template(a) for a in config.actions])
    assert jobs[0].partner is not None and jobs[0].passes_path  # the fields most easily lost
    for job in jobs:
        params = label_params(job)
        assert not {field for _, field in TOP_LEVEL_JOB_FIELDS} & set(params)
        assert not {field for _, field in TOP_LEVEL_RENDER_FIELDS} & set(params["render"])
        top = {key: getattr(job, field) for key, field in TOP_LEVEL_JOB_FIELDS}
        top |= {key: getattr(job.render, field) for key, field in TOP_LEVEL_RENDER_FIELDS}
        new = {"schema_version": 4, **top, "params": params}
        old = {"schema_version": 3, **top, "params": job.model_dump(mode="json")}
        assert label_job(json.loads(json.dumps(new))) == job
        assert label_job(json.loads(json.dumps(old))) == job
        assert label_job({**new, "seed": job.seed + 1, "width": 64}).seed == job.seed + 1  # read from the top
        assert label_job({**new, "width": 64}).render.width == 64
        with pytest.raises(ValueError, match="body"):
            label_job({**new, "params": {k: v for k, v in params.items() if k != "body"}})  # nothing made up
