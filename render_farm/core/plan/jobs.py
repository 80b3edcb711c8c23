"""A job: everything needed to render one clip, on any worker, on any machine."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from render_farm.core.plan.render_settings import LEGACY_JOB_SETTINGS, RenderSettings

JOB_SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BodyParams(_Strict):
    provider: Literal["anny"] = "anny"
    phenotype: dict[str, float]


class PerformerParams(_Strict):
    """An actor's style over the clip (config.PerformerRanges): applied to the performance's motion."""

    energy: float = Field(gt=0)
    lean_deg: float
    arm_carriage_deg: float
    sway_cm: float = Field(0.0, ge=0, description="How far the hips drift as the actor stands and shifts weight.")

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _without_defaults(handler(self), {"sway_cm": 0.0})


def _without_defaults(data: dict, defaults: dict) -> dict:
    """A job section's JSON without the fields added after plans were first written, where they hold their
    default: lines of older plans stay byte for byte what they were."""
    for key, value in defaults.items():
        if key in data and data[key] == value:
            del data[key]
    return data


class MotionParams(_Strict):
    speed: float = Field(gt=0)
    mirror: bool
    heading_deg: float
    start_offset: float = Field(ge=0, description="Template frames skipped at the start (looping actions).")
    time_warp: tuple[float, float] = Field((0.0, 0.0), description="Warp amplitudes a1, a2 (|a1| + |a2| < 1).")
    joint_noise_deg: float = Field(0.0, ge=0, description="Largest per-joint noise angle.")
    root_offset_m: float = Field(0.0, ge=0)
    root_offset_angle_deg: float = 0.0
    performance: int = Field(0, ge=0, description="Which performance of the template is played (0: its own "
                             "motion).")
    performer: PerformerParams | None = Field(None, description="The actor's style, where the config has one.")
    whole_action: bool = Field(False, description="A one-shot action fitted whole into the clip, however long.")

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _without_defaults(handler(self), {"performance": 0, "performer": None, "whole_action": False})


class CameraParams(_Strict):
    azimuth_deg: float
    elevation_deg: float
    focal_mm: float = Field(gt=0)
    motion: Literal["static", "pan", "orbit", "shake"] = "static"
    motion_deg: float = Field(0.0, ge=0, description="Pan or orbit angle over the clip, or shake amplitude.")


class LightingParams(_Strict):
    hdri: str
    hdri_rotation_deg: float
    strength: float = Field(ge=0)
    sun_azimuth_deg: float
    sun_elevation_deg: float
    sun_strength: float = Field(ge=0)


class OutfitParams(_Strict):
    """What an actor wears as meshes of its own (render_farm/outfits/): garments, hair and
    accessories. The painted clothing of AppearanceParams stays beneath them."""

    top: Literal["none", "tshirt", "longsleeve"] = "none"
    bottom: Literal["none", "trousers", "shorts", "skirt"] = "none"
    dress: bool = Field(False, description="A dress in place of the top and bottom.")
    jacket: bool = False
    shoes: bool = False
    hair: Literal["none", "short", "long", "ponytail", "curly"] = "none"
    hair_geometry: Literal["mesh", "curves"] = Field(
        "mesh", description="curves: strands grown by Blender's hair node assets; mesh: a cap and cards.")
    hair_length: float = Field(1.0, gt=0, description="Factor on the style's strand length (curves).")
    hair_strands: int = Field(3000, ge=1, description="Strands grown on the scalp (curves).")
    hair_seed: int = Field(0, ge=0, description="Where the strands grow (curves).")
    accessories: list[Literal["glasses", "hat", "bag", "watch"]] = Field(default_factory=list)
    colors: dict[str, tuple[float, float, float]] = Field(
        default_factory=dict, description="Linear RGB of the pieces without a body-region colour: dress, jacket, "
        "glasses, hat, bag, watch.")


class AppearanceParams(_Strict):
    """Linear RGB colour per body region (see bodies.baked.REGIONS), and each region's pattern."""

    colors: dict[str, tuple[float, float, float]]
    ground: tuple[float, float, float]
    skin_tone: float = Field(0.5, ge=0, le=1)
    patterns: dict[str, Literal["solid", "stripes", "checks", "noise", "texture"]] = Field(default_factory=dict)
    textures: dict[str, str] = Field(default_factory=dict, description="Image file per region with 'texture'.")
    second_colors: dict[str, tuple[float, float, float]] = Field(default_factory=dict)
    pattern_scale: float = Field(20.0, gt=0)
    outfit: OutfitParams | None = Field(None, description="Garments, hair and accessories as meshes; none in plans "
                                        "from before outfits (painted clothing only).")


