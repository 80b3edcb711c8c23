"""The training and evaluation loops: pretrain, finetune, linear-probe, eval."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from torch import nn

from synthact.atomic import write_text_atomic
from synthact.errors import SynthActError
from training.config import TrainConfig
from training.data.dataset import VideoClipDataset, collate
from training.data.lists import VideoList, load_video_list
from training.data.mapping import RestrictedModel, build_mapping
from training.engine import checkpoint as ckpt
from training.engine.distributed import Dist, ShardSampler, all_reduce_sum, barrier, init_distributed, shutdown
from training.engine.metrics import Tally, plot_learning_curve, summarize, write_confusion
from training.models import (
    build_model,
    checkpoint_head,
    classifier,
    freeze_backbone,
    load_backbone_weights,
    replace_classifier,
)

CHECKPOINT = "last.pt"


class TooManyBadVideos(SynthActError):
    pass


def pick_device(cfg: TrainConfig) -> torch.device:
    if cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SynthActError("device: cuda was asked for but no CUDA device is usable")
        return torch.device("cuda")
    return torch.device("cpu")


def available_device() -> torch.device:
    """Where a checkpoint is loaded before its config says otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def video_lists(cfg: TrainConfig) -> tuple[VideoList, VideoList]:
    common = {"layout": cfg.layout, "fold": cfg.fold, "classes_file": cfg.classes_file, "videos": cfg.videos}
    train = load_video_list(cfg.data, cfg.train_split, **common)
    val = load_video_list(cfg.val_data or cfg.data, cfg.val_split, **common)
    if val.classes != train.classes:
        raise SynthActError(f"{val.source}: classes differ from the training list's {train.source}")
    return train, val


def eval_dataset(cfg: TrainConfig, videos: VideoList, frame_mode: str = "motion") -> VideoClipDataset:
    return VideoClipDataset(videos, train=False, num_frames=cfg.num_frames, crop_size=cfg.crop_size,
                            clip_seconds=cfg.clip_seconds, clips_per_video=cfg.eval_clips, crops=cfg.eval_crops,
                            seed=cfg.seed, frame_mode=frame_mode, whole_video=cfg.whole_video, fit=cfg.frame_fit,
                            frame_input=cfg.frame_input, eval_spans=tuple(cfg.eval_spans))


def _loader(dataset, sampler, cfg: TrainConfig, batch_size: int) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=cfg.workers, collate_fn=collate,
        persistent_workers=False, pin_memory=False,
    )


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=True)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


