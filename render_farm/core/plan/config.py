"""The dataset config: what to render, validated before anything is rendered."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from render_farm.core.plan.distributions import Dist, choice_of, dist_in
from render_farm.core.plan.render_settings import PRESETS, RenderSettings
from render_farm.core.template.library import load_library, template_paths
from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_yaml_mapping

HDRIS: tuple[str, ...] = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")


class ConfigError(SynthActError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _d(value) -> Dist:
    return Dist.model_validate(value)


Unit = dist_in(0.0, 1.0)


class BodyRanges(_Strict):
    """anny phenotype parameters, each in [0, 1] (age: 0 baby, 1/3 child, 2/3 young adult, 1 elder)."""

    gender: Unit = _d([0.0, 1.0])
    age: Unit = _d([0.5, 0.95])
    muscle: Unit = _d([0.2, 0.8])
    weight: Unit = _d([0.2, 0.8])
    height: Unit = _d([0.2, 0.8])
    proportions: Unit = _d([0.2, 0.8])
    skin_tone: Unit = Field(_d([0.0, 1.0]), description="0 lightest to 1 darkest skin colour.")
    pool: int | None = Field(
        None, ge=1, le=1_000_000, description="Distinct bodies in the dataset: a pool of this many is sampled "
        "from the ranges above with the dataset's seed, and each job (and partner) takes one of them. Unset: "
        "each job samples its own, so a plan of N clips bakes nearly N bodies (about 1.4 s each on a core).")


class PerformerRanges(_Strict):
    """A performer's style over a whole clip, on top of the performance: how big they move, how they hold their
    torso and arms. Each actor of a job draws its own."""

    energy: dist_in(0.5, 1.5, "energy", strictly_positive=True) = Field(
        _d([0.85, 1.2]), description="Factor on every joint's movement about the clip's mean pose (1: as authored).")
    lean_deg: dist_in(-20.0, 30.0, "lean_deg") = Field(
        _d([-4.0, 10.0]), description="Torso bent forward (+) or back (-), degrees, over the three spine joints.")
    arm_carriage_deg: dist_in(-15.0, 30.0, "arm_carriage_deg") = Field(
        _d([-3.0, 12.0]), description="Upper arms carried away from (+) or towards (-) the body, degrees.")
    sway_cm: dist_in(0.0, 10.0, "sway_cm") = Field(
        _d(0.0), description="Idle motion: the hips drift up to this far (cm) and the torso and head sway with "
                             "them, slowly, as people standing shift their weight (0: a rig moves only where "
                             "the performance moves it).")


class MotionRanges(_Strict):
    heading_deg: Dist = Field(_d([-30.0, 30.0]), description="Turn of the whole motion about the vertical.")
    time_warp: dist_in(0.0, 0.45) = Field(_d([0.0, 0.15]), description="Strength of smooth time warping.")
    joint_noise: Unit = Field(_d([0.0, 1.0]), description="Fraction of the template's joint_noise_deg used.")
    root_offset_m: dist_in(0.0, 10.0) = Field(_d([0.0, 0.3]), description="Distance from the set's centre.")
    mirror_probability: float = Field(0.5, ge=0.0, le=1.0)
    whole_action: bool = Field(
        False, description="Fit every one-shot action whole into each clip (a long one played faster), never a "
                           "window of it: for datasets of segmented clips, one whole action each.")
    performer: PerformerRanges | None = Field(
        None, description="A per-clip performer style (energy, posture, arm carriage); unset: none, as before.")


CAMERA_MOTIONS = ("static", "pan", "orbit", "shake")
# List limits, checked before the list is used (a config file is at most MAX_CONFIG_BYTES, checked unread).
MAX_ACTIONS = 5_000  # the built-in library has 157 classes
MAX_FOLDERS = 100
MAX_CONFIG_BYTES = 256 * 1024  # the YAML of 5,000 actions is about 100 kB
PATTERNS = ("solid", "stripes", "checks", "noise", "texture")
BACKGROUNDS = ("hdri", "sky", "image")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".exr", ".hdr", ".tif", ".tiff", ".bmp", ".webp")


def image_files(folders: list[Path]) -> list[Path]:
    """Images in user folders, sorted (so a seed picks the same file on every machine); listed once per
    process (the planner asks for every job)."""
    return list(_image_files(tuple(str(f) for f in folders)))


@functools.lru_cache(maxsize=16)
def _image_files(folders: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(sorted(p for f in folders for p in Path(f).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))


def _image_folders(v: list[Path], what: str) -> list[Path]:
    for folder in v:
        if not Path(folder).is_dir():
            raise ValueError(f"{folder}: {what} folder not found")
    if v and not image_files(v):
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, v))}")
    return v
GROUNDS = ("plain", "noise", "checker", "bricks")
Angle = dist_in(0.0, 180.0)


class CameraRanges(_Strict):
    azimuth_deg: dist_in(-360.0, 360.0) = _d([-60.0, 60.0])
    elevation_deg: dist_in(-30.0, 80.0) = _d([0.0, 20.0])
    focal_mm: dist_in(1.0, 500.0, "focal length", strictly_positive=True) = _d([35.0, 60.0])
    motion: choice_of(CAMERA_MOTIONS, "camera motion") = Field(
        _d({"choice": list(CAMERA_MOTIONS), "weights": [4, 2, 2, 2]}), description="static, pan, orbit or shake.")
    pan_deg: Angle = Field(_d([3.0, 12.0]), description="Total pan over the clip.")
    orbit_deg: Angle = Field(_d([10.0, 40.0]), description="Total orbit over the clip.")
    shake_deg: Angle = Field(_d([0.2, 0.8]), description="Handheld shake amplitude.")


class ClothingRanges(_Strict):
    """Procedural patterns painted in the body's UV space, per region (shirt, trousers, shoes, hair)."""

    pattern: choice_of(PATTERNS, "clothing pattern") = _d(
        {"choice": ["solid", "stripes", "checks", "noise"], "weights": [3, 2, 2, 2]})
    pattern_scale: dist_in(1.0, 500.0) = Field(_d([8.0, 40.0]), description="Repeats across the UV square.")
    texture_dirs: list[Path] = Field(default_factory=list, max_length=MAX_FOLDERS,
                                     description="Folders of images for the 'texture' pattern.")

    @field_validator("texture_dirs")
    @classmethod
    def _textures(cls, v: list[Path]) -> list[Path]:
        return _image_folders(v, "texture")

    @model_validator(mode="after")
    def _texture_needs_dirs(self) -> ClothingRanges:
        if "texture" in self.pattern.values and not self.texture_dirs:
            raise ValueError("pattern 'texture' needs clothing.texture_dirs")
        return self


