"""H.264 encoding of frames streamed from the renderer, through ffmpeg (ffmpeg-python).

Clips are yuv420p with a short, fixed GOP so a training loader can seek to any clip
cheaply. The encoder writes to a temporary name; the caller renames it when the
clip is complete.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np

from render_farm.core.lifetime import die_with_parent
from synthact.errors import SynthActError

GOP = 16


class EncodeError(SynthActError):
    pass


def ffmpeg_binary() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise EncodeError("ffmpeg not found on PATH: install it (Debian/Ubuntu: apt-get install ffmpeg)")
    return path


def read_bmp(path: Path) -> np.ndarray:
    """Blender's uncompressed 24-bit BMP (a rendered frame) -> (H, W, 3) RGB uint8."""
    data = Path(path).read_bytes()
    if data[:2] != b"BM":
        raise ValueError(f"{path}: not a BMP file")
    offset = int.from_bytes(data[10:14], "little")
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    bpp = int.from_bytes(data[28:30], "little")
    channels = bpp // 8
    if channels not in (3, 4):
        raise ValueError(f"{path}: {bpp}-bit BMP is not supported")
    stride = (width * channels + 3) & ~3
    rows = np.frombuffer(data, dtype=np.uint8, count=stride * abs(height), offset=offset).reshape(abs(height), stride)
    img = rows[:, : width * channels].reshape(abs(height), width, channels)[:, :, 2::-1]  # BGR(A) -> RGB
    return img[::-1].copy() if height > 0 else img.copy()  # positive height: bottom-up rows


class ClipEncoder:
    """Feed RGB frames (H, W, 3) uint8 in order; close() finishes the file."""

    def __init__(self, path: Path, width: int, height: int, fps: float, crf: int = 18, gop: int = GOP):
        self.path = Path(path)
        self.width, self.height = width, height
        self.frames = 0
        rate = Fraction(fps).limit_denominator(1001)
        stream = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}",
                              framerate=f"{rate.numerator}/{rate.denominator}")
        stream = ffmpeg.output(
            stream, str(self.path), f="mp4", vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset="veryfast",
            g=gop, keyint_min=gop, sc_threshold=0, bf=0, movflags="+faststart",
            # One encoder thread: the farm runs one process per core already.
            threads=1,
        )
        stream = stream.global_args("-nostdin", "-loglevel", "error").overwrite_output()
        # Its own process group: a terminal's Ctrl-C goes to the workers, which abort the encoder
        # (ffmpeg would otherwise finish the file on SIGINT); and it dies with the worker that feeds it
        # (an orphaned ffmpeg sees the end of its input and writes its temporary file after the run has
        # removed temporaries).
        self._proc = subprocess.Popen(stream.compile(cmd=ffmpeg_binary()), stdin=subprocess.PIPE,
                                      stderr=subprocess.PIPE, process_group=0,
                                      preexec_fn=functools.partial(die_with_parent, os.getpid()))

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise EncodeError(f"{self.path}: frame of shape {frame.shape} {frame.dtype}, "
                              f"expected ({self.height}, {self.width}, 3) uint8")
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError:
            # ffmpeg exited (a full disk, an unwritable folder): say why, in its own words.
            err = self._proc.stderr.read().decode(errors="replace").strip() if self._proc.stderr else ""
            self.abort()
            reason = err.splitlines()[-1] if err else "ffmpeg stopped accepting frames"
            raise EncodeError(f"{self.path}: {reason}") from None
        self.frames += 1

    def close(self) -> None:
        self._proc.stdin.close()
        err = self._proc.stderr.read().decode(errors="replace").strip()
        rc = self._proc.wait()
        if rc != 0:
            last = err.splitlines()[-1] if err else f"exit code {rc}"
            raise EncodeError(f"{self.path}: ffmpeg failed: {last}")

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self.path.unlink(missing_ok=True)
