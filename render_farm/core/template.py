"""The action template: a labelled motion on the canonical skeleton, stored as versioned JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from render_farm.core.atomic import write_text_atomic
from render_farm.core.errors import SynthActError, describe_validation_error
from render_farm.core.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS
from render_farm.core.yamlio import read_user_text, too_deep

TEMPLATE_SCHEMA_VERSION = 1
UNIT_TOLERANCE = 1e-3
ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# Limits the farm can render, enforced wherever a template is read (validate, planner, worker, add-on):
MAX_TEMPLATE_BYTES = 32 * 1024 * 1024  # checked before the file is parsed; the built-ins are under 1 MB
MAX_TEMPLATE_FRAMES = 10_000  # 5.5 minutes at 30 fps
MIN_FPS, MAX_FPS = 1.0, 240.0  # a clip's fps bounds (the config's), so any template can be previewed at its own
MIN_SPEED, MAX_SPEED = 0.05, 20.0  # playback speed factors
MAX_ROOT_OFFSET_M = 100.0  # the pelvis stays within this distance of where it starts

Quaternion = Annotated[list[float], Field(min_length=4, max_length=4)]
Vector3 = Annotated[list[float], Field(min_length=3, max_length=3)]


class TemplateError(SynthActError):
    pass


class RandomizationRanges(BaseModel):
    """What the author allows the renderer to vary."""

    model_config = ConfigDict(extra="forbid")

    speed: tuple[float, float] = Field((0.9, 1.1), description="Playback speed factor range [min, max].")
    mirror: bool = Field(True, description="Whether the motion may be mirrored left/right.")
    joint_noise_deg: float = Field(3.0, ge=0.0, le=45.0, description="Largest per-joint noise angle, degrees.")

    @field_validator("speed")
    @classmethod
    def _speed(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0:
            raise ValueError("speed range must be finite and positive")
        if lo > hi:
            raise ValueError(f"speed range min {lo} is greater than max {hi}")
        if lo < MIN_SPEED or hi > MAX_SPEED:
            raise ValueError(f"speed range must lie within [{MIN_SPEED:g}, {MAX_SPEED:g}], got [{lo:g}, {hi:g}]")
        return v


class ActionTemplate(BaseModel):
    """One action on the canonical skeleton.

    rotations[joint][frame] is the joint's local rotation (w, x, y, z) relative to the
    canonical rest pose; joints left out stay at rest. root_translation[frame] is the
    pelvis displacement from its rest position in metres, authored on the reference
    body and scaled to each body's size when rendered.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = TEMPLATE_SCHEMA_VERSION
    id: str = Field(pattern=ID_PATTERN, description="Stable identifier, e.g. 'jumping_jacks'.")
    label: str = Field(min_length=1, description="Human-readable class name.")
    description: str = ""
    fps: float = Field(ge=MIN_FPS, le=MAX_FPS)
    frame_count: int = Field(ge=1, le=MAX_TEMPLATE_FRAMES)
    loops: bool = False
    rotations: dict[str, list[Quaternion]]
    root_translation: list[Vector3]
    randomization: RandomizationRanges = Field(default_factory=RandomizationRanges)

    @field_validator("rotations")
    @classmethod
    def _joints_known(cls, v: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
        for name in v:
            if name not in JOINT_INDEX:
                raise ValueError(f"unknown joint {name!r} (canonical joints: {', '.join(JOINT_NAMES)})")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ActionTemplate:
        n = self.frame_count
        if len(self.root_translation) != n:
            raise ValueError(f"root_translation has {len(self.root_translation)} frames, frame_count is {n}")
        root = np.asarray(self.root_translation, dtype=np.float64)
        if not np.all(np.isfinite(root)):
            raise ValueError("root_translation contains NaN or infinite values")
        if n and (reach := float(np.linalg.norm(root - root[0], axis=1).max())) > MAX_ROOT_OFFSET_M:
            raise ValueError(f"root_translation moves the pelvis {reach:.3g} m from where it starts, over the "
                             f"limit of {MAX_ROOT_OFFSET_M:g} m")
        for name, frames in self.rotations.items():
            if len(frames) != n:
                raise ValueError(f"rotations.{name} has {len(frames)} frames, frame_count is {n}")
            q = np.asarray(frames, dtype=np.float64)
            bad = ~np.all(np.isfinite(q), axis=1)
            if bad.any():
                raise ValueError(f"rotations.{name}[{int(np.argmax(bad))}] contains NaN or infinite values")
            norms = np.linalg.norm(q, axis=1)
            off = np.abs(norms - 1.0) > UNIT_TOLERANCE
            if off.any():
                i = int(np.argmax(off))
                raise ValueError(f"rotations.{name}[{i}] is not a unit quaternion (norm {norms[i]:.4f})")
        return self

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps

    def rotation_array(self) -> np.ndarray:
        """Local rotations (frames, 24, 4); joints left out are identity."""
        out = np.zeros((self.frame_count, NUM_JOINTS, 4))
        out[..., 0] = 1.0
        for name, frames in self.rotations.items():
            out[:, JOINT_INDEX[name]] = np.asarray(frames, dtype=np.float64)
        return out

    def translation_array(self) -> np.ndarray:
        return np.asarray(self.root_translation, dtype=np.float64)


def parse_template(data: object, source: str | Path) -> ActionTemplate:
    try:
        return ActionTemplate.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(describe_validation_error(source, exc)) from None
    except RecursionError:
        raise too_deep(source, "template", TemplateError) from None


def load_template(path: str | Path) -> ActionTemplate:
    path = Path(path)
    text = read_user_text(path, "template", TemplateError, MAX_TEMPLATE_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise too_deep(path, "template", TemplateError) from None
    template = parse_template(data, path)
    if path.stem != template.id:  # the farm finds templates by file name
        raise TemplateError(f"{path}: id: template id {template.id!r} does not match its file name "
                            f"(name it {template.id}.json)")
    return template


def template_json(template: ActionTemplate) -> str:
    """Canonical text of a template: rounded numbers, stable key order."""
    data = template.model_dump(mode="json")
    data["rotations"] = {
        k: [[round(float(c), 6) for c in q] for q in frames] for k, frames in sorted(data["rotations"].items())
    }
    data["root_translation"] = [[round(float(c), 6) for c in t] for t in data["root_translation"]]
    # One line per field and per joint: readable diffs without a line per number.
    lines = []
    for key, value in data.items():
        if key == "rotations":
            inner = ",\n".join(f"  {json.dumps(j)}: {json.dumps(f, separators=(',', ':'))}" for j, f in value.items())
            lines.append(f' "rotations": {{\n{inner}\n }}')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def save_template(template: ActionTemplate, path: str | Path) -> None:
    """Write atomically (temporary file, then rename)."""
    write_text_atomic(Path(path), template_json(template))


def template_json_schema() -> dict:
    return ActionTemplate.model_json_schema()
