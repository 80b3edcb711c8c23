"""Scene/object bias: how much of a dataset can be recognised without motion.

A trained video model is evaluated three ways on the same clips: with real motion, with one
frame repeated (static appearance only), and with its frames shuffled (appearance of every
frame, no temporal order). Where static accuracy is close to the motion accuracy, the classes
are recognisable from scene and objects; that is where real-data pretraining keeps an edge,
and where synthetic pretraining is least likely to help. Optionally, a single-frame linear
probe on a local image model's features measures appearance alone without the video model.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from synthact.errors import SynthActError
from training.data.dataset import VideoClipDataset, collate
from training.data.lists import VideoList, load_video_list
from training.engine.distributed import Dist
from training.engine.loop import available_device, eval_dataset, evaluate, model_from_checkpoint

MODES = ("motion", "static", "shuffled")


def _relative(acc: float, reference: float, chance: float) -> float | None:
    """(acc - chance) / (reference - chance): 0 = chance, 1 = as good as with motion."""
    if reference - chance <= 1e-9:
        return None
    return (acc - chance) / (reference - chance)


def bias_analysis(checkpoint: Path, data: Path | None, split: str, out: Path | None,
                  image_weights: Path | None = None, console: Console | None = None) -> dict:
    console = console or Console(stderr=True)
    device = available_device()
    model, cfg, classes = model_from_checkpoint(checkpoint, device)
    videos = load_video_list(data or cfg.data, split, layout=cfg.layout if data is None else None,
                             fold=cfg.fold, classes_file=cfg.classes_file, videos=cfg.videos)
    if videos.classes != classes:
        raise SynthActError(f"{videos.source}: classes differ from the checkpoint's")
    chance = 1.0 / len(classes)
    results = {}
    for mode in MODES:
        summary, _, bad = evaluate(model, eval_dataset(cfg, videos, frame_mode=mode), cfg, Dist(), device, classes)
        results[mode] = summary
    motion = results["motion"]["top1"]
    report = {
        "dataset": str(videos.source),
        "clips": results["motion"]["clips"],
        "chance": chance,
        "top1": {m: results[m]["top1"] for m in MODES},
        "static_over_motion": results["static"]["top1"] / motion if motion else None,
        "static_relative_to_chance": _relative(results["static"]["top1"], motion, chance),
        "shuffled_relative_to_chance": _relative(results["shuffled"]["top1"], motion, chance),
        "per_class": {
            c: {m: results[m]["per_class"][c] for m in MODES} for c in classes
        },
    }
    if image_weights is not None:
        train_videos = load_video_list(data or cfg.data, cfg.train_split,
                                       layout=cfg.layout if data is None else None, fold=cfg.fold,
                                       classes_file=cfg.classes_file, videos=cfg.videos)
        report["single_frame_linear_probe_top1"] = single_frame_probe(image_weights, train_videos, videos, cfg.seed)
    out = Path(out or Path(checkpoint).parent / f"bias-{split}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "bias.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    table = Table(title=f"scene/object bias on {videos.source} (chance {chance:.3f})")
    for col in ("class", *MODES):
        table.add_column(col)
    for c, row in report["per_class"].items():
        table.add_row(escape(c), *(f"{row[m]:.3f}" if row[m] is not None else "-" for m in MODES))
    table.add_row("[bold]all", *(f"{report['top1'][m]:.3f}" for m in MODES))
    console.print(table)
    rel = report["static_relative_to_chance"]
    console.print(f"static/motion accuracy {report['static_over_motion'] or 0:.2f}; static above chance, relative to "
                  f"motion: {rel if rel is not None else float('nan'):.2f} (0: no appearance cue, 1: appearance "
                  f"suffices) -> {out / 'bias.json'}", highlight=False, markup=False)
    return report


def _middle_frames(videos: VideoList, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Middle frame of each video at 224 px (one view), with labels."""
    # "static" repeats the middle of the sampled frames; its first frame is that middle frame.
    ds = VideoClipDataset(videos, train=False, num_frames=9, crop_size=224, clips_per_video=1, crops=1, seed=seed,
                          frame_mode="static")
    batch = collate([ds[i] for i in range(len(ds))])
    if not batch["count"]:
        raise SynthActError(f"{videos.source}: no readable videos")
    return batch["video"][:, 0, :, 0], batch["label"]  # (N, C, H, W)


def single_frame_probe(weights: Path, train: VideoList, val: VideoList, seed: int = 0) -> float:
    """Top-1 of a logistic-regression probe on ResNet-18 features of single frames (local weights only)."""
    import torchvision

    weights = Path(weights)
    if not weights.is_file():
        raise SynthActError(f"{weights}: image-model weights not found")
    net = torchvision.models.resnet18(weights=None)
    try:
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    except Exception as exc:
        raise SynthActError(f"{weights}: not ResNet-18 weights ({type(exc).__name__})") from None
    net.fc = torch.nn.Identity()
    net.eval()
    with torch.no_grad():
        xtr, ytr = _middle_frames(train, seed)
        xva, yva = _middle_frames(val, seed)
        ftr, fva = net(xtr), net(xva)
    mean, std = ftr.mean(0), ftr.std(0) + 1e-6
    ftr, fva = (ftr - mean) / std, (fva - mean) / std
    torch.manual_seed(seed)
    probe = torch.nn.Linear(ftr.shape[1], len(train.classes))
    opt = torch.optim.LBFGS(probe.parameters(), max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(probe(ftr), ytr) + 1e-3 * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((probe(fva).argmax(1) == yva).float().mean())
