"""Small real MP4 datasets written with PyAV for the training tests (no Blender)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def write_video(path: Path, frames: np.ndarray, fps: int = 8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"g": "8", "crf": "18", "threads": "1"}  # x264 with threads varied a clip now and then
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def blob_clip(direction: str, rng: np.random.Generator, size: int = 32, frames: int = 16,
              speed: float = 1.0) -> np.ndarray:
    """A bright blob crossing a fixed textured background. The middle frame's blob position is uniform
    and independent of the class: only the motion tells the classes apart."""
    dx, dy = DIRECTIONS[direction]
    background = (rng.uniform(60, 100, size=(size, size, 1)) * np.ones((1, 1, 3))).astype(np.float64)
    mid = rng.uniform(size * 0.3, size * 0.7, size=2)
    yy, xx = np.mgrid[0:size, 0:size]
    out = np.empty((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        cx = mid[0] + dx * speed * (t - frames / 2)
        cy = mid[1] + dy * speed * (t - frames / 2)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 2.5**2))[..., None]
        out[t] = np.clip(background * (1 - blob) + np.array([240, 200, 60]) * blob, 0, 255).astype(np.uint8)
    return out


def make_motion_dataset(root: Path, train_per_class: int = 16, val_per_class: int = 6, seed: int = 0,
                        speed: float = 1.0) -> Path:
    """A SynthAct-layout dataset (classes.txt, train.txt, val.txt, clips/) of blob motions, `speed` pixels a
    frame."""
    rng = np.random.default_rng(seed)
    classes = list(DIRECTIONS)
    (root / "classes.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("".join(f"{c}\n" for c in classes))
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        lines = []
        for i, c in enumerate(classes):
            for k in range(n):
                rel = f"clips/{c}/{split}_{k:03d}.mp4"
                write_video(root / rel, blob_clip(c, rng, speed=speed))
                lines.append(f"{rel} {i}\n")
        (root / f"{split}.txt").write_text("".join(lines))
    return root
