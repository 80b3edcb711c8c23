"""frame_fit people: rendered clips cut to the box around their people (from the label), real videos whole."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.training.fixtures import write_video
from training.config import TrainConfigError, build_config
from training.data.dataset import VideoClipDataset
from training.data.lists import VideoList, load_video_list
from training.data.people import label_for_clip, people_boxes

W, H, FRAMES = 192, 128, 12
GREY, RED, BLUE = (128, 128, 128), (230, 20, 20), (20, 20, 230)
SUBJECT = (40, 30, 70, 110)  # x_min, y_min, x_max, y_max of the red actor (who acts)
PARTNER = (80, 36, 110, 116)  # the blue partner


def _frames() -> np.ndarray:
    frames = np.empty((FRAMES, H, W, 3), dtype=np.uint8)
    frames[:] = GREY
    for (x0, y0, x1, y1), colour in ((SUBJECT, RED), (PARTNER, BLUE)):
        frames[:, y0:y1, x0:x1] = colour
    return frames


def _folder(tmp_path: Path, partner_boxes: list | None = None, label_text: str | None = None) -> Path:
    """A SynthAct-layout folder of one clip whose label boxes the red subject and the blue partner."""
    root = tmp_path / "synthetic"
    write_video(root / "clips" / "hug" / "hug_00000.mp4", _frames())
    label = {"width": W, "height": H, "bbox": [list(SUBJECT)] * FRAMES,
             "partner": {"bbox": partner_boxes if partner_boxes is not None else [list(PARTNER)] * FRAMES}}
    (root / "labels" / "hug").mkdir(parents=True)
    (root / "labels" / "hug" / "hug_00000.json").write_text(label_text or json.dumps(label), encoding="utf-8")
    (root / "classes.txt").write_text("hug\n", encoding="utf-8")
    (root / "train.txt").write_text("clips/hug/hug_00000.mp4 0\n", encoding="utf-8")
    return root


def _shares(view) -> tuple[float, float, float]:
    """Shares of red, blue and grey pixels in a normalized (C, T, S, S) view."""
    rgb = (view * 0.225 + 0.45).clamp(0, 1).permute(1, 2, 3, 0).reshape(-1, 3).numpy() * 255
    red = (rgb[:, 0] > 180) & (rgb[:, 2] < 80)
    blue = (rgb[:, 2] > 180) & (rgb[:, 0] < 80)
    grey = (np.abs(rgb - 128) < 30).all(axis=1)
    return float(red.mean()), float(blue.mean()), float(grey.mean())


def _dataset(root: Path, train: bool, **kw) -> VideoClipDataset:
    return VideoClipDataset(load_video_list(root, "train"), train=train, num_frames=4, crop_size=32,
                            whole_video=True, flip=False, **kw)


def test_a_rendered_clip_is_cut_to_its_people(tmp_path):
    root = _folder(tmp_path)
    whole = _shares(_dataset(root, False, fit="squash")[0]["video"][0])
    people = _shares(_dataset(root, False, fit="people")[0]["video"][0])
    # The frame is mostly floor (grey); the people's box is mostly people, both of them.
    assert whole[2] > 0.75 and whole[0] < 0.12 and whole[1] < 0.12
    assert people[2] < 0.35 and people[0] > 0.3 and people[1] > 0.3
    view = _dataset(root, False, fit="people")[0]["video"][0]
    # The subject on the left of the box, the partner on the right, nothing of either cut away.
    left, right = _shares(view[..., :16]), _shares(view[..., 16:])
    assert left[0] > 0.6 and left[1] == 0.0 and right[1] > 0.6 and right[0] == 0.0


def test_training_cuts_to_the_subject_alone_as_often_as_asked(tmp_path):
    root = _folder(tmp_path)
    alone = _dataset(root, True, fit="people", subject_probability=1.0, min_crop_area=1.0)
    together = _dataset(root, True, fit="people", subject_probability=0.0, min_crop_area=1.0)
    for epoch in range(3):  # a new margin every epoch; never the partner when the subject is asked for alone
        alone.set_epoch(epoch)
        together.set_epoch(epoch)
        red, blue, _ = _shares(alone[0]["video"])
        assert red > 0.5 and blue == 0.0
        red, blue, _ = _shares(together[0]["video"])
        assert red > 0.15 and blue > 0.15
    half = _dataset(root, True, fit="people", subject_probability=0.5, min_crop_area=1.0)
    seen = []
    for epoch in range(40):
        half.set_epoch(epoch)
        seen.append(_shares(half[0]["video"])[1] == 0.0)
    assert 8 <= sum(seen) <= 32  # about half the epochs frame the subject alone


def test_a_video_without_a_label_is_used_whole(tmp_path):
    write_video(tmp_path / "real" / "hug" / "v.mp4", _frames())
    videos = VideoList([(tmp_path / "real" / "hug" / "v.mp4", 0)], ["hug"], "real")
    assert label_for_clip(tmp_path / "real" / "hug" / "v.mp4") is None

    def view(fit: str):
        return VideoClipDataset(videos, train=False, num_frames=4, crop_size=32, whole_video=True, fit=fit)[0]

    assert (view("people")["video"] == view("squash")["video"]).all()


def test_a_partner_never_in_view_leaves_the_subject(tmp_path):
    root = _folder(tmp_path, partner_boxes=[[0.0, 0.0, 0.0, 0.0]] * FRAMES)
    boxes = people_boxes(root / "clips" / "hug" / "hug_00000.mp4")
    assert boxes.everyone == boxes.subject == SUBJECT
    red, blue, _ = _shares(_dataset(root, False, fit="people")[0]["video"][0])
    assert red > 0.7 and blue == 0.0


def test_a_damaged_label_skips_the_clip_like_a_bad_video(tmp_path):
    root = _folder(tmp_path, label_text='{"width": 144, "bbox": [[1, 2')
    with pytest.warns(UserWarning, match=r"skipping unreadable video .*hug_00000.mp4: JSONDecodeError"):
        sample = _dataset(root, True, fit="people")[0]
    assert sample["bad"] is True
    assert _dataset(root, True, fit="squash")[0]["bad"] is False  # only the people fit reads the label


def test_subject_probability_is_checked(tmp_path):
    base = {"data": str(tmp_path), "frame_fit": "people"}
    assert build_config(None, base).frame_fit == "people"
    with pytest.raises(TrainConfigError) as err:
        build_config(None, {**base, "subject_probability": 1.5})
    assert "subject_probability" in str(err.value) and len(str(err.value).splitlines()) == 1


def test_frame_difference_keeps_what_moves_and_drops_what_stands_still(tmp_path):
    from training.data.transforms import frame_difference

    clip = torch.zeros(3, 4, 16, 16)
    clip[0] = 0.9  # a red, still place
    for t in range(4):  # a mid-grey square moving right by 3 pixels a frame
        clip[:, t, 4:8, 2 + 3 * t:6 + 3 * t] = 0.5
    out = frame_difference(clip)
    assert out.shape == clip.shape and bool((out[0] == out[1]).all() and (out[1] == out[2]).all())
    assert torch.allclose(out[0, :, 10:], torch.full((4, 6, 16), 0.5))  # still rows: no change, mid grey
    change = 0.5 - 0.299 * 0.9  # the square's grey level against the red place's
    # Frame 1: the square's leading edge lit up, its trailing edge darkened, by twice the grey change.
    assert out[0, 1, 5, 6].item() == pytest.approx(0.5 + 2 * change, abs=1e-5)
    assert out[0, 1, 5, 2].item() == pytest.approx(0.5 - 2 * change, abs=1e-5)
    assert torch.equal(out[:, 0], out[:, 1])  # the first frame takes the second's difference
    assert torch.allclose(frame_difference(clip[:, :1]), torch.full((3, 1, 16, 16), 0.5))


def test_a_difference_model_sees_the_same_view_whatever_the_colours(tmp_path):
    frames = _frames()
    frames[:, :, :] = frames[0]  # still: the people stand, nothing moves
    write_video(tmp_path / "still" / "hug" / "v.mp4", frames)
    videos = VideoList([(tmp_path / "still" / "hug" / "v.mp4", 0)], ["hug"], "still")
    view = VideoClipDataset(videos, train=False, num_frames=4, crop_size=32, whole_video=True, fit="squash",
                            frame_input="difference")[0]["video"][0]
    grey = view * 0.225 + 0.45
    assert float((grey - 0.5).abs().max()) < 0.03  # red, blue and grey alike: nothing moved, nothing seen
