"""Video transforms in pure torch (pytorchvideo.transforms does not import with current torchvision).

A clip is a float tensor (C, T, H, W) with values in [0, 1] unless normalized. Random
transforms take an explicit torch.Generator, so augmentation is reproducible per sample.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

FrameFit = Literal["crop", "squash"]
KINETICS_MEAN = (0.45, 0.45, 0.45)
KINETICS_STD = (0.225, 0.225, 0.225)


def to_float(frames_uint8_thwc: torch.Tensor) -> torch.Tensor:
    """(T, H, W, C) uint8 -> (C, T, H, W) float in [0, 1]."""
    return frames_uint8_thwc.permute(3, 0, 1, 2).float().div_(255.0)


def temporal_subsample(clip: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Evenly spaced frames (repeats frames when the clip is shorter)."""
    t = clip.shape[1]
    idx = torch.linspace(0, t - 1, num_frames).round().long().clamp(0, t - 1)
    return clip[:, idx]


def short_side_resize(clip: torch.Tensor, size: int) -> torch.Tensor:
    c, t, h, w = clip.shape
    if min(h, w) == size:
        return clip
    if h < w:
        new_h, new_w = size, max(1, round(w * size / h))
    else:
        new_h, new_w = max(1, round(h * size / w)), size
    out = F.interpolate(clip.transpose(0, 1), size=(new_h, new_w), mode="bilinear", align_corners=False,
                        antialias=True)
    return out.transpose(0, 1)


def squash(clip: torch.Tensor, size: int) -> torch.Tensor:
    """The whole frame resized to size x size, whatever its aspect ratio (nothing cropped away)."""
    if clip.shape[-2:] == (size, size):
        return clip
    out = F.interpolate(clip.transpose(0, 1), size=(size, size), mode="bilinear", align_corners=False,
                        antialias=True)
    return out.transpose(0, 1)


