"""Loader throughput: SynthAct's clip dataset vs pytorchvideo's labeled_video_dataset, same list.

    python benchmarks/loader_throughput.py [--videos 32] [--frames 16] [--size 112]

Writes N test videos (320x240, 4 s at 16 fps, H.264 GOP 16, as the renderer writes), then for
0 and 2 DataLoader workers decodes one random 2 s clip per video, takes 16 frames and crops
112x112, batch 8, and reports clips/s for both loaders side by side. pytorchvideo runs with its
defaults (PyAV decoder, random clip sampler, random video sampler) and the same per-clip
transform, so both do the same work per clip. Each loader's best of 3 alternating passes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.training.fixtures import write_video  # noqa: E402
from training.data import transforms as T  # noqa: E402
from training.data.dataset import VideoClipDataset, collate  # noqa: E402
from training.data.lists import load_video_list  # noqa: E402


def make_videos(root: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    lines = []
    for i in range(n):
        base = rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)
        frames = np.stack([np.roll(base, 4 * t, axis=1) for t in range(64)])
        rel = f"clips/c{i % 4}/v{i:03d}.mp4"
        write_video(root / rel, frames, fps=16)
        lines.append(f"{rel} {i % 4}\n")
    (root / "classes.txt").write_text("".join(f"c{k}\n" for k in range(4)))
    (root / "train.txt").write_text("".join(lines))
    return root


def time_loader(loader, n_clips: int) -> float:
    t = time.perf_counter()
    seen = 0
    for batch in loader:
        seen += batch["video"].shape[0] if isinstance(batch, dict) else 0
    elapsed = time.perf_counter() - t
    assert seen == n_clips, (seen, n_clips)
    return seen / elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=32)
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--size", type=int, default=112)
    args = p.parse_args()
    torch.set_num_threads(1)
    root = make_videos(Path(tempfile.mkdtemp(prefix="synthact-loader-")), args.videos)
    videos = load_video_list(root, "train")
    from pytorchvideo.data import labeled_video_dataset, make_clip_sampler

    def pv_transform(sample: dict) -> dict:
        g = torch.Generator().manual_seed(0)
        clip = T.temporal_subsample(sample["video"], args.frames).div_(255.0)
        return {"video": T.train_transform(clip, args.frames, args.size, g, flip=True), "label": sample["label"]}

    print(f"{args.videos} videos 320x240x64 frames; one 2 s clip each -> {args.frames} x {args.size}²; batch 8")
    print("| loader | workers | clips/s | ratio synthact/pytorchvideo |")
    print("|---|---|---|---|")
    for workers in (0, 2):
        ours = VideoClipDataset(videos, train=True, num_frames=args.frames, crop_size=args.size, clip_seconds=2.0)
        ours_loader = torch.utils.data.DataLoader(ours, batch_size=8, shuffle=True, num_workers=workers,
                                                  collate_fn=collate)
        pv = labeled_video_dataset(str(root / "train.txt"), make_clip_sampler("random", 2.0),
                                   transform=pv_transform, video_path_prefix=str(root))
        pv_loader = torch.utils.data.DataLoader(pv, batch_size=8, num_workers=workers)
        rates = {"synthact": 0.0, "pytorchvideo": 0.0}
        # Alternate and keep each loader's best of 3 passes: the first pass also warms caches.
        for _ in range(3):
            for name, loader in (("synthact", ours_loader), ("pytorchvideo", pv_loader)):
                rates[name] = max(rates[name], time_loader(loader, args.videos))
        for name in ("synthact", "pytorchvideo"):
            ratio = f"{rates['synthact'] / rates['pytorchvideo']:.2f}" if name == "synthact" else ""
            print(f"| {name} | {workers} | {rates[name]:.1f} | {ratio} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