@torch.no_grad()
def evaluate(model: nn.Module, dataset: VideoClipDataset, cfg: TrainConfig, d: Dist, device: torch.device,
             classes: list[str], console: Console | None = None) -> tuple[dict, torch.Tensor, int]:
    """Multi-view evaluation (softmax averaged over clips x crops), reduced across ranks.
    Returns the summary, the confusion matrix, and the number of unreadable videos."""
    model.eval()
    loader = _loader(dataset, ShardSampler(len(dataset), d), cfg, max(1, cfg.batch_size // 2))
    tally = Tally(len(classes))
    bad = 0
    for batch in loader:
        bad += batch["bad"]
        if not batch["count"]:
            continue
        x = batch["video"].to(device)  # (B, V, C, T, H, W)
        b, v = x.shape[:2]
        with torch.autocast(device.type, enabled=cfg.amp and device.type == "cuda"):
            logits = model(x.flatten(0, 1))
        scores = logits.float().softmax(dim=1).view(b, v, -1).mean(dim=1)
        tally.update(scores.cpu(), batch["label"])
    t = all_reduce_sum(torch.cat([tally.as_tensor(), torch.tensor([bad])]).to(device), d).cpu()
    tally.load_tensor(t[:-1])
    return summarize(tally.confusion, int(tally.top5), classes), tally.confusion, int(t[-1])


def _param_groups(model: nn.Module, cfg: TrainConfig) -> list[dict]:
    """What the optimizer trains, at which learning rate: linear probing the classifier alone; fine-tuning
    the backbone at lr x backbone_lr_factor and the classifier at lr; pretraining everything at lr."""
    if cfg.mode == "linear-probe":
        return [{"params": freeze_backbone(model), "lr": cfg.lr}]
    if cfg.mode == "finetune" and cfg.backbone_lr_factor != 1.0:
        head = list(classifier(model).parameters())
        ids = {id(p) for p in head}
        return [{"params": [p for p in model.parameters() if id(p) not in ids], "lr": cfg.lr * cfg.backbone_lr_factor},
                {"params": head, "lr": cfg.lr}]
    return [{"params": list(model.parameters()), "lr": cfg.lr}]


def _build(cfg: TrainConfig, classes: list[str], device: torch.device, console: Console) -> tuple[nn.Module, list]:
    model = build_model(cfg.model, len(classes), cfg.num_frames, cfg.crop_size, cfg.dropout)
    if cfg.mode in ("finetune", "linear-probe"):
        skipped = load_backbone_weights(model, cfg.checkpoint)
        if cfg.mapping is None:
            replace_classifier(model, len(classes))  # a new head for the new classes
            head = "new head"
        else:  # the new head's rows start from the checkpoint's rows of the mapped classes
            source_classes, source_head = checkpoint_head(cfg.checkpoint)
            mapping = build_mapping(classes, source_classes, cfg.mapping)
            model.blocks[-1].proj = mapping.head_from(source_head)
            head = f"head rows from {cfg.mapping} mapping"
        console.print(f"loaded {cfg.checkpoint} ({len(skipped)} tensors not taken: {head})", highlight=False,
                      markup=False)
    params = _param_groups(model, cfg)
    model.to(device)
    if device.type == "cuda" and cfg.channels_last:
        model.to(memory_format=torch.channels_last_3d)
    return model, params


def train(cfg: TrainConfig, resume: bool = False, console: Console | None = None,
          lists: tuple[VideoList, VideoList] | None = None) -> dict:
    """Train per cfg.mode; writes last.pt, metrics.jsonl, learning_curve.png into cfg.out.
    `lists` (training, validation) replace the lists cfg.data names (a cross-validation fold's)."""
    console = console or Console(stderr=True)
    device = pick_device(cfg)
    d = init_distributed(device.type)
    try:
        return _train(cfg, resume, console, device, d, lists)
    finally:
        shutdown(d)


def _train(cfg: TrainConfig, resume: bool, console: Console, device: torch.device, d: Dist,
           lists: tuple[VideoList, VideoList] | None = None) -> dict:
    torch.manual_seed(cfg.seed)
    train_list, val_list = lists or video_lists(cfg)
    classes = train_list.classes
    out = Path(cfg.out)
    if d.main:
        out.mkdir(parents=True, exist_ok=True)
    model, params = _build(cfg, classes, device, console)
    ddp_model = model
    if d.enabled:
        ddp_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[d.local_rank] if device.type == "cuda" else None)
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    train_set = VideoClipDataset(train_list, train=True, num_frames=cfg.num_frames, crop_size=cfg.crop_size,
                                 clip_seconds=cfg.clip_seconds, flip=cfg.flip, seed=cfg.seed,
                                 min_crop_area=cfg.min_crop_area, whole_video=cfg.whole_video,
                                 fit=cfg.frame_fit, color_jitter=cfg.color_jitter,
                                 grayscale_probability=cfg.grayscale_probability,
                                 subject_probability=cfg.subject_probability, frame_input=cfg.frame_input)
    sampler = torch.utils.data.DistributedSampler(train_set, num_replicas=d.world_size, rank=d.rank,
                                                  shuffle=True, seed=cfg.seed, drop_last=False)
    loader = _loader(train_set, sampler, cfg, cfg.batch_size)
    steps_per_epoch = math.ceil(len(loader) / cfg.grad_accum)
    total_steps = steps_per_epoch * cfg.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, total_steps, round(cfg.warmup_epochs * steps_per_epoch)))
    scaler = torch.amp.GradScaler("cuda", enabled=cfg.amp and device.type == "cuda")
    start_epoch = 0
    history: list[dict] = []
    if resume and (out / CHECKPOINT).is_file():
        state = ckpt.load_checkpoint(out / CHECKPOINT)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        ckpt.set_rng_state(state["rng"])
        start_epoch = int(state["epoch"]) + 1
        history = list(state["history"])
        console.print(f"resumed from {out / CHECKPOINT} after epoch {start_epoch}", highlight=False, markup=False)
    loss_fn = nn.CrossEntropyLoss()
    seen_total = bad_total = 0
    for epoch in range(start_epoch, cfg.epochs):
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        ddp_model.train()
        if cfg.mode == "linear-probe":
            model.eval()  # frozen batch-norm statistics too
        loss_sum = torch.zeros(2, dtype=torch.float64)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with _progress(console) as progress:
            task = progress.add_task(f"epoch {epoch + 1}/{cfg.epochs}", total=len(loader), rate="",
                                     visible=d.main)
            for i, batch in enumerate(loader):
                bad_total += batch["bad"]
                seen_total += batch["bad"] + batch["count"]
                if batch["count"]:
                    x = batch["video"].to(device, non_blocking=True)
                    if device.type == "cuda" and cfg.channels_last:
                        x = x.contiguous(memory_format=torch.channels_last_3d)
                    y = batch["label"].to(device)
                    with torch.autocast(device.type, enabled=cfg.amp and device.type == "cuda"):
                        loss = loss_fn(ddp_model(x), y)
                    scaler.scale(loss / cfg.grad_accum).backward()
                    loss_sum += torch.tensor([loss.item() * batch["count"], batch["count"]], dtype=torch.float64)
                if (i + 1) % cfg.grad_accum == 0 or i + 1 == len(loader):
                    scaler.step(opt)
                    scaler.update()
                    opt.zero_grad(set_to_none=True)
                    sched.step()
                rate = loss_sum[1].item() * d.world_size / max(1e-9, time.perf_counter() - t0)
                progress.update(task, advance=1, rate=f"{rate:.1f} clips/s")
        train_time = time.perf_counter() - t0
        loss_sum = all_reduce_sum(loss_sum.to(device), d).cpu()
        bad_seen = all_reduce_sum(torch.tensor([bad_total, seen_total], device=device), d).cpu()
        if bad_seen[1] and bad_seen[0] / bad_seen[1] > cfg.max_bad_fraction:
            raise TooManyBadVideos(f"{int(bad_seen[0])} of {int(bad_seen[1])} training videos were unreadable "
                                   f"(more than max_bad_fraction {cfg.max_bad_fraction})")
        summary, confusion, val_bad = evaluate(model, eval_dataset(cfg, val_list), cfg, d, device, classes)
        record = {
            "epoch": epoch + 1, "train_loss": float(loss_sum[0] / max(1.0, float(loss_sum[1]))),
            "train_clips": int(loss_sum[1]), "train_clips_per_s": float(loss_sum[1]) / max(1e-9, train_time),
            "lr": sched.get_last_lr()[0], "bad_videos": int(bad_seen[0]), "val_bad_videos": val_bad,
            "val": {k: v for k, v in summary.items() if k != "per_class"},
        }
        history.append(record)
        if d.main:
            ckpt.save_checkpoint(out / CHECKPOINT, {
                "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "scaler": scaler.state_dict(), "epoch": epoch, "rng": ckpt.rng_state(), "history": history,
                "config": json.loads(cfg.model_dump_json()), "classes": classes,
            })
            # Rewritten from the checkpoint's history: a resumed run never repeats or loses an epoch's line.
            write_text_atomic(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))
            console.print(f"epoch {epoch + 1}: loss {record['train_loss']:.4f}, val top-1 "
                          f"{summary['top1']:.3f}, {record['train_clips_per_s']:.1f} clips/s", highlight=False,
                          markup=False)
        barrier(d)
    if d.main and history:
        plot_learning_curve(history, out / "learning_curve.png")
    return history[-1] if history else {}


