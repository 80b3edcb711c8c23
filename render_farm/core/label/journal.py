"""The done journal: which job line each clip and label on disk were written for, so a resume need not read them.

A worker that has renamed a job's clip and label into place appends one line to its own file,
`journal/<host>-<pid>.tsv` in the output folder: the BLAKE2b digest of the job's line in jobs.jsonl and the
inode, size and modification time of the label and of the clip. On resume a plan line whose digest has an
entry, and whose label and clip still have those inodes, sizes and times, is complete without its label
being opened or its line parsed: the line is byte for byte one that a worker rendered (every field of the
job, its split and seed included), and the files are the ones that worker wrote. Anything else (no entry,
a file replaced, written to or touched, a folder copied to other inodes) takes the full check, which
records a new entry when it passes. Damage that keeps a file's inode, size and time is not seen here;
`synthact verify` hashes every clip.

One process appends to one file with one write per line, so lines never interleave; a line cut short by a
crash does not parse and is ignored.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
from pathlib import Path

JOURNAL_DIR = "journal"
VERSION = "j1"
_STAMPS = struct.Struct("<6q")  # label inode, size, mtime_ns; clip inode, size, mtime_ns


def line_digest(line: bytes) -> bytes:
    """The 16-byte digest of one plan line, without its line ending."""
    return hashlib.blake2b(line.rstrip(b"\r\n"), digest_size=16).digest()


def stamp(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def entry_line(digest: bytes, label: tuple[int, int, int], clip: tuple[int, int, int]) -> str:
    return "\t".join([VERSION, digest.hex(), *map(str, label), *map(str, clip)]) + "\n"


class JournalWriter:
    """This process's journal file of a folder, opened on the first entry and kept open until close()."""

    def __init__(self, root: Path):
        self.base = str(root)
        self.fd: int | None = None

    def append(self, digest: bytes, label_path: str, clip_path: str) -> None:
        """Record that the label and clip at these paths (relative to the folder) were written for the plan
        line with this digest, in one write. Raises OSError (an entry missing only costs a resume time)."""
        line = entry_line(digest, stamp(os.path.join(self.base, label_path)),
                          stamp(os.path.join(self.base, clip_path)))
        if self.fd is None:
            folder = os.path.join(self.base, JOURNAL_DIR)
            os.makedirs(folder, exist_ok=True)
            name = os.path.join(folder, f"{socket.gethostname()}-{os.getpid()}.tsv")
            self.fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(self.fd, line.encode("ascii"))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def append_entry(root: Path, digest: bytes, label_path: str, clip_path: str) -> None:
    """One entry, the file opened and closed around it (a worker, once a job)."""
    writer = JournalWriter(root)
    try:
        writer.append(digest, label_path, clip_path)
    finally:
        writer.close()


def read_journal(root: Path) -> dict[bytes, bytes]:
    """Every entry of the folder's journal: line digest -> packed stamps. Lines that do not parse (cut short
    by a crash, written by a newer version) are skipped: a job without an entry is checked in full."""
    entries: dict[bytes, bytes] = {}
    try:
        names = sorted(e.path for e in os.scandir(Path(root) / JOURNAL_DIR) if e.name.endswith(".tsv"))
    except (FileNotFoundError, NotADirectoryError):
        return entries
    for name in names:
        with open(name, "rb") as f:
            for raw in f:
                fields = raw.split(b"\t")
                if len(fields) != 8 or fields[0] != VERSION.encode() or not raw.endswith(b"\n"):
                    continue
                try:
                    entries[bytes.fromhex(fields[1].decode("ascii"))] = _STAMPS.pack(*map(int, fields[2:]))
                except (ValueError, struct.error):
                    continue
    return entries


def unchanged(entry: bytes, label: str, clip: str) -> bool:
    """Whether the label and clip at these absolute paths are still the files the entry records."""
    try:
        return _STAMPS.pack(*stamp(label), *stamp(clip)) == entry
    except OSError:
        return False
