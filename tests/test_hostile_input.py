"""Hostile and careless input: one line naming the file and field, exit 2, no traceback, nothing written."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import pytest
import yaml

from render_farm.core.template import model as core_template
from render_farm.templates import BUILTIN_DIR
from tests.conftest import run_cli

ADDON_DIR = Path(__file__).resolve().parent.parent / "blender_addon"


def addon_rules():
    """The add-on's plain-Python rules, loaded without its package (whose __init__ needs Blender)."""
    package = types.ModuleType("addon_without_blender")
    package.__path__ = [str(ADDON_DIR)]
    sys.modules.setdefault("addon_without_blender", package)
    return importlib.import_module("addon_without_blender.rules")


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    return lines[0]


def clap(tmp_path: Path, name: str = "clap", **changes) -> Path:
    data = json.loads((BUILTIN_DIR / "clap.json").read_text())
    for key, value in changes.items():
        target = data
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("change,expected", [
    ({"randomization.speed": [1e-9, 1e-8]}, "randomization.speed: speed range must lie within [0.05, 20], got"),
    ({"fps": 100000}, "fps: Input should be less than or equal to 240"),
    ({"fps": 0.5}, "fps: Input should be greater than or equal to 1"),
])
def test_validation_refuses_what_the_farm_cannot_render(tmp_path, change, expected):
    line = one_error_line(run_cli("templates", "validate", str(clap(tmp_path, **change))))
    assert expected in line, line


def test_a_far_flung_root_or_too_many_frames_is_refused_at_validation(tmp_path):
    data = json.loads((BUILTIN_DIR / "clap.json").read_text())
    data["root_translation"][-1] = [1e30, 0.0, 0.0]
    (tmp_path / "clap.json").write_text(json.dumps(data))
    line = one_error_line(run_cli("templates", "validate", str(tmp_path / "clap.json")))
    assert "root_translation moves the pelvis 1e+30 m from where it starts, over the limit of 100 m" in line
    data = json.loads((BUILTIN_DIR / "clap.json").read_text())
    n = core_template.MAX_TEMPLATE_FRAMES + 1
    data.update(frame_count=n, rotations={}, root_translation=[[0.0, 0.0, 0.0]] * n)
    (tmp_path / "clap.json").write_text(json.dumps(data))
    line = one_error_line(run_cli("templates", "validate", str(tmp_path / "clap.json")))
    assert "frame_count: Input should be less than or equal to 10000" in line


def test_a_file_not_named_after_its_id_is_refused_at_validation(tmp_path):
    line = one_error_line(run_cli("templates", "validate", str(clap(tmp_path, name="my_clap"))))
    assert line.endswith("my_clap.json: id: template id 'clap' does not match its file name (name it clap.json)")


def test_a_template_over_the_size_limit_is_refused_unread(tmp_path):
    huge = tmp_path / "clap.json"
    with open(huge, "wb") as f:
        f.truncate(10 * 1024**3)  # 10 GB, sparse: reading it would take minutes and all the memory
    line = one_error_line(run_cli("templates", "validate", str(huge), timeout=60))
    assert line == f"error: {huge}: the template file is 10240.0 MiB, over the limit of 32 MiB"


def test_binary_deep_and_nan_inputs_are_one_line(tmp_path):
    out = tmp_path / "out"
    blend = tmp_path / "scene.blend"
    blend.write_bytes(b"BLENDER-v402" + bytes(range(256)) * 4)
    line = one_error_line(run_cli("render", str(blend), "--out", str(out)))
    assert line == f"error: {blend}: not a config file (not UTF-8 text: byte 140 is 0x80)"
    deep = tmp_path / "deep.yaml"
    deep.write_text("actions: " + "[" * 10000 + "]" * 10000 + "\n")
    line = one_error_line(run_cli("render", str(deep), "--out", str(out)))
    assert line == f"error: {deep}: the config is nested too deeply to be one (RecursionError while parsing)"
    nan = tmp_path / "nan.yaml"
    nan.write_text(yaml.safe_dump({"actions": ["wave"]}) + "camera:\n  motion: {choice: [static, pan], weights: "
                                                          "[.nan, 1]}\n")
    line = one_error_line(run_cli("render", str(nan), "--out", str(out)))
    assert line == f"error: {nan}: camera.motion: choice weights must be finite numbers"
    deep_json = tmp_path / "clap.json"
    deep_json.write_text("[" * 10000 + "]" * 10000)
    line = one_error_line(run_cli("templates", "validate", str(deep_json)))
    assert line == f"error: {deep_json}: the template is nested too deeply to be one (RecursionError while parsing)"
    bad_template = tmp_path / "wave.json"
    bad_template.write_bytes(b"\xff\xfe{}")
    line = one_error_line(run_cli("templates", "validate", str(bad_template)))
    assert line == f"error: {bad_template}: not a template file (not UTF-8 text: byte 0 is 0xff)"
    assert not out.exists()


