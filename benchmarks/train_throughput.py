"""Training and inference throughput per model preset (clips/s), on CPU or a GPU.

    python benchmarks/train_throughput.py [--device cpu|cuda] [--amp] [--models small,x3d_xs,...]
        [--batch 2] [--steps 3] [--threads 1]

Synthetic input tensors at each preset's usual size: this measures the model, not the loader
(see loader_throughput.py). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from training.models import DEFAULT_INPUT, PRESETS, build_model  # noqa: E402


def measure(name: str, device: torch.device, batch: int, steps: int, amp: bool, channels_last: bool) -> tuple:
    spec = DEFAULT_INPUT[name]
    model = build_model(name, 150, spec.num_frames, spec.crop_size).to(device)
    x = torch.randn(batch, 3, spec.num_frames, spec.crop_size, spec.crop_size, device=device)
    if channels_last and device.type == "cuda":
        model = model.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    y = torch.randint(0, 150, (batch,), device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler("cuda", enabled=amp and device.type == "cuda")

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def train_step():
        with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)

    model.train()
    train_step()  # warm-up (cuDNN autotuning, allocator)
    sync()
    t = time.perf_counter()
    for _ in range(steps):
        train_step()
    sync()
    train_rate = batch * steps / (time.perf_counter() - t)
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, enabled=amp and device.type == "cuda"):
        model(x)
        sync()
        t = time.perf_counter()
        for _ in range(steps):
            model(x)
        sync()
    infer_rate = batch * steps / (time.perf_counter() - t)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    return spec, params, train_rate, infer_rate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--amp", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--models", default=",".join(PRESETS))
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, amp={args.amp}, "
              f"channels_last={args.channels_last}, batch {args.batch}")
    else:
        print(f"device: cpu ({args.threads} thread(s)), torch {torch.__version__}, batch {args.batch}")
    print("| model | frames x crop | params (M) | train clips/s | inference clips/s |")
    print("|---|---|---|---|---|")
    for name in args.models.split(","):
        spec, params, tr, inf = measure(name, device, args.batch, args.steps, args.amp, args.channels_last)
        print(f"| {name} | {spec.num_frames} x {spec.crop_size}² | {params:.2f} | {tr:.2f} | {inf:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
