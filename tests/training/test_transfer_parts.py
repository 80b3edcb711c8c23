"""Class mappings between datasets and grouped cross-validation folds (no training, no video decoding)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from rich.console import Console

from tests.conftest import run_cli
from training.config import build_config
from training.data.folds import FoldError, grouped_folds
from training.data.lists import VideoList
from training.data.mapping import LIBRARY_MAPPINGS, ClassMappingError, RestrictedModel, build_mapping
from training.engine import checkpoint as ckpt
from training.engine.loop import _build
from training.models import build_model

SYNTHETIC = ["walk", "wave", "punch", "shadow_boxing", "clap", "run", "sprint"]


def _csv(path: Path, rows: list[tuple[str, str]], header: str = "template_id,real_class") -> Path:
    path.write_text(header + "\n" + "".join(f"{s},{r}\n" for s, r in rows), encoding="utf-8")
    return path


def test_zero_shot_scores_only_the_mapped_classes(tmp_path):
    mapping = build_mapping(["running", "boxing", "walking"], SYNTHETIC, "kth")
    assert mapping.sources == [[5, 6], [2, 3], [0]]  # sprint and run both vote for running
    logits = torch.randn(5, len(SYNTHETIC))
    real = RestrictedModel(lambda x: x, mapping)(logits)
    p = logits.softmax(dim=1)
    mapped = p[:, [5, 6]].sum(1), p[:, [2, 3]].sum(1), p[:, 0]
    expected = torch.stack(mapped, dim=1)
    assert torch.allclose(real.softmax(dim=1), expected / expected.sum(1, keepdim=True), atol=1e-6)
    # Classes no real class maps to (wave, clap) take no probability: changing them changes nothing.
    other = logits.clone()
    other[:, [1, 4]] = 50.0
    assert torch.allclose(RestrictedModel(lambda x: x, mapping)(other), real)


def test_unmapped_and_ambiguous_classes_are_one_line_errors(tmp_path):
    path = _csv(tmp_path / "m.csv", [("walk", "Walking"), ("wave", "Waving")])
    with pytest.raises(ClassMappingError) as err:
        build_mapping(["Walking", "Jumping"], SYNTHETIC, path)
    assert str(err.value) == f"real class 'Jumping' maps to no class of the model in {path}"
    with pytest.raises(ClassMappingError) as err:
        build_mapping(["Walking", "jump"], SYNTHETIC)
    assert str(err.value) == "real class 'Walking' maps to no class of the model in the real class names " \
                             "(mapped by name)"
    twice = _csv(tmp_path / "twice.csv", [("walk", "Walking"), ("walk", "Strolling")])
    with pytest.raises(ClassMappingError) as err:
        build_mapping(["Walking", "Strolling"], SYNTHETIC, twice)
    assert str(err.value) == f"{twice}:3: class 'walk' is mapped to both 'Walking' and 'Strolling' (ambiguous)"
    with pytest.raises(ClassMappingError, match="mapping 'nope': neither a file nor a library mapping"):
        build_mapping(["Walking"], SYNTHETIC, "nope")
    bad = _csv(tmp_path / "bad.csv", [("walk", "Walking")], header="id,name")
    with pytest.raises(ClassMappingError, match=r"bad.csv:1: the header must name 'template_id'"):
        build_mapping(["Walking"], SYNTHETIC, bad)
    # Saved by a spreadsheet: a UTF-8 byte order mark before the header.
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufefftemplate_id,real_class\nwalk,Walking\n".encode())
    assert build_mapping(["Walking"], SYNTHETIC, bom).sources == [[0]]


def test_library_mappings_name_real_classes_of_their_datasets():
    ut = build_mapping(["hand_shaking", "hugging", "kicking", "pointing", "punching", "pushing"],
                       ["handshake", "hug", "kick_person", "point_at_other", "punch_person", "push_person"],
                       "ut_interaction")
    assert ut.sources == [[0], [1], [2], [3], [4], [5]]
    assert {p.stem for p in LIBRARY_MAPPINGS.glob("*.csv")} >= {"ut_interaction", "kth", "ucf101", "hmdb51"}


def test_finetune_head_rows_are_copied_from_the_mapped_classes(tmp_path):
    synthetic = ["left", "right", "up", "down"]
    model = build_model("small", 4, 8, 32, 0.0)
    path = tmp_path / "synthetic.pt"
    ckpt.save_checkpoint(path, {"model": model.state_dict(), "classes": synthetic})
    mapping = _csv(tmp_path / "m.csv", [("down", "Falling"), ("left", "Westward"), ("right", "Westward")])
    cfg = build_config(None, {"data": tmp_path, "mode": "finetune", "checkpoint": path, "model": "small",
                              "num_frames": 8, "crop_size": 32, "dropout": 0.0, "mapping": str(mapping)})
    tuned, _ = _build(cfg, ["Westward", "Falling"], torch.device("cpu"), Console(quiet=True))
    source = model.blocks[-1].proj
    head = tuned.blocks[-1].proj
    assert head.weight.shape == (2, source.in_features)
    for j in range(source.in_features):  # weight by weight
        assert head.weight[1, j] == source.weight[3, j]
        assert torch.isclose(head.weight[0, j], (source.weight[0, j] + source.weight[1, j]) / 2)
    assert head.bias[1] == source.bias[3]
    # The backbone is the checkpoint's.
    state = tuned.state_dict()
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items() if ".proj." not in k)
    # Without a mapping the head starts at random, as before.
    plain, _ = _build(cfg.model_copy(update={"mapping": None}), ["Westward", "Falling"], torch.device("cpu"),
                      Console(quiet=True))
    assert not torch.equal(plain.blocks[-1].proj.weight[1], source.weight[3])


def _videos(groups: list[str]) -> VideoList:
    items = [(Path(f"/data/c{i % 3}/clip_{i}_{g}_{i % 3}.avi"), i % 3) for i, g in enumerate(groups)]
    return VideoList(items, ["a", "b", "c"], "/data")


@pytest.mark.parametrize("folds", [None, 2, 3, 4])
def test_grouped_folds_never_split_a_group_and_test_every_clip_once(folds):
    groups = [str(1 + (i * 7) % 10) for i in range(60)]  # 10 groups, clips of a group scattered
    videos = _videos(groups)
    made = grouped_folds(videos, "ut_interaction", folds)
    assert len(made) == (10 if folds is None else folds)
    tested = []
    for fold in made:
        train_groups = {p.name.split("_")[2] for p, _ in fold.train.items}
        test_groups = {p.name.split("_")[2] for p, _ in fold.test.items}
        assert train_groups.isdisjoint(test_groups) and test_groups == set(fold.test_groups)
        assert len(fold.train) + len(fold.test) == 60
        tested += [p for p, _ in fold.test.items]
    assert sorted(tested) == sorted(p for p, _ in videos.items)  # every clip a test clip exactly once
    if folds is None:
        assert [f.test_groups for f in made] == [(str(g),) for g in range(1, 11)]  # numeric order


def test_grouped_fold_errors_name_the_problem():
    with pytest.raises(FoldError, match=r"clip_x\.avi: the file name does not match the group pattern"):
        grouped_folds(VideoList([(Path("/d/clip_x.avi"), 0)], ["a"], "/d"), "ut_interaction")
    with pytest.raises(FoldError, match="1 group\\(s\\) found"):
        grouped_folds(_videos(["4"] * 5), "ut_interaction")
    with pytest.raises(FoldError, match="folds: 5 folds of 3 groups"):
        grouped_folds(_videos(["1", "2", "3"] * 2), "ut_interaction", 5)
    with pytest.raises(FoldError, match="groups: '_\\(' is not a regular expression"):
        grouped_folds(_videos(["1", "2"]), "_(")


@pytest.mark.slow
def test_transfer_refuses_bad_input_in_one_line(tmp_path):
    (tmp_path / "real" / "walk").mkdir(parents=True)
    result = run_cli("train", "transfer", "--synthetic", str(tmp_path / "none.pt"), "--real",
                     str(tmp_path / "real"), "--out", str(tmp_path / "study"))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {tmp_path / 'real'}: a 'folders' dataset has no published splits: "
                                     "give --groups (a group pattern such as ut_interaction, ucf101, kth, or a "
                                     "regular expression)")
    result = run_cli("train", "transfer", "--synthetic", str(tmp_path / "none.pt"), "--real",
                     str(tmp_path / "real"), "--out", str(tmp_path / "study"), "--groups", "ut_interaction")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "0 group(s) found" in result.stderr
    # A bad evaluation setting in the recipe stops the study before the checkpoint is even looked for.
    for sequence in (1, 2):
        (tmp_path / "real" / "walk" / f"utinteraction_set1_{sequence}_{sequence}_0.avi").write_bytes(b"")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("common: {eval_spans: [1.0, 2.0]}\n")
    result = run_cli("train", "transfer", "--synthetic", str(tmp_path / "none.pt"), "--real",
                     str(tmp_path / "real"), "--out", str(tmp_path / "study"), "--groups", "ut_interaction",
                     "--recipe", str(recipe))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: recipe (common): eval_spans.1: Input should be less than or equal to 1"


def test_whole_video_spreads_the_frames_over_all_of_it(tmp_path):
    from tests.training.fixtures import write_video
    from training.data.dataset import VideoClipDataset

    frames = np.stack([np.full((32, 48, 3), 10 + 6 * t, dtype=np.uint8) for t in range(40)])  # 5 s at 8 fps
    write_video(tmp_path / "v.mp4", frames)
    videos = VideoList([(tmp_path / "v.mp4", 0)], ["a"], "v")

    def brightness(**kw) -> list[float]:
        sample = VideoClipDataset(videos, train=False, num_frames=5, crop_size=32, clip_seconds=1.0, **kw)[0]
        clip = sample["video"][0] * 0.225 + 0.45  # (C, T, H, W), back from the normalization
        return [round(float(clip[:, t].mean()) * 255) for t in range(clip.shape[1])]

    window = brightness()
    whole = brightness(whole_video=True)
    assert window[-1] < 10 + 6 * 9  # a 1 s window from the start: frames 0-7 only
    assert abs(whole[0] - 10) <= 3 and abs(whole[-1] - (10 + 6 * 39)) <= 3  # first and last frames
    assert whole == sorted(whole) and len(set(whole)) == 5
    trained = VideoClipDataset(videos, train=True, num_frames=5, crop_size=32, whole_video=True, flip=False)
    clip = trained[0]["video"] * 0.225 + 0.45
    span = (float(clip[:, -1].mean()) - float(clip[:, 0].mean())) * 255
    assert span >= 0.8 * 6 * 39 - 6  # training jitters within 80-100% of the video
    # eval_spans: one view per centred share of the video, in order; the whole video's view comes first as before.
    spans = VideoClipDataset(videos, train=False, num_frames=5, crop_size=32, whole_video=True,
                             eval_spans=(1.0, 0.5), clips_per_video=2)[0]["video"]
    assert spans.shape[0] == 4  # clips_per_video x spans
    level = (spans * 0.225 + 0.45).mean(dim=(1, 3, 4)) * 255  # (views, T)
    assert [round(float(v)) for v in level[0]] == whole
    expected = [10 + 6 * round(9.75 + 19.5 * k / 4) for k in range(5)]  # frames 9.75 .. 29.25 of 0 .. 39
    assert all(abs(float(v) - e) <= 3 for v, e in zip(level[1], expected, strict=True)), level[1]
    assert torch.equal(spans[2:], spans[:2])


@pytest.mark.slow
def test_eval_spans_are_refused_in_one_line_when_malformed(tmp_path):
    for bad in ("0,1", "1.5", "a,b", ",".join(["1"] * 9)):
        result = run_cli("train", "eval", "--checkpoint", str(tmp_path / "none.pt"), "--spans", bad)
        assert result.returncode == 2
        assert result.stderr.strip() == (f"error: --spans {bad}: 1 to 8 comma-separated shares of the video, "
                                         "each above 0 and at most 1")