def test_brackets_in_user_text_are_printed_as_they_are(tmp_path):
    folder = tmp_path / "[bold]data [x]"
    folder.mkdir()
    config = folder / "c.yaml"
    config.write_text(yaml.safe_dump({"actions": ["wave", "[red]moon[/red]walk"]}))
    line = one_error_line(run_cli("render", str(config), "--out", str(folder / "out")))
    assert line.startswith("error: unknown action '[red]moon[/red]walk' ("), line
    assert line.endswith(" known, listed by `synthact templates list`)"), line
    line = one_error_line(run_cli("templates", "validate", str(folder / "[nope].json")))
    assert line == f"error: {folder / '[nope].json'}: template file not found"
    assert not (folder / "out").exists()
    # Summaries: a plan written to a bracketed path, a template whose label is markup.
    library = folder / "lib"
    library.mkdir()
    data = json.loads((BUILTIN_DIR / "clap.json").read_text())
    data["label"] = "[red]clap[/red]"
    (library / "clap.json").write_text(json.dumps(data))
    config.write_text(yaml.safe_dump({"actions": ["clap"], "template_dirs": [str(library)]}))
    planned = run_cli("plan", str(config), "--out", str(folder / "out"))
    assert planned.returncode == 0, planned.stderr
    assert planned.stderr.strip().splitlines()[-1] == f"2 jobs -> {folder / 'out' / 'jobs.jsonl'}"
    listed = run_cli("templates", "list", "--dir", str(library))
    assert listed.returncode == 0 and "[red]clap[/red]" in listed.stdout, listed.stdout


def test_the_addon_checks_the_farms_limits():
    rules = addon_rules()
    for name in ("MAX_TEMPLATE_BYTES", "MAX_TEMPLATE_FRAMES", "MIN_FPS", "MAX_FPS", "MIN_SPEED", "MAX_SPEED",
                 "MAX_ROOT_OFFSET_M", "MAX_PERFORMANCES"):
        assert getattr(rules, name) == getattr(core_template, name), name
    motion = rules.Motion(fps=100000.0, rotations={}, root_translation=[[0.0, 0.0, 0.0], [1e30, 0.0, 0.0]])
    errors = [f.message for f in rules.check_motion(motion) if f.level == "ERROR"]
    assert any(e.startswith("fps: 100000 is outside 1 .. 240") for e in errors), errors
    assert any("over the limit of 100 m" in e for e in errors), errors
    props = rules.Properties(id="x", label="x", speed_min=1e-9, speed_max=1e-8)
    assert [f.message for f in rules.check_properties(props)] == [
        "speed: range must lie within 0.05 .. 20, got 1e-09 .. 1e-08"]


def test_the_addon_library_lists_around_a_broken_deep_or_huge_file(tmp_path):
    rules = addon_rules()
    (tmp_path / "clap.json").write_text((BUILTIN_DIR / "clap.json").read_text())
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate(10 * 1024**3)  # sparse: parsing it would take minutes and all the memory
    (tmp_path / "odd.json").write_text(json.dumps({"id": "odd", "label": "odd", "fps": 30, "frame_count": "many",
                                                   "rotations": {}, "root_translation": []}))
    rows = {row[0]: row[1] for row in rules.list_templates(tmp_path)}
    assert rows["clap"] == "clap"
    deep, huge = tmp_path / "deep.json", tmp_path / "huge.json"
    assert rows["deep"] == f"unreadable: {deep}: not a template JSON file (nested too deeply to parse)"
    assert rows["huge"] == f"unreadable: {huge}: the template file is 10240.0 MiB, over the limit of 32 MiB"
    assert rows["odd"].startswith("unreadable: ") and "frame_count: 'many'" in rows["odd"]


def test_dataset_lists_that_are_not_text_name_the_file(tmp_path):
    from training.data.lists import DatasetListError, parse_csv, read_classes

    binary = tmp_path / "classes.txt"
    binary.write_bytes(b"walk\n\xff\xfe\x00run\n")
    with pytest.raises(DatasetListError, match=rf"^{binary}: not a list file \(not UTF-8 text: byte 5\)$"):
        read_classes(binary)
    csv_file = tmp_path / "train.csv"
    csv_file.write_bytes(b"path,label\n\xffa.mp4,0\n")
    with pytest.raises(DatasetListError, match=rf"^{csv_file}: not a CSV list \(not UTF-8 text: byte 11\)$"):
        parse_csv(csv_file, tmp_path, None)


def test_a_folder_of_clips_from_before_plan_identities_is_not_extended(tmp_path):
    out = tmp_path / "old"
    (out / "labels" / "wave").mkdir(parents=True)
    (out / "labels" / "wave" / "wave_00000.json").write_text("{}")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"actions": ["wave"]}))
    line = one_error_line(run_cli("plan", str(config), "--out", str(out)))
    assert line == (f"error: {out}: holds clips rendered by an older synthact (no plan.json); render into a new "
                    "--out folder")
    assert sorted(p.name for p in out.iterdir()) == ["labels"]


