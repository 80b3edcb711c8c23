"""Shared by the benchmarks: decoded frames and PSNR."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def decode(path: Path) -> np.ndarray:
    """Every frame of a clip as float RGB (T, H, W, 3)."""
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
