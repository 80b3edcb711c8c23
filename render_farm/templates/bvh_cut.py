"""A labelled segment of a BVH file, cut out as a small BVH of its own before Blender reads it (plain Python).

Blender's importer parses a whole capture into memory; a 50-frame segment of a long capture would cost
the whole capture's time and memory, and the importer quietly replaces NaN rotations with the rest pose,
drops channels of inf and reads a zero frame time as 24 fps. So the file is read here as a stream: the
hierarchy, the MOTION header, then the frame rows only up to the segment's last frame, each number checked
finite and each row checked to have one number a channel. What is refused is one reason naming the file
and the frame; what passes is written as a BVH holding only the segment's frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from render_farm.core.template.model import MAX_TEMPLATE_FRAMES

MAX_LINE_BYTES = 1024 * 1024  # a frame row of 1,000 joints x 6 channels is about 60 kB
MAX_HIERARCHY_LINES = 100_000


class BvhSegmentError(ValueError):
    """Why a segment cannot be imported (one reason, naming the file and the frame where it applies)."""


@dataclass(frozen=True)
class CutSegment:
    path: Path  # the segment's own BVH
    frames: int
    frame_time: float
    rows_read: int  # of the source file: the segment's end, or every row when it runs to the end


def _lines(f, path: Path):
    number = 0
    while True:
        raw = f.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise BvhSegmentError(f"{path}: line {number} is longer than {MAX_LINE_BYTES // 1024} KiB")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BvhSegmentError(f"{path}: line {number} is not text (not UTF-8)") from None


def _header_value(line: str, key: str, path: Path, number: int) -> str:
    name, _, value = line.partition(":")
    if name.strip().lower() != key.lower() or not value.strip():
        raise BvhSegmentError(f"{path}: line {number}: expected '{key}: ...', found {line.strip()[:40]!r}")
    return value.strip()


def cut_segment(path: Path, start: int | None, end: int | None, dest: Path) -> CutSegment:
    """Write frames start..end (from 1, inclusive; None: the file's first or last) of the BVH at `path` to
    `dest`, reading no further than `end`. Raises BvhSegmentError with the reason."""
    path, dest = Path(path), Path(dest)
    first = start or 1
    try:
        with open(path, "rb") as f, open(dest, "w", encoding="utf-8") as out:
            lines = _lines(f, path)
            channels = _hierarchy(lines, out, path)
            number, line = next(lines, (0, ""))
            declared = _declared_frames(_header_value(line, "Frames", path, number), path, number)
            number, line = next(lines, (0, ""))
            frame_time = _frame_time(_header_value(line, "Frame Time", path, number), path, number)
            if end is not None and end - first + 1 > MAX_TEMPLATE_FRAMES or end is None and \
                    declared - first + 1 > MAX_TEMPLATE_FRAMES:
                raise BvhSegmentError(f"{path}: the segment has more than {MAX_TEMPLATE_FRAMES} frames, a template's "
                                      "limit; cut it with start_frame and end_frame")
            rows = _write_rows(lines, out, path, channels, first, end, declared, frame_time)
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise BvhSegmentError(f"{exc.filename or path}: cannot read ({exc.strerror})") from None
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return CutSegment(dest, rows["frames"], frame_time, rows["read"])


def _hierarchy(lines, out, path: Path) -> int:
    """Copy the hierarchy to `out` up to and including MOTION; returns the number of channels."""
    channels, seen = 0, 0
    for number, line in lines:
        seen += 1
        if seen > MAX_HIERARCHY_LINES:
            raise BvhSegmentError(f"{path}: no MOTION section in the first {MAX_HIERARCHY_LINES} lines")
        words = line.split()
        if seen == 1 and (not words or words[0] != "HIERARCHY"):
            raise BvhSegmentError(f"{path}: not a BVH file (it does not start with HIERARCHY)")
        if words and words[0] == "CHANNELS":
            try:
                count = int(words[1])
            except (IndexError, ValueError):
                raise BvhSegmentError(f"{path}: line {number}: CHANNELS without a count") from None
            if count < 0 or count != len(words) - 2:
                raise BvhSegmentError(f"{path}: line {number}: CHANNELS {words[1]} names {len(words) - 2} channels")
            channels += count
        out.write(line if line.endswith("\n") else line + "\n")
        if words and words[0] == "MOTION":
            if channels == 0:
                raise BvhSegmentError(f"{path}: the hierarchy has no channels")
            return channels
    raise BvhSegmentError(f"{path}: not a BVH file (no MOTION section)")


def _declared_frames(value: str, path: Path, number: int) -> int:
    try:
        frames = int(value)
    except ValueError:
        raise BvhSegmentError(f"{path}: line {number}: Frames: {value[:20]!r} is not a whole number") from None
    if frames < 1:
        raise BvhSegmentError(f"{path}: line {number}: Frames: {frames} (a capture has at least one frame)")
    return frames


def _frame_time(value: str, path: Path, number: int) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise BvhSegmentError(f"{path}: line {number}: Frame Time: {value[:20]!r} is not a number") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise BvhSegmentError(f"{path}: line {number}: Frame Time: {value} (it must be a positive number of "
                              "seconds)")
    return seconds


def _write_rows(lines, out, path: Path, channels: int, first: int, end: int | None, declared: int,
                frame_time: float) -> dict:
    body: list[str] = []
    frame = 0
    for number, line in lines:
        if not line.strip():
            continue
        frame += 1
        if frame > declared:
            raise BvhSegmentError(f"{path}: its Frames: header says {declared}, the file has more frame rows")
        if frame < first:
            continue
        values = line.split()
        if len(values) != channels:
            raise BvhSegmentError(f"{path}: frame {frame} (line {number}) has {len(values)} numbers for "
                                  f"{channels} channels")
        for channel, text in enumerate(values, 1):
            try:
                value = float(text)
            except ValueError:
                raise BvhSegmentError(f"{path}: frame {frame}: channel {channel} is {text[:20]!r}, not a "
                                      "number") from None
            if not math.isfinite(value):
                raise BvhSegmentError(f"{path}: frame {frame}: channel {channel} is {text} (NaN or infinite)")
        body.append(line if line.endswith("\n") else line + "\n")
        if frame == end:
            break
    if end is not None and frame < end:
        raise BvhSegmentError(f"{path}: end_frame {end} is past the file's last frame ({frame})")
    if first > frame:
        raise BvhSegmentError(f"{path}: start_frame {first} is past the file's last frame ({frame})")
    if end is None and frame != declared:
        raise BvhSegmentError(f"{path}: its Frames: header says {declared}, the file has {frame} frame rows")
    out.write(f"Frames: {len(body)}\nFrame Time: {frame_time!r}\n")
    out.writelines(body)
    return {"frames": len(body), "read": frame}