def test_config_readers_refuse_duplicate_keys_nan_and_long_lists_in_one_line(tmp_path):
    from render_farm.core.plan.config import MAX_ACTIONS, MAX_CONFIG_BYTES

    twice = tmp_path / "twice.yaml"
    for text, message in (("seed: 1\nactions: [wave]\nseed: 2\n", "key 'seed' is given twice (lines 1 and 3)"),
                          ("actions: [wave]\ncamera:\n  focal_mm: 35\n  focal_mm: 50\n",
                           "key 'focal_mm' is given twice (lines 3 and 4)")):
        twice.write_text(text)
        for command in ("plan", "render"):
            result = run_cli(command, str(twice), "--out", str(tmp_path / "out"))
            # exactly one line: no blank line before it either
            assert result.returncode == 2 and result.stderr.splitlines() == [
                f"error: {twice}: {message}; keep one"], result.stderr
    assert not (tmp_path / "out").exists()
    train = tmp_path / "train.yaml"
    train.write_text("epochs: 2\nepochs: 3\n")
    result = run_cli("train", "pretrain", "--config", str(train), "--data", str(tmp_path), "--out",
                     str(tmp_path / "run"))
    assert one_error_line(result) == f"error: {train}: key 'epochs' is given twice (lines 1 and 2); keep one"

    nan = tmp_path / "nan.yaml"
    for text, message in (("fps: .nan", "fps: not a number (NaN)"),
                          ("val_fraction: .nan", "val_fraction: not a number (NaN)"),
                          ("camera:\n  focal_mm: [.nan, 50]", "camera.focal_mm: low must be a finite number")):
        nan.write_text(f"actions: [wave]\n{text}\n")
        line = one_error_line(run_cli("plan", str(nan), "--out", str(tmp_path / "out")))
        assert line == f"error: {nan}: {message}", line

    many = tmp_path / "many.yaml"
    many.write_text("actions:\n" + "".join(f"- a{k}\n" for k in range(MAX_ACTIONS + 1)))
    assert many.stat().st_size < MAX_CONFIG_BYTES
    line = one_error_line(run_cli("plan", str(many), "--out", str(tmp_path / "out")))
    assert line == f"error: {many}: actions: List should have at most {MAX_ACTIONS} items after validation, not " \
        f"{MAX_ACTIONS + 1}"
    huge = tmp_path / "huge.yaml"
    huge.write_text("actions:\n" + "- a\n" * 5_000_000)  # 20 MB: 180 s and 3.7 GB when it was parsed
    line = one_error_line(run_cli("plan", str(huge), "--out", str(tmp_path / "out"), timeout=60))
    assert line == f"error: {huge}: the config file is 19.1 MiB, over the limit of 256 KiB"


@pytest.mark.parametrize("over", [0, 1, 7])
def test_the_config_limits_hold_at_their_edge_and_past_it(tmp_path, over):
    """Each list limit and the file size limit: at the limit accepted, one and more past it refused."""
    from render_farm.core.plan.config import (
        MAX_ACTIONS,
        MAX_CONFIG_BYTES,
        MAX_FOLDERS,
        ConfigError,
        load_config,
        parse_config,
    )

    def refused(data: dict, field: str, limit: int) -> None:
        if over == 0:
            parse_config(data, "c.yaml")
            return
        with pytest.raises(ConfigError) as caught:
            parse_config(data, "c.yaml")
        assert str(caught.value) == f"c.yaml: {field}: List should have at most {limit} items after validation, " \
            f"not {limit + over}"

    refused({"actions": [f"a{k}" for k in range(MAX_ACTIONS + over)]}, "actions", MAX_ACTIONS)
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(b"\x89PNG")  # the config only lists image files; it does not open them
    folders = [str(images)] * (MAX_FOLDERS + over)
    refused({"actions": ["wave"], "template_dirs": folders}, "template_dirs", MAX_FOLDERS)
    refused({"actions": ["wave"], "scene": {"background_dirs": folders}}, "scene.background_dirs", MAX_FOLDERS)
    refused({"actions": ["wave"], "clothing": {"texture_dirs": folders}}, "clothing.texture_dirs", MAX_FOLDERS)

    sized = tmp_path / "sized.yaml"
    head = "actions: [wave]\n"
    sized.write_text(head + "#" * (MAX_CONFIG_BYTES + over - len(head) - 1) + "\n")
    assert sized.stat().st_size == MAX_CONFIG_BYTES + over
    if over == 0:
        assert load_config(sized).actions == ["wave"]
    else:
        with pytest.raises(ConfigError, match=r"the config file is 0\.3 MiB, over the limit of 256 KiB$"):
            load_config(sized)
