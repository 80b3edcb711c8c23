"""What an MP4 clip's header says, read without decoding: is the file whole, and how many frames of what size.

The farm's clips are written with `+faststart`: ftyp, moov (the index), then mdat (the frames). A clip
cut short keeps its index but loses the end of its mdat, so "the top-level boxes end exactly at the
end of the file" catches truncation; the index gives the frame count (the video track's sample count)
and the frame size (its track header). Reading a 32-frame clip's header is a few kB and about 0.1 ms,
where decoding it is tens of ms.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

MAX_INDEX_BYTES = 16 * 1024 * 1024  # a moov larger than this is not one of ours


class ClipHeaderError(ValueError):
    pass


@dataclass(frozen=True)
class ClipHeader:
    width: int
    height: int
    frames: int


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, box end) of the boxes in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:
            if pos + 16 > end:
                raise ClipHeaderError("box header cut short")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            head = 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            raise ClipHeaderError(f"box {kind!r} runs past its parent")
        yield kind, pos + head, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, s, e in _boxes(data, start, end):
        if k == kind:
            return s, e
    return None


HEAD_BYTES = 64 * 1024  # one read holds ftyp, moov and mdat's header of any clip the farm writes


def read_header(path: Path) -> ClipHeader:
    """The clip's video track: width, height, frame count. Raises ClipHeaderError when the file is cut
    short, is not an MP4, or has no video track."""
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(HEAD_BYTES)
        pos, moov = 0, None
        while pos < size:  # walk the top-level boxes by their headers, keeping the moov
            if pos + 16 > len(head) and len(head) < size:  # a header beyond what was read: read there
                f.seek(pos)
                chunk, base = f.read(16), pos
            else:
                chunk, base = head[pos:pos + 16], 0
            if len(chunk) < 8:
                raise ClipHeaderError("file ends inside a box header")
            box, kind = struct.unpack_from(">I4s", chunk)
            if box == 1 and len(chunk) == 16:
                box = struct.unpack_from(">Q", chunk, 8)[0]
            elif box == 0:
                box = size - pos
            if box < 8:
                raise ClipHeaderError(f"box {kind!r} has an impossible size {box}")
            if pos + box > size:
                raise ClipHeaderError(f"file is cut short: box {kind.decode(errors='replace')!r} needs "
                                      f"{pos + box - size} more bytes")
            if kind == b"moov":
                if box > MAX_INDEX_BYTES:
                    raise ClipHeaderError(f"index of {box} bytes")
                if base == 0 and pos + box <= len(head):
                    moov = head[pos:pos + box]
                else:
                    f.seek(pos)
                    moov = f.read(box)
            pos += box
    if moov is None:
        raise ClipHeaderError("no moov box (not an MP4 written with faststart, or not an MP4)")
    for kind, s, e in _boxes(moov, 8, len(moov)):
        if kind != b"trak":
            continue
        mdia = _child(moov, s, e, b"mdia")
        hdlr = mdia and _child(moov, *mdia, b"hdlr")
        if not hdlr or moov[hdlr[0] + 8:hdlr[0] + 12] != b"vide":
            continue
        tkhd = _child(moov, s, e, b"tkhd")
        minf = _child(moov, *mdia, b"minf")
        stbl = minf and _child(moov, *minf, b"stbl")
        stsz = stbl and _child(moov, *stbl, b"stsz")
        if not (tkhd and stsz):
            raise ClipHeaderError("video track without a track header or sample sizes")
        version = moov[tkhd[0]]
        wh = tkhd[0] + (88 if version == 1 else 76)  # after the fixed fields and the matrix: 16.16 width, height
        width, height = (v >> 16 for v in struct.unpack_from(">II", moov, wh))
        frames = struct.unpack_from(">I", moov, stsz[0] + 8)[0]  # version/flags, sample_size, sample_count
        return ClipHeader(width, height, frames)
    raise ClipHeaderError("no video track")
