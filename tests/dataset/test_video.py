"""The clip encoder's process: outside the terminal's process group, and never outliving its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from render_farm.video import ClipEncoder

WORKER = """
import sys, time
import numpy as np
from render_farm.video import ClipEncoder
encoder = ClipEncoder(sys.argv[1], 32, 32, 12)
for i in range(3):
    encoder.write(np.full((32, 32, 3), 60 * i, np.uint8))
encoder._proc.stdin.flush()
print(encoder._proc.pid, flush=True)
time.sleep(120)
"""


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None  # gone


def test_an_encoder_writes_a_whole_clip_from_its_own_process_group(tmp_path):
    encoder = ClipEncoder(tmp_path / "c.mp4", 32, 32, 12)
    assert os.getpgid(encoder._proc.pid) == encoder._proc.pid != os.getpgid(0)  # Ctrl-C does not reach it
    for i in range(4):
        encoder.write(np.full((32, 32, 3), 50 * i, np.uint8))
    encoder.close()
    assert b"moov" in (tmp_path / "c.mp4").read_bytes()  # finished: the index ffmpeg writes last


def test_an_encoder_dies_with_its_worker_and_never_finishes_the_clip(tmp_path):
    """A killed worker's ffmpeg would see the end of its input and finish the temporary file after the
    run has cleaned up; it is killed with the worker instead."""
    clip = tmp_path / ".c.mp4.partial"
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(clip)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        ffmpeg = int(worker.stdout.readline())
        assert "ffmpeg" in Path(f"/proc/{ffmpeg}/cmdline").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        for _ in range(100):  # at most 5 s
            if _state(ffmpeg) in (None, "Z"):
                break
            time.sleep(0.05)
        assert _state(ffmpeg) in (None, "Z"), "the encoder outlived its worker"
        time.sleep(0.5)
        assert not clip.exists() or b"moov" not in clip.read_bytes(), "the orphaned encoder finished the clip"
    finally:
        worker.kill()
        worker.wait()
