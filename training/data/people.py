"""Where the people are in a rendered clip: the box a `frame_fit: people` view is cut from.

Segmented action datasets often frame the people rather than the place: UT-Interaction's segmented clips
are cut to the box around the people taking part, and a clip of one person pointing holds that person
alone. A rendered clip is framed by its camera, with floor and sky around the actors. Its label records
every actor's box per frame, so training can cut rendered clips the way such a dataset cuts real ones.
Videos without a SynthAct label (real datasets) have no box and are used whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class PeopleBoxes:
    """Boxes in the clip's pixels (x_min, y_min, x_max, y_max) around the people over the whole clip."""

    everyone: tuple[float, float, float, float]
    subject: tuple[float, float, float, float]  # the first actor alone: the one who performs the action
    width: int
    height: int


def label_for_clip(clip: Path) -> Path | None:
    """A SynthAct clip's label: `clips/<template>/<job>.mp4` -> `labels/<template>/<job>.json`."""
    clip = Path(clip)
    if clip.parent.parent.name != "clips":
        return None
    label = clip.parent.parent.parent / "labels" / clip.parent.name / f"{clip.stem}.json"
    return label if label.is_file() else None


def _union(per_frame: list[list[float]]) -> tuple[float, float, float, float] | None:
    boxes = [b for b in per_frame if len(b) == 4 and b[2] > b[0] and b[3] > b[1]]
    if not boxes:
        return None  # out of view in every frame
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def people_boxes(clip: Path) -> PeopleBoxes | None:
    """The boxes of a rendered clip from its label; None for a video without one (or with no one in view)."""
    label = label_for_clip(clip)
    if label is None:
        return None
    with open(label, encoding="utf-8") as f:
        data = json.load(f)
    subject = _union(data.get("bbox") or [])
    partner = data.get("partner") or {}
    other = _union(partner.get("bbox") or [])
    if subject is None and other is None:
        return None
    everyone = _union([b for b in (subject, other) if b is not None])
    return PeopleBoxes(everyone, subject or everyone, int(data["width"]), int(data["height"]))


def cut_box(clip: torch.Tensor, box: tuple[float, float, float, float], label_size: tuple[int, int],
            margin: tuple[float, float, float, float]) -> torch.Tensor:
    """Cut a (C, T, H, W) clip to `box` (in the label's width x height pixels), widened on the left, top,
    right and bottom by `margin` times the box's width or height, and kept inside the frame."""
    h, w = clip.shape[-2:]
    sx, sy = w / label_size[0], h / label_size[1]
    x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
    bw, bh = x1 - x0, y1 - y0
    left = max(0, int(x0 - margin[0] * bw))
    top = max(0, int(y0 - margin[1] * bh))
    right = min(w, max(left + 1, round(x1 + margin[2] * bw)))
    bottom = min(h, max(top + 1, round(y1 + margin[3] * bh)))
    return clip[:, :, top:bottom, left:right]
