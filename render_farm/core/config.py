"""The dataset config: what to render, validated before anything is rendered."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from render_farm.core.errors import SynthActError, describe_validation_error

HDRIS: tuple[str, ...] = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")


class ConfigError(SynthActError):
    pass


Range = tuple[float, float]


def _check_range(v: Range, lo: float | None = None, hi: float | None = None) -> Range:
    a, b = v
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError("range bounds must be finite numbers")
    if a > b:
        raise ValueError(f"range min {a} is greater than max {b}")
    if lo is not None and a < lo:
        raise ValueError(f"range min {a} is below {lo}")
    if hi is not None and b > hi:
        raise ValueError(f"range max {b} is above {hi}")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BodyRanges(_Strict):
    """anny phenotype parameters, each in [0, 1] (age: 0 baby, 1/3 child, 2/3 young adult, 1 elder)."""

    gender: Range = (0.0, 1.0)
    age: Range = (0.5, 0.95)
    muscle: Range = (0.2, 0.8)
    weight: Range = (0.2, 0.8)
    height: Range = (0.2, 0.8)
    proportions: Range = (0.2, 0.8)

    @field_validator("*")
    @classmethod
    def _unit(cls, v: Range) -> Range:
        return _check_range(v, 0.0, 1.0)


class CameraRanges(_Strict):
    azimuth_deg: Range = (-60.0, 60.0)
    elevation_deg: Range = (0.0, 20.0)
    focal_mm: Range = (35.0, 60.0)

    @field_validator("azimuth_deg")
    @classmethod
    def _az(cls, v: Range) -> Range:
        return _check_range(v, -360.0, 360.0)

    @field_validator("elevation_deg")
    @classmethod
    def _el(cls, v: Range) -> Range:
        return _check_range(v, -30.0, 80.0)

    @field_validator("focal_mm")
    @classmethod
    def _focal(cls, v: Range) -> Range:
        if v[0] <= 0:
            raise ValueError("focal length must be positive")
        return _check_range(v, 1.0, 500.0)


class LightingRanges(_Strict):
    hdris: list[str] = Field(default_factory=lambda: [h for h in HDRIS if h != "night"], min_length=1)
    strength: Range = (0.7, 1.4)
    sun_strength: Range = (1.0, 4.0)

    @field_validator("hdris")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in HDRIS:
                raise ValueError(f"unknown HDRI {name!r} (built-in: {', '.join(HDRIS)})")
        return v

    @field_validator("strength", "sun_strength")
    @classmethod
    def _positive(cls, v: Range) -> Range:
        return _check_range(v, 0.0, 100.0)


class DatasetConfig(_Strict):
    seed: int = Field(0, ge=0)
    output: Path = Path("output/dataset")
    actions: list[str] = Field(min_length=1)
    template_dirs: list[Path] = Field(default_factory=list)
    clips_per_action: int = Field(2, ge=1, le=1_000_000)
    frames: int = Field(32, ge=1, le=10_000)
    fps: float = Field(16.0, gt=0, le=240)
    resolution: tuple[int, int] = (224, 224)
    engine: Literal["cycles", "workbench"] = "cycles"
    samples: int = Field(16, ge=1, le=4096)
    val_fraction: float = Field(0.25, ge=0.0, lt=1.0)
    workers: int | None = Field(None, ge=1)
    body: BodyRanges = Field(default_factory=BodyRanges)
    camera: CameraRanges = Field(default_factory=CameraRanges)
    lighting: LightingRanges = Field(default_factory=LightingRanges)

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: tuple[int, int]) -> tuple[int, int]:
        w, h = v
        if w < 16 or h < 16 or w > 8192 or h > 8192:
            raise ValueError("resolution must be between 16 and 8192 pixels a side")
        if w % 2 or h % 2:
            raise ValueError("resolution must be even (H.264 yuv420p needs even sizes)")
        return v

    @model_validator(mode="after")
    def _unique_actions(self) -> DatasetConfig:
        seen = set()
        for i, a in enumerate(self.actions):
            if a in seen:
                raise ValueError(f"actions[{i}]: action {a!r} is listed twice")
            seen.add(a)
        return self


def parse_config(data: object, source: str | Path) -> DatasetConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a YAML mapping of fields, got {type(data).__name__}")
    try:
        return DatasetConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(source, exc)) from None


def load_config(path: str | Path) -> DatasetConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    return parse_config(data, path)