class SceneRanges(_Strict):
    """Context, sampled independently of the action so that no class can be told from the scene."""

    background: choice_of(BACKGROUNDS, "background") = _d({"choice": ["hdri", "sky"], "weights": [3, 1]})
    background_dirs: list[Path] = Field(default_factory=list, max_length=MAX_FOLDERS,
                                        description="Folders of backdrop images.")
    ground: choice_of(GROUNDS, "ground") = _d({"choice": list(GROUNDS)})
    distractors: dist_in(0.0, 16.0) = Field(_d({"choice": [0, 1, 2, 3, 4]}), description="Props around the actor.")
    area_lights: dist_in(0.0, 16.0) = _d({"choice": [0, 1, 2]})
    area_temperature_k: dist_in(1000.0, 40000.0) = _d([2700.0, 9000.0])
    area_strength_w: dist_in(0.0, 100000.0) = _d([50.0, 400.0])

    @field_validator("background_dirs")
    @classmethod
    def _backdrops(cls, v: list[Path]) -> list[Path]:
        return _image_folders(v, "background image")

    @model_validator(mode="after")
    def _image_needs_dirs(self) -> SceneRanges:
        if "image" in self.background.values and not self.background_dirs:
            raise ValueError("background 'image' needs scene.background_dirs")
        return self


class LightingRanges(_Strict):
    hdris: list[str] = Field(default_factory=lambda: [h for h in HDRIS if h != "night"], min_length=1)
    strength: dist_in(0.0, 100.0) = _d([0.7, 1.4])
    sun_strength: dist_in(0.0, 100.0) = _d([1.0, 4.0])

    @field_validator("hdris")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in HDRIS:
                raise ValueError(f"unknown HDRI {name!r} (built-in: {', '.join(HDRIS)})")
        return v


class AnnotationOptions(_Strict):
    """Optional per-frame passes, saved beside the label as compressed arrays."""

    mask: bool = Field(False, description="Person segmentation mask per frame.")
    depth: bool = Field(False, description="Metric depth per frame (metres from the camera).")


class OutfitRanges(_Strict):
    """Garments, hair and accessories as meshes of their own, on by default (docs/config.md)."""

    enabled: bool = Field(True, description="Off: clothing is painted on the skin only, as before outfits.")
    top: choice_of(("none", "tshirt", "longsleeve"), "top") = _d(
        {"choice": ["tshirt", "longsleeve"], "weights": [1, 1]})
    bottom: choice_of(("none", "trousers", "shorts", "skirt"), "bottom") = _d(
        {"choice": ["trousers", "shorts", "skirt"], "weights": [3, 1, 1]})
    dress_probability: float = Field(0.1, ge=0.0, le=1.0)
    jacket_probability: float = Field(0.25, ge=0.0, le=1.0)
    shoes_probability: float = Field(0.9, ge=0.0, le=1.0)
    hair: choice_of(("none", "short", "long", "ponytail", "curly"), "hair style") = _d(
        {"choice": ["none", "short", "long", "ponytail", "curly"], "weights": [1, 3, 2, 1, 1]})
    hair_geometry: Literal["auto", "curves", "mesh"] = Field(
        "auto", description="curves: strands grown and styled by Blender's CC0 hair node assets (Blender 3.5 "
        "and later ship them); mesh: a cap with a card curtain or cone, cheaper (docs/benchmarks.md); auto: "
        "curves, but mesh with the Workbench engine (it draws strands slowly on a CPU).")
    hair_length: dist_in(0.0, 3.0, "hair length", strictly_positive=True) = Field(
        _d([0.7, 1.3]), description="Factor on the style's strand length (short 5 cm, curly 10, ponytail 26, "
        "long 32).")
    hair_strands: dist_in(1.0, 50_000.0, "hair strands") = Field(
        _d([1500, 5000]), description="Strands grown on the scalp (curves), rounded to whole guides.")
    glasses_probability: float = Field(0.2, ge=0.0, le=1.0)
    hat_probability: float = Field(0.15, ge=0.0, le=1.0)
    bag_probability: float = Field(0.15, ge=0.0, le=1.0)
    watch_probability: float = Field(0.25, ge=0.0, le=1.0)


