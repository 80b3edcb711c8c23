"""Writing files so that readers only ever see a complete file: temporary name, then rename.

The one place the project writes a file atomically: the plan, labels, split lists, passes, reports,
checkpoints, the add-on zip (the add-on itself keeps its own copy: it imports only what Blender ships).
Temporary names are hidden (`.name.XXXX.tmp`, or `.name.partial` for a file another process writes,
such as ffmpeg's clip), so no listing ever shows them, and a folder's owner can remove those a killed
run left behind (dataset.folder.OutputFolder.remove_stale_temporaries).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def partial_path(path: Path) -> Path:
    """The temporary name a file has while another process writes it (hidden, never listed)."""
    path = Path(path)
    return path.with_name(f".{path.name}.partial")


def is_temporary(name: str) -> bool:
    """Whether a file name is one of the temporary names above."""
    return name.startswith(".") and (name.endswith(".partial") or name.endswith(".tmp"))


@contextmanager
def replaced_on_success(path: Path, binary: bool = False, sync: bool = False) -> Iterator[IO]:
    """A file opened under a hidden temporary name beside `path`, renamed onto `path` when the block
    completes and removed when it raises (anything, KeyboardInterrupt included). `sync`: fsync before the
    rename (a checkpoint must survive a power cut). The folder is created when missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    with replaced_on_success(path) as f:
        f.write(text)


def write_json_atomic(data: object, path: Path) -> None:
    write_text_atomic(path, json.dumps(data, separators=(",", ":")))
