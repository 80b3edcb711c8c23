"""Training configuration: YAML, validated, every field overridable on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_yaml_mapping
from training.models import PRESETS

Mode = Literal["pretrain", "finetune", "linear-probe"]


class TrainConfigError(SynthActError):
    pass


MAX_EVAL_SPANS = 8  # centred shares scored per video: each is another forward pass at evaluation


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    mode: Mode = "pretrain"
    data: Path = Field(description="Dataset folder or list file.")
    layout: Literal["synthact", "ucf101", "hmdb51", "folders", "list", "csv"] | None = None
    train_split: str = "train"
    val_split: str = "val"
    fold: int = Field(1, ge=1, le=5)
    val_data: Path | None = Field(None, description="Separate validation list (for 'list'/'csv' layouts).")
    classes_file: Path | None = None
    videos: Path | None = Field(None, description="Folder the list's video paths are relative to.")
    out: Path = Path("runs/run")

    model: str = "small"
    num_frames: int = Field(8, ge=1, le=256)
    crop_size: int = Field(64, ge=32, le=512)
    clip_seconds: float = Field(2.0, gt=0)
    whole_video: bool = Field(False, description="Spread num_frames over the whole video instead of a "
                                                 "clip_seconds window (segmented clips of one whole action).")
    frame_fit: Literal["crop", "squash", "people"] = Field(
        "crop", description="crop: square crops of the frame; squash: the whole frame resized to a square; "
                            "people: a rendered clip cut to the box around its people (from its label), then "
                            "squashed; videos without a label are squashed whole.")
    subject_probability: float = Field(0.0, ge=0, le=1, description="frame_fit people: the chance a training "
                                       "clip is cut to its first actor alone (the one who acts), as datasets "
                                       "that box only the person acting frame a one-sided interaction.")
    flip: bool = Field(True, description="Random horizontal flips (turn off when left/right is the class).")
    min_crop_area: float = Field(0.4, gt=0, le=1, description="Smallest random crop, as a share of the frame.")
    frame_input: Literal["rgb", "difference"] = Field(
        "rgb", description="difference: the model sees each frame's grey change from the previous one (what "
                           "moves), not its colours; the same for training and evaluation.")
    color_jitter: float = Field(0.0, ge=0, le=1, description="Random brightness, contrast and saturation "
                                                                 "per training clip, each within 1 +- this.")
    grayscale_probability: float = Field(0.0, ge=0, le=1, description="Chance a training clip is made grey.")
    dropout: float = Field(0.5, ge=0, lt=1)

    checkpoint: Path | None = Field(None, description="Start from these weights (finetune, linear-probe).")
    mapping: str | None = Field(None, description="Class mapping from the data's classes to the checkpoint's "
                                                  "(a CSV or a library mapping name): the new classifier's rows "
                                                  "start from the mapped classes' rows.")
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(8, ge=1)
    grad_accum: int = Field(1, ge=1)
    optimizer: Literal["sgd", "adamw"] = "sgd"
    lr: float = Field(0.05, gt=0)
    backbone_lr_factor: float = Field(1.0, gt=0, le=1, description="finetune: the backbone learns at lr times "
                                      "this, the classifier at lr (below 1 keeps more of what pretraining "
                                      "learned).")
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(1e-4, ge=0)
    warmup_epochs: float = Field(1.0, ge=0)
    amp: bool = Field(True, description="Mixed precision (CUDA only).")
    channels_last: bool = Field(True, description="channels_last_3d memory format (CUDA only).")
    workers: int = Field(0, ge=0)
    seed: int = Field(0, ge=0)
    max_bad_fraction: float = Field(0.05, ge=0, le=1, description="Fail when more videos than this are unreadable.")
    eval_clips: int = Field(1, ge=1, description="Uniform clips per video at evaluation.")
    eval_crops: int = Field(1, ge=1, description="Spatial crops per clip at evaluation.")
    eval_spans: list[Annotated[float, Field(gt=0, le=1)]] = Field(
        [1.0], min_length=1, max_length=MAX_EVAL_SPANS,
        description="whole_video: at evaluation, num_frames are spread over each of these centred shares of the "
                    "video in turn (1: all of it) and the scores averaged. A segmented real clip often holds "
                    "people walking up before the action and away after it, which a rendered whole action "
                    "does not.")
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.model not in PRESETS:
            raise ValueError(f"model: unknown model {self.model!r} (choose from {', '.join(PRESETS)})")
        if self.crop_size % 32:
            raise ValueError(f"crop_size: {self.crop_size} is not a multiple of 32")
        if self.mode in ("finetune", "linear-probe") and self.checkpoint is None:
            raise ValueError(f"checkpoint: mode {self.mode!r} needs weights to start from")
        return self


def _coerce(value: str):
    """Command-line override values are YAML scalars: 3, 0.1, true, null, [a, b]."""
    return yaml.safe_load(value)


def build_config(file: Path | None, overrides: dict, sets: list[str] | None = None) -> TrainConfig:
    """A config file (optional), then explicit options, then `--set key=value` pairs."""
    data: dict = {}
    if file is not None:
        data.update(load_yaml_mapping(file, "config", TrainConfigError))
    data.update({k: v for k, v in overrides.items() if v is not None})
    for item in sets or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise TrainConfigError(f"--set {item!r}: expected key=value")
        data[key.strip().replace("-", "_")] = _coerce(value)
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise TrainConfigError(describe_validation_error(file or "options", exc)) from None
