"""Video models through pytorchvideo's builders. Weights only ever come from local files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

PRESETS = ("small", "x3d_xs", "x3d_s", "x3d_m", "slow_r50", "r2plus1d_r50")


@dataclass(frozen=True)
class InputSpec:
    """What a preset is usually trained with (frames, crop); any size works with our builders."""

    num_frames: int
    crop_size: int


DEFAULT_INPUT = {
    "small": InputSpec(8, 64),
    "x3d_xs": InputSpec(4, 160),
    "x3d_s": InputSpec(13, 160),
    "x3d_m": InputSpec(16, 224),
    "slow_r50": InputSpec(8, 224),
    "r2plus1d_r50": InputSpec(16, 224),
}


class ModelError(ValueError):
    pass


def build_model(name: str, num_classes: int, num_frames: int, crop_size: int, dropout: float = 0.5) -> nn.Module:
    """A classifier returning logits (B, num_classes) for clips (B, 3, num_frames, crop, crop)."""
    if name not in PRESETS:
        raise ModelError(f"unknown model {name!r} (choose from {', '.join(PRESETS)})")
    if crop_size % 32:
        raise ModelError(f"crop size {crop_size} must be a multiple of 32 for {name}")
    if name in ("small", "x3d_xs", "x3d_s", "x3d_m"):
        from pytorchvideo.models.x3d import create_x3d

        kwargs = {"width_factor": 2.0, "depth_factor": 2.2, "stem_dim_in": 12, "head_dim_out": 2048}
        if name == "small":
            # A tiny X3D for CPU runs and tests: few channels, one block per stage.
            kwargs = {"width_factor": 1.0, "depth_factor": 0.4, "stem_dim_in": 8, "head_dim_out": 128,
                      "bottleneck_factor": 1.5}
        return create_x3d(
            input_clip_length=num_frames, input_crop_size=crop_size, model_num_class=num_classes,
            dropout_rate=dropout, head_activation=None, **kwargs,
        )
    if name == "slow_r50":
        from pytorchvideo.models.resnet import create_resnet

        return create_resnet(
            input_channel=3, model_depth=50, model_num_class=num_classes, dropout_rate=dropout,
            stem_conv_kernel_size=(1, 7, 7), head_pool_kernel_size=(num_frames, crop_size // 32, crop_size // 32),
            head_activation=None,
        )
    from pytorchvideo.models.r2plus1d import create_r2plus1d

    if num_frames % 4:
        raise ModelError(f"r2plus1d_r50 needs a multiple of 4 frames, got {num_frames}")
    return create_r2plus1d(
        input_channel=3, model_depth=50, model_num_class=num_classes, dropout_rate=dropout,
        head_pool_kernel_size=(num_frames // 4, crop_size // 32, crop_size // 32), head_activation=None,
    )


def classifier(model: nn.Module) -> nn.Linear:
    """The final linear layer of a pytorchvideo classifier."""
    head = model.blocks[-1]
    if not isinstance(getattr(head, "proj", None), nn.Linear):
        raise ModelError("model has no linear classifier at blocks[-1].proj")
    return head.proj


def checkpoint_head(path: Path) -> tuple[list[str], nn.Linear]:
    """The classes and the final linear layer of a SynthAct training checkpoint (for class-mapped heads)."""
    from training.engine.checkpoint import load_checkpoint

    state = load_checkpoint(path)
    if "classes" not in state or "model" not in state:
        raise ModelError(f"{path}: not a SynthAct training checkpoint (no classes): a class mapping needs one")
    weights = {k: v for k, v in state["model"].items() if k.endswith(".proj.weight")}
    if len(weights) != 1:
        raise ModelError(f"{path}: no single classifier layer (.proj) in the checkpoint")
    key, weight = next(iter(weights.items()))
    bias = state["model"].get(key[: -len("weight")] + "bias")
    head = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        head.weight.copy_(weight)
        if bias is not None:
            head.bias.copy_(bias)
    return list(state["classes"]), head


def replace_classifier(model: nn.Module, num_classes: int) -> None:
    old = classifier(model)
    model.blocks[-1].proj = nn.Linear(old.in_features, num_classes)


def freeze_backbone(model: nn.Module) -> list[nn.Parameter]:
    """Linear probing: only the classifier trains. Returns the trainable parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    head = classifier(model)
    for p in head.parameters():
        p.requires_grad_(True)
    return list(head.parameters())


def load_backbone_weights(model: nn.Module, path: Path) -> list[str]:
    """Load weights from a local file (a state dict or a SynthAct checkpoint), skipping the classifier
    when its shape differs. Returns the names of the skipped tensors. Never downloads; never unpickles code."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: weights file not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: not a loadable weights file ({type(exc).__name__}: {exc})") from None
    state = data.get("model", data) if isinstance(data, dict) else data
    own = model.state_dict()
    skipped = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    missing = [k for k in own if k not in usable]
    if len(usable) == 0:
        raise ModelError(f"{path}: no tensor matches the model (wrong architecture?)")
    model.load_state_dict(usable, strict=False)
    return sorted(set(skipped) | set(missing))