def model_from_checkpoint(path: Path, device: torch.device) -> tuple[nn.Module, TrainConfig, list[str]]:
    state = ckpt.load_checkpoint(path)
    try:
        cfg = TrainConfig.model_validate(state["config"])
        classes = list(state["classes"])
        model = build_model(cfg.model, len(classes), cfg.num_frames, cfg.crop_size, cfg.dropout)
        model.load_state_dict(state["model"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ckpt.CheckpointError(f"{path}: not a SynthAct training checkpoint ({exc})") from None
    return model.to(device), cfg, classes


def run_eval(checkpoint: Path, data: Path | None, split: str, out: Path | None, overrides: dict,
             console: Console | None = None, mapping: str | None = None, videos: VideoList | None = None) -> dict:
    """Evaluate a checkpoint; writes metrics.json, confusion.csv and confusion.png. With a class mapping the
    data's classes may differ from the checkpoint's (zero-shot); `videos` replaces `data` (a fold's list)."""
    console = console or Console(stderr=True)
    model, cfg, classes = model_from_checkpoint(checkpoint, available_device())
    cfg = cfg.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    device = pick_device(cfg)
    model.to(device)
    d = init_distributed(device.type)
    try:
        if videos is None:
            videos = load_video_list(data or cfg.data, split, layout=cfg.layout if data is None else None,
                                     fold=cfg.fold, classes_file=cfg.classes_file, videos=cfg.videos)
        if mapping is not None:  # zero-shot: scored on the data's classes only, through the mapping
            model = RestrictedModel(model, build_mapping(videos.classes, classes, mapping))
            classes = videos.classes
        elif videos.classes != classes:
            raise SynthActError(f"{videos.source}: classes differ from the checkpoint's ({len(classes)} classes); "
                                "give a class mapping (--mapping) to score it on them")
        summary, confusion, bad = evaluate(model, eval_dataset(cfg, videos), cfg, d, device, classes)
        summary["bad_videos"] = bad
        summary["confusion"] = confusion.tolist()
        summary["views"] = {"clips": cfg.eval_clips, "crops": cfg.eval_crops,
                            "spans": list(cfg.eval_spans) if cfg.whole_video else None}
        if d.main:
            out = Path(out or Path(checkpoint).parent / f"eval-{split}")
            out.mkdir(parents=True, exist_ok=True)
            write_text_atomic(out / "metrics.json", json.dumps(summary, indent=1))
            write_confusion(confusion, classes, out / "confusion.csv", out / "confusion.png")
            console.print(f"top-1 {summary['top1']:.3f}, top-5 {summary['top5']:.3f}, mean class accuracy "
                          f"{summary['mean_class_accuracy']:.3f} on {summary['clips']} clips -> {out}",
                          highlight=False, markup=False)
        return summary
    finally:
        shutdown(d)