def crop(clip: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return clip[:, :, top:top + height, left:left + width]


def center_crop(clip: torch.Tensor, size: int) -> torch.Tensor:
    h, w = clip.shape[-2:]
    return crop(clip, max(0, (h - size) // 2), max(0, (w - size) // 2), min(size, h), min(size, w))


def spatial_crops(clip: torch.Tensor, size: int, count: int) -> list[torch.Tensor]:
    """`count` crops evenly along the longer side (1: centre; 3: left/top, centre, right/bottom)."""
    h, w = clip.shape[-2:]
    if count == 1:
        return [center_crop(clip, size)]
    out = []
    for i in range(count):
        frac = i / (count - 1)
        if w >= h:
            out.append(crop(clip, max(0, (h - size) // 2), round((w - size) * frac), size, size))
        else:
            out.append(crop(clip, round((h - size) * frac), max(0, (w - size) // 2), size, size))
    return out


def random_resized_crop(
    clip: torch.Tensor, size: int, generator: torch.Generator, scale=(0.4, 1.0), ratio=(3 / 4, 4 / 3)
) -> torch.Tensor:
    """A random area and aspect ratio, resized to size x size (the same box for every frame)."""
    h, w = clip.shape[-2:]
    area = h * w
    for _ in range(10):
        target = area * float(torch.empty(1).uniform_(scale[0], scale[1], generator=generator))
        log_r = torch.empty(1).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=generator)
        aspect = math.exp(float(log_r))
        cw = round(math.sqrt(target * aspect))
        ch = round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            top = int(torch.randint(0, h - ch + 1, (1,), generator=generator))
            left = int(torch.randint(0, w - cw + 1, (1,), generator=generator))
            break
    else:
        ch = cw = min(h, w)
        top, left = (h - ch) // 2, (w - cw) // 2
    out = crop(clip, top, left, ch, cw).transpose(0, 1)
    out = F.interpolate(out, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return out.transpose(0, 1)


def horizontal_flip(clip: torch.Tensor) -> torch.Tensor:
    return clip.flip(-1)


def color_jitter(clip: torch.Tensor, strength: float, grayscale_probability: float,
                 generator: torch.Generator) -> torch.Tensor:
    """One random brightness, contrast and saturation change for the whole clip (each factor in
    [1 - strength, 1 + strength]), then grey with `grayscale_probability`: colours that differ between
    rendered and filmed people and places stop being cues. Values stay in [0, 1]."""
    def factor() -> float:
        return 1.0 + strength * (2.0 * float(torch.rand(1, generator=generator)) - 1.0)

    if strength > 0:
        grey = (0.299 * clip[0] + 0.587 * clip[1] + 0.114 * clip[2]).unsqueeze(0)
        clip = clip * factor()  # brightness
        clip = (clip - grey.mean()) * factor() + grey.mean()  # contrast about the clip's mean grey
        grey = (0.299 * clip[0] + 0.587 * clip[1] + 0.114 * clip[2]).unsqueeze(0)
        clip = grey + (clip - grey) * factor()  # saturation
        clip = clip.clamp(0.0, 1.0)
    if grayscale_probability > 0 and float(torch.rand(1, generator=generator)) < grayscale_probability:
        clip = (0.299 * clip[0] + 0.587 * clip[1] + 0.114 * clip[2]).unsqueeze(0).expand(3, -1, -1, -1)
    return clip


def frame_difference(clip: torch.Tensor, gain: float = 2.0) -> torch.Tensor:
    """What moves instead of what things look like: each frame's grey level minus the previous frame's (the
    first frame takes the second's difference), as 0.5 + gain x difference in every channel, clamped to
    [0, 1]. Still places and plain colours vanish; edges that move remain."""
    grey = 0.299 * clip[0] + 0.587 * clip[1] + 0.114 * clip[2]  # (T, H, W)
    if grey.shape[0] < 2:
        diff = torch.zeros_like(grey)
    else:
        diff = grey[1:] - grey[:-1]
        diff = torch.cat([diff[:1], diff])
    return (0.5 + gain * diff).clamp(0.0, 1.0).unsqueeze(0).expand(3, -1, -1, -1).contiguous()


def normalize(clip: torch.Tensor, mean=KINETICS_MEAN, std=KINETICS_STD) -> torch.Tensor:
    m = torch.tensor(mean, dtype=clip.dtype).view(-1, 1, 1, 1)
    s = torch.tensor(std, dtype=clip.dtype).view(-1, 1, 1, 1)
    return (clip - m) / s


def train_transform(clip: torch.Tensor, num_frames: int, crop_size: int, generator: torch.Generator,
                    flip: bool = True, min_crop_area: float = 0.4, fit: FrameFit = "crop",
                    jitter: float = 0.0, grayscale_probability: float = 0.0, difference: bool = False
                    ) -> torch.Tensor:
    """fit "crop": a random box of the frame; "squash": the same, of the whole frame squashed to a square
    first, so that a box of area 1 is the whole frame (what "squash" evaluation sees)."""
    clip = temporal_subsample(clip, num_frames)
    if fit == "squash":
        clip = squash(clip, crop_size)
    clip = random_resized_crop(clip, crop_size, generator, scale=(min_crop_area, 1.0))
    if flip and float(torch.rand(1, generator=generator)) < 0.5:
        clip = horizontal_flip(clip)
    if jitter > 0 or grayscale_probability > 0:
        clip = color_jitter(clip, jitter, grayscale_probability, generator)
    return normalize(frame_difference(clip) if difference else clip)


def eval_views(clip: torch.Tensor, num_frames: int, crop_size: int, crops: int, fit: FrameFit = "crop",
               difference: bool = False) -> list[torch.Tensor]:
    """fit "crop": short side resized, `crops` square crops; "squash": the whole frame, one view."""
    clip = temporal_subsample(clip, num_frames)
    if fit == "squash":
        views = [squash(clip, crop_size)]
    else:
        views = spatial_crops(short_side_resize(clip, crop_size), crop_size, crops)
    return [normalize(frame_difference(v) if difference else v) for v in views]