class AreaLight(_Strict):
    azimuth_deg: float
    elevation_deg: float
    distance_m: float = Field(gt=0)
    size_m: float = Field(gt=0)
    strength_w: float = Field(ge=0)
    temperature_k: float = Field(gt=0)


class Distractor(_Strict):
    shape: Literal["cube", "sphere", "cylinder", "cone"]
    position: tuple[float, float]
    size_m: float = Field(gt=0)
    rotation_deg: float
    color: tuple[float, float, float]


class SceneParams(_Strict):
    background: Literal["hdri", "sky", "image"] = "hdri"
    background_image: str | None = None
    sky_turbidity: float = 3.0
    ground: Literal["plain", "noise", "checker", "bricks"] = "noise"
    area_lights: list[AreaLight] = Field(default_factory=list)
    distractors: list[Distractor] = Field(default_factory=list)


class RenderParams(RenderSettings):
    """A job's render settings (declared in render_settings.py), resolved, with its size and length."""

    world_map: int = Field(0, ge=0, le=16384, description="Resolution of the world light's importance map; "
                           "0: Blender's automatic one.")
    passes: list[Literal["mask", "depth"]] = Field(default_factory=list, description="Optional per-frame passes.")
    width: int
    height: int
    frames: int = Field(ge=1)
    fps: float = Field(gt=0)

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: object) -> object:
        # Lines of plans written before presets lack these; they rendered with the old values.
        return {**LEGACY_JOB_SETTINGS, **data} if isinstance(data, dict) else data


class PartnerParams(_Strict):
    """The second actor of a two-person action: its own body and appearance (its motion is the template's
    partner track, randomized with the job's motion parameters)."""

    body: BodyParams
    appearance: AppearanceParams
    performer: PerformerParams | None = Field(None, description="The partner's own style, where the config has "
                                              "one.")

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _without_defaults(handler(self), {"performer": None})


class Job(_Strict):
    schema_version: Literal[1] = JOB_SCHEMA_VERSION
    job_id: str
    plan_id: str | None = Field(None, description="The plan's identity (planner.plan_identity); plans written "
                                "before 2026-11-29 have none.")
    action_id: str
    action_label: str
    class_index: int = Field(ge=0)
    clip_index: int = Field(ge=0)
    seed: int = Field(ge=0)
    split: Literal["train", "val"]
    template_id: str
    clip_path: str = Field(description="Relative to the output folder.")
    label_path: str = Field(description="Relative to the output folder.")
    passes_path: str | None = Field(None, description="Mask/depth arrays (.npz), relative to the output folder.")
    render: RenderParams
    body: BodyParams
    motion: MotionParams
    camera: CameraParams
    lighting: LightingParams
    appearance: AppearanceParams
    scene: SceneParams = Field(default_factory=SceneParams)
    partner: PartnerParams | None = Field(None, description="The second actor, for a two-person action.")
    prop_colors: dict[str, tuple[float, float, float]] = Field(
        default_factory=dict, description="Linear RGB of each hand-held prop of the template, by prop name.")

    def bodies(self) -> list[BodyParams]:
        """Every body the job renders (the partner's too)."""
        return [self.body] + ([self.partner.body] if self.partner is not None else [])


def job_line(job: Job) -> str:
    """A plan (jobs.jsonl) line: pydantic's own serializer in field order, 5x faster than json.dumps
    of a dump (6 against 30 us a job), which is most of the time it takes to write a large plan."""
    return job.model_dump_json() + "\n"
