"""Clip datasets: PyAV decoding through pytorchvideo's EncodedVideo and its clip samplers.

Map-style, so samplers (random, distributed, sharded) index it directly. Randomness
(clip start, crop, flip) comes from a generator seeded by (seed, epoch, index): the
same sample whatever process or worker draws it, which makes resumed runs exact.
An unreadable video yields a marked-bad sample that `collate` drops and counts.
"""

from __future__ import annotations

import random
import warnings
from typing import Literal

import av
import numpy as np
import torch
from pytorchvideo.data.clip_sampling import ConstantClipsPerVideoSampler, RandomClipSampler
from pytorchvideo.data.encoded_video import EncodedVideo

from training.data import transforms as T
from training.data.lists import VideoList
from training.data.people import PeopleBoxes, cut_box, people_boxes

FrameMode = Literal["motion", "static", "shuffled"]
FrameFit = Literal["crop", "squash", "people"]  # people: cut to the people's box, then squashed
FrameInput = Literal["rgb", "difference"]  # difference: each frame's grey change from the previous one
EVAL_MARGIN = 0.05  # a people box's margin at evaluation, per side, as a share of the box
TRAIN_MARGIN = (0.0, 0.15)  # the range a training box's margin is drawn from, per side


def _sample_seed(*parts: int) -> int:
    h = 1469598103934665603
    for p in parts:
        h = ((h ^ (p & 0xFFFFFFFFFFFF)) * 1099511628211) & 0x7FFFFFFFFFFFFFFF
    return h


