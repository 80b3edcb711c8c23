"""The dataset config: what to render, validated before anything is rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from render_farm.core.distributions import Dist, check_support
from render_farm.core.errors import SynthActError, describe_validation_error

HDRIS: tuple[str, ...] = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")


class ConfigError(SynthActError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _d(value) -> Dist:
    return Dist.model_validate(value)


class BodyRanges(_Strict):
    """anny phenotype parameters, each in [0, 1] (age: 0 baby, 1/3 child, 2/3 young adult, 1 elder)."""

    gender: Dist = _d([0.0, 1.0])
    age: Dist = _d([0.5, 0.95])
    muscle: Dist = _d([0.2, 0.8])
    weight: Dist = _d([0.2, 0.8])
    height: Dist = _d([0.2, 0.8])
    proportions: Dist = _d([0.2, 0.8])
    skin_tone: Dist = Field(_d([0.0, 1.0]), description="0 lightest to 1 darkest skin colour.")

    @field_validator("*")
    @classmethod
    def _unit(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 1.0)


class MotionRanges(_Strict):
    heading_deg: Dist = Field(_d([-30.0, 30.0]), description="Turn of the whole motion about the vertical.")
    time_warp: Dist = Field(_d([0.0, 0.15]), description="Strength of smooth time warping (0 = none).")
    joint_noise: Dist = Field(_d([0.0, 1.0]), description="Fraction of the template's joint_noise_deg used.")
    root_offset_m: Dist = Field(_d([0.0, 0.3]), description="Distance of the actor from the set's centre.")
    mirror_probability: float = Field(0.5, ge=0.0, le=1.0)

    @field_validator("time_warp")
    @classmethod
    def _warp(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 0.45)

    @field_validator("joint_noise")
    @classmethod
    def _noise(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 1.0)

    @field_validator("root_offset_m")
    @classmethod
    def _offset(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 10.0)


CAMERA_MOTIONS = ("static", "pan", "orbit", "shake")


class CameraRanges(_Strict):
    azimuth_deg: Dist = _d([-60.0, 60.0])
    elevation_deg: Dist = _d([0.0, 20.0])
    focal_mm: Dist = _d([35.0, 60.0])
    motion: Dist = Field(_d({"choice": list(CAMERA_MOTIONS), "weights": [4, 2, 2, 2]}),
                         description="static, pan, orbit or shake.")
    pan_deg: Dist = Field(_d([3.0, 12.0]), description="Total pan over the clip.")
    orbit_deg: Dist = Field(_d([10.0, 40.0]), description="Total orbit over the clip.")
    shake_deg: Dist = Field(_d([0.2, 0.8]), description="Handheld shake amplitude.")

    @field_validator("azimuth_deg")
    @classmethod
    def _az(cls, v: Dist) -> Dist:
        return check_support(v, -360.0, 360.0)

    @field_validator("elevation_deg")
    @classmethod
    def _el(cls, v: Dist) -> Dist:
        return check_support(v, -30.0, 80.0)

    @field_validator("focal_mm")
    @classmethod
    def _focal(cls, v: Dist) -> Dist:
        return check_support(v, 1.0, 500.0, "focal length", strictly_positive=True)

    @field_validator("motion")
    @classmethod
    def _motion(cls, v: Dist) -> Dist:
        if v.kind != "choice" or any(m not in CAMERA_MOTIONS for m in v.values):
            raise ValueError(f"camera motion must be a choice of {', '.join(CAMERA_MOTIONS)}")
        return v

    @field_validator("pan_deg", "orbit_deg", "shake_deg")
    @classmethod
    def _angles(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 180.0)


PATTERNS = ("solid", "stripes", "checks", "noise")
BACKGROUNDS = ("hdri", "sky")
GROUNDS = ("plain", "noise", "checker", "bricks")
SHAPES = ("cube", "sphere", "cylinder", "cone")


def _choice_of(v: Dist, allowed: tuple[str, ...], what: str) -> Dist:
    if v.kind != "choice" or any(x not in allowed for x in v.values):
        raise ValueError(f"{what} must be a choice of {', '.join(allowed)}")
    return v


class ClothingRanges(_Strict):
    """Procedural patterns painted in the body's UV space, per region (shirt, trousers, shoes, hair)."""

    pattern: Dist = Field(_d({"choice": list(PATTERNS), "weights": [3, 2, 2, 2]}))
    pattern_scale: Dist = Field(_d([8.0, 40.0]), description="Pattern repeats across the UV square.")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: Dist) -> Dist:
        return _choice_of(v, PATTERNS, "clothing pattern")

    @field_validator("pattern_scale")
    @classmethod
    def _scale(cls, v: Dist) -> Dist:
        return check_support(v, 1.0, 500.0)


class SceneRanges(_Strict):
    """Context, sampled independently of the action so that no class can be told from the scene."""

    background: Dist = Field(_d({"choice": list(BACKGROUNDS), "weights": [3, 1]}))
    ground: Dist = Field(_d({"choice": list(GROUNDS)}))
    distractors: Dist = Field(_d({"choice": [0, 1, 2, 3, 4]}), description="Props placed around the actor.")
    area_lights: Dist = Field(_d({"choice": [0, 1, 2]}))
    area_temperature_k: Dist = Field(_d([2700.0, 9000.0]))
    area_strength_w: Dist = Field(_d([50.0, 400.0]))

    @field_validator("background")
    @classmethod
    def _background(cls, v: Dist) -> Dist:
        return _choice_of(v, BACKGROUNDS, "background")

    @field_validator("ground")
    @classmethod
    def _ground(cls, v: Dist) -> Dist:
        return _choice_of(v, GROUNDS, "ground")

    @field_validator("distractors", "area_lights")
    @classmethod
    def _count(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 16.0)

    @field_validator("area_temperature_k")
    @classmethod
    def _kelvin(cls, v: Dist) -> Dist:
        return check_support(v, 1000.0, 40000.0)

    @field_validator("area_strength_w")
    @classmethod
    def _watts(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 100000.0)


class LightingRanges(_Strict):
    hdris: list[str] = Field(default_factory=lambda: [h for h in HDRIS if h != "night"], min_length=1)
    strength: Dist = _d([0.7, 1.4])
    sun_strength: Dist = _d([1.0, 4.0])

    @field_validator("hdris")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in HDRIS:
                raise ValueError(f"unknown HDRI {name!r} (built-in: {', '.join(HDRIS)})")
        return v

    @field_validator("strength", "sun_strength")
    @classmethod
    def _positive(cls, v: Dist) -> Dist:
        return check_support(v, 0.0, 100.0)


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
    motion: MotionRanges = Field(default_factory=MotionRanges)
    camera: CameraRanges = Field(default_factory=CameraRanges)
    lighting: LightingRanges = Field(default_factory=LightingRanges)
    clothing: ClothingRanges = Field(default_factory=ClothingRanges)
    scene: SceneRanges = Field(default_factory=SceneRanges)

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
