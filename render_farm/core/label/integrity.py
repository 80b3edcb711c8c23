"""Is a clip the one its label was written for, and does the label still say what it said? Cheaply.

A worker records the clip's bytes in its label (size, modification time and a BLAKE2b digest) before
the label is written. A resume compares the clip's size and mtime with that record (one stat) and hashes
the clip only when they differ: a clip written over in place has a new mtime, so it is hashed and found;
a folder copied without its times (cp, rsync without -t) is hashed in full and passes. An edit that puts
the old mtime back is found by `synthact verify`, which hashes every clip.

The label's scalar fields come first (job, plan, class, split, size), so a resume reads only the label's
first few kB and its last byte (a label cut short does not end in "}"); `verify` parses every label.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

HEAD_BYTES = 4096  # a label's fields before `params` take a few hundred bytes
DIGEST_BYTES = 16


class ClipFile(BaseModel):
    """The bytes of a clip as its worker wrote them."""

    model_config = ConfigDict(extra="forbid")

    bytes: int = Field(ge=0)
    mtime_ns: int
    blake2b: str = Field(pattern=r"^[0-9a-f]{32}$", description="BLAKE2b digest (16 bytes) of the whole file.")


def digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=DIGEST_BYTES)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clip_file(path: Path) -> ClipFile:
    """The record of a clip just written (its mtime survives the rename into place)."""
    st = os.stat(path)
    return ClipFile(bytes=st.st_size, mtime_ns=st.st_mtime_ns, blake2b=digest(path))


def clip_file_problem(path: Path, record: ClipFile, full: bool = False) -> str | None:
    """Why the clip at `path` is not the one `record` describes, or None. `full`: hash it whatever its stat."""
    try:
        st = os.stat(path)
        if st.st_size != record.bytes:
            return f"{st.st_size} bytes, its label says {record.bytes}"
        if not full and st.st_mtime_ns == record.mtime_ns:
            return None
        if digest(path) != record.blake2b:
            return "its bytes differ from those its label records (BLAKE2b)"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    return None


class LabelHeadError(ValueError):
    pass


_SPACE = " \t\r\n"


def read_label_head(path: Path, stop: str = "params") -> dict:
    """The label's fields before `stop`, from its first HEAD_BYTES (the whole label is parsed when they
    run past that). Raises LabelHeadError when the label is not a whole JSON object."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 64))
            tail = f.read()
    except OSError as exc:
        raise LabelHeadError(f"unreadable ({exc.strerror})") from None
    if not tail.rstrip().endswith(b"}"):
        raise LabelHeadError("cut short (it does not end with '}')")
    try:
        text = head.decode("utf-8")
        return _prefix_object(text, stop) or _fields_before(text, stop)
    except (ValueError, _RunsOut) as exc:  # UnicodeDecodeError is a ValueError
        if size <= len(head):
            raise LabelHeadError(f"not valid JSON ({_first_line(exc)})") from None
    try:  # the head was cut inside a field: the whole label, then
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise LabelHeadError(f"not valid JSON ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise LabelHeadError("not a JSON object")
    return data


def _first_line(exc: Exception) -> str:
    return (str(exc) or "ends early").splitlines()[0]


class _RunsOut(Exception):
    pass


def _prefix_object(text: str, stop: str) -> dict | None:
    """The fast way (the C parser, about 100 us a label faster): the text up to `,"stop":` closed with "}".
    None when that is not a JSON object (the key's name inside a string, say): _fields_before decides."""
    at = text.find(f'"{stop}"')
    comma = text.rfind(",", 0, at)
    if at < 0 or comma < 0 or text[comma + 1:at].strip() or not text[at + len(stop) + 2:].lstrip().startswith(":"):
        return None
    try:
        data = json.loads(text[:comma] + "}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _fields_before(text: str, stop: str) -> dict:
    decoder = json.JSONDecoder()
    fields: dict = {}
    i = _skip(text, 0)
    if text[i:i + 1] != "{":
        raise ValueError("not a JSON object")
    i += 1
    while True:
        i = _skip(text, i)
        key, i = decoder.raw_decode(text, i)
        if not isinstance(key, str):
            raise ValueError(f"a key at byte {i} is not a string")
        i = _skip(text, i)
        if text[i:i + 1] != ":":
            raise ValueError(f"':' expected at byte {i}")
        if key == stop:
            return fields
        value, i = decoder.raw_decode(text, _skip(text, i + 1))
        fields[key] = value
        i = _skip(text, i)
        if text[i:i + 1] == "}":
            return fields
        if text[i:i + 1] != ",":
            raise ValueError(f"',' expected at byte {i}")
        i += 1


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    if i >= len(text):
        raise _RunsOut
    return i