class VideoClipDataset(torch.utils.data.Dataset):
    def __init__(
        self,
        videos: VideoList,
        train: bool,
        num_frames: int = 8,
        crop_size: int = 112,
        clip_seconds: float = 2.0,
        clips_per_video: int = 1,
        crops: int = 1,
        flip: bool = True,
        seed: int = 0,
        frame_mode: FrameMode = "motion",
        min_crop_area: float = 0.4,
        whole_video: bool = False,
        fit: FrameFit = "crop",
        color_jitter: float = 0.0,
        grayscale_probability: float = 0.0,
        subject_probability: float = 0.0,
        frame_input: FrameInput = "rgb",
        eval_spans: tuple[float, ...] = (1.0,),
    ):
        self.videos = videos
        self.train = train
        self.num_frames = num_frames
        self.crop_size = crop_size
        self.clip_seconds = clip_seconds
        self.clips_per_video = clips_per_video
        self.crops = crops
        self.flip = flip
        self.seed = seed
        self.frame_mode = frame_mode
        self.min_crop_area = min_crop_area
        self.whole_video = whole_video
        self.fit = fit
        self.color_jitter = color_jitter
        self.grayscale_probability = grayscale_probability
        self.subject_probability = subject_probability
        self.frame_input = frame_input
        self.eval_spans = tuple(eval_spans)
        self._boxes: dict[int, PeopleBoxes | None] = {}  # read once per clip, not once per epoch
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.videos.items)

    def _frames(self, clip: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Apply the bias-analysis frame mode to a (C, T, H, W) clip."""
        if self.frame_mode == "static":
            return clip[:, clip.shape[1] // 2:clip.shape[1] // 2 + 1].expand(-1, clip.shape[1], -1, -1)
        if self.frame_mode == "shuffled":
            return clip[:, torch.randperm(clip.shape[1], generator=g)]
        return clip

    def _people(self, clip: torch.Tensor, boxes: PeopleBoxes | None, g: torch.Generator) -> torch.Tensor:
        """fit "people": the clip cut to its people (a random margin and, with subject_probability, the
        first actor alone when training; every actor and a fixed margin when evaluating)."""
        if boxes is None:
            return clip
        if not self.train:
            return cut_box(clip, boxes.everyone, (boxes.width, boxes.height), (EVAL_MARGIN,) * 4)
        subject = self.subject_probability > 0 and float(torch.rand(1, generator=g)) < self.subject_probability
        margin = tuple(float(m) for m in torch.empty(4).uniform_(*TRAIN_MARGIN, generator=g))
        return cut_box(clip, boxes.subject if subject else boxes.everyone, (boxes.width, boxes.height), margin)

    def _views(self, clip: torch.Tensor, g: torch.Generator, boxes: PeopleBoxes | None = None
               ) -> list[torch.Tensor]:
        """A decoded (C, T, H, W) clip in [0, 1], num_frames already picked -> its training or eval views."""
        clip = self._frames(clip, g)
        fit, difference = self.fit, self.frame_input == "difference"
        if fit == "people":  # cut to the people, then the whole cut squashed as a real segmented clip is
            clip, fit = self._people(clip, boxes, g), "squash"
        if self.train:
            return [T.train_transform(clip, self.num_frames, self.crop_size, g, self.flip, self.min_crop_area,
                                      fit, self.color_jitter, self.grayscale_probability, difference)]
        return T.eval_views(clip, self.num_frames, self.crop_size, self.crops, fit, difference)

    def _window_views(self, path, g: torch.Generator, boxes: PeopleBoxes | None) -> list[torch.Tensor]:
        """clip_seconds windows through pytorchvideo's clip samplers: one random window for training,
        clips_per_video evenly spaced ones for evaluation."""
        video = EncodedVideo.from_path(str(path), decoder="pyav", decode_audio=False)
        try:
            duration = float(video.duration)
            if self.train:
                # RandomClipSampler draws from Python's random: seed it for this sample only.
                state = random.getstate()
                random.seed(int(torch.randint(0, 2**31, (1,), generator=g)))
                try:
                    info = RandomClipSampler(min(self.clip_seconds, duration))(0.0, duration, None)
                finally:
                    random.setstate(state)
                spans = [(info.clip_start_sec, info.clip_end_sec)]
            else:
                sampler = ConstantClipsPerVideoSampler(min(self.clip_seconds, duration), self.clips_per_video)
                spans = []
                for _ in range(self.clips_per_video):
                    info = sampler(0.0, duration, None)
                    spans.append((info.clip_start_sec, info.clip_end_sec))
            views = []
            for start, end in spans:
                data = video.get_clip(start, end)["video"]
                if data is None or data.shape[1] == 0:
                    raise ValueError(f"no frames decoded between {float(start):.2f} s and {float(end):.2f} s")
                # Subsample before converting: only the frames kept are scaled.
                views.extend(self._views(T.temporal_subsample(data, self.num_frames).div_(255.0), g, boxes))
            return views
        finally:
            video.close()

    def _whole_video_views(self, path, g: torch.Generator, boxes: PeopleBoxes | None) -> list[torch.Tensor]:
        """A segmented clip holds one whole action: num_frames spread over all of it, as rendered clips are
        (at evaluation, over each of eval_spans' centred shares of it in turn: one view each).
        Every frame is decoded (inter-coded video needs it) but only the frames kept are converted to RGB,
        which is where decoding spends its time (a 123-frame 376x292 MPEG-4 clip: 0.07 s to decode, 1.1 s more
        to convert every frame, measured on a busy 2-core machine)."""
        with av.open(str(path)) as container:
            frames = list(container.decode(video=0))
        if not frames:
            raise ValueError("no frames decoded")
        last = len(frames) - 1
        if self.train:  # a little temporal jitter: 80-100% of the video
            length = float(torch.empty(1).uniform_(0.8, 1.0, generator=g))
            spans = [(float(torch.empty(1).uniform_(0.0, 1.0 - length, generator=g)), length)]
        else:  # each evaluation span centred in the video
            spans = [((1.0 - length) / 2, length) for length in self.eval_spans]
        picks = [torch.linspace(start * last, (start + length) * last, self.num_frames).round().long().clamp(0, last)
                 for start, length in spans]
        rgb = {i: frames[i].to_ndarray(format="rgb24") for i in sorted({i for p in picks for i in p.tolist()})}
        views = []
        for picked in picks:
            clip = T.to_float(torch.from_numpy(np.stack([rgb[i] for i in picked.tolist()])))
            views.extend(self._views(clip, g, boxes))
        # Every evaluation clip of a whole video is the same clip: decoded once, its views repeated so that
        # each sample still carries clips_per_video x spans x crops views.
        return views if self.train else views * self.clips_per_video

    def __getitem__(self, index: int) -> dict:
        path, label = self.videos.items[index]
        g = torch.Generator().manual_seed(_sample_seed(self.seed, self.epoch, index))
        try:
            # The label is read with the video, so a clip whose label is damaged is skipped like a bad video.
            boxes = None
            if self.fit == "people":
                if index not in self._boxes:
                    self._boxes[index] = people_boxes(path)
                boxes = self._boxes[index]
            if self.whole_video:
                views = self._whole_video_views(path, g, boxes)
            else:
                views = self._window_views(path, g, boxes)
        except Exception as exc:  # corrupt, truncated or unreadable: skipped and counted by collate
            warnings.warn(f"skipping unreadable video {path}: {type(exc).__name__}: {exc}", stacklevel=1)
            return {"bad": True, "path": str(path), "index": index}
        x = views[0] if self.train else torch.stack(views)
        return {"bad": False, "video": x, "label": label, "index": index}


def collate(samples: list[dict]) -> dict:
    good = [s for s in samples if not s["bad"]]
    out = {
        "bad": len(samples) - len(good),
        "bad_paths": [s["path"] for s in samples if s["bad"]],
        "count": len(good),
    }
    if good:
        out["video"] = torch.stack([s["video"] for s in good])
        out["label"] = torch.tensor([s["label"] for s in good])
        out["index"] = torch.tensor([s["index"] for s in good])
    return out