class DatasetConfig(RenderSettings):
    """A dataset: what to render (actions, clips), how (the render settings, flat in the YAML), and what
    each job samples."""

    seed: int = Field(0, ge=0)
    output: Path = Path("output/dataset")
    actions: list[str] = Field(min_length=1, max_length=MAX_ACTIONS,
                               description="Template ids; 'all' stands for every template of the "
                               "library (built-ins and template_dirs), 'family:NAME' for those of one family.")
    template_dirs: list[Path] = Field(default_factory=list, max_length=MAX_FOLDERS)
    clips_per_action: int = Field(2, ge=1, le=1_000_000)
    frames: int = Field(32, ge=1, le=10_000)
    fps: float = Field(16.0, gt=0, le=240)
    resolution: tuple[int, int] = (224, 224)
    preset: Literal["preview", "fast", "quality"] | None = Field(
        None, description="Render settings by purpose; fields given beside it override it.")
    val_fraction: float = Field(0.25, ge=0.0, lt=1.0)
    workers: int | None = Field(None, ge=1)
    recycle_after: int | None = Field(
        None, ge=1, description="Jobs a worker process renders before it is replaced (bounds memory growth "
        "inside Blender); unset: 50. `--recycle-after` overrides it.")
    watchdog_s: float | None = Field(
        None, gt=0, description="A job whose worker finishes no frame for this many seconds is killed and "
        "retried like a crash; unset: 600. `--watchdog` overrides it.")
    blender: str | None = Field(
        None, min_length=1, max_length=4096, description="A Blender application (a path, or a name on PATH) "
        "that renders the frames instead of the bpy module; `--blender` and SYNTHACT_BLENDER override it.")
    body: BodyRanges = Field(default_factory=BodyRanges)
    motion: MotionRanges = Field(default_factory=MotionRanges)
    camera: CameraRanges = Field(default_factory=CameraRanges)
    lighting: LightingRanges = Field(default_factory=LightingRanges)
    clothing: ClothingRanges = Field(default_factory=ClothingRanges)
    outfit: OutfitRanges = Field(default_factory=OutfitRanges)
    annotations: AnnotationOptions = Field(default_factory=AnnotationOptions)
    scene: SceneRanges = Field(default_factory=SceneRanges)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("preset") in PRESETS:
            return {**PRESETS[data["preset"]].model_dump(exclude_unset=True), **data}
        return data

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
        expanded = any(a == "all" or a.startswith(FAMILY_SELECTOR) for a in self.actions)
        if expanded:
            self.actions = _expand_selectors(self.actions, self.template_dirs)
        seen = set()
        for i, a in enumerate(self.actions):
            if a in seen:
                raise ValueError(f"actions[{i}]: action {a!r} is listed twice"
                                 + (" (after expanding 'all' and 'family:')" if expanded else ""))
            seen.add(a)
        return self


FAMILY_SELECTOR = "family:"


def _expand_selectors(actions: list[str], template_dirs: list[Path]) -> list[str]:
    """'all' and 'family:NAME' replaced by the template ids they stand for, in id order, where they stand."""
    try:
        ids = sorted(template_paths(template_dirs))
        families: dict[str, list[str]] = {}
        if any(a.startswith(FAMILY_SELECTOR) for a in actions):
            for t in load_library(template_dirs):
                families.setdefault(t.family, []).append(t.id)
    except SynthActError as exc:
        raise ValueError(str(exc)) from None
    out: list[str] = []
    for i, a in enumerate(actions):
        if a == "all":
            out += ids
        elif a.startswith(FAMILY_SELECTOR):
            family = a[len(FAMILY_SELECTOR):]
            if family not in families:
                raise ValueError(f"actions[{i}]: no template of family {family!r} (families: "
                                 f"{', '.join(sorted(f for f in families if f))})")
            out += families[family]
        else:
            out.append(a)
    return out


def parse_config(data: object, source: str | Path) -> DatasetConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a YAML mapping of fields, got {type(data).__name__}")
    try:
        return DatasetConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(source, exc)) from None


def load_config(path: str | Path) -> DatasetConfig:
    return parse_config(load_yaml_mapping(path, "config", ConfigError, MAX_CONFIG_BYTES), path)
