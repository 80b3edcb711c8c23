"""The action template: a labelled motion on the canonical skeleton, stored as versioned JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from render_farm.core.geometry.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS
from synthact.atomic import write_text_atomic
from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_json_file, too_deep

TEMPLATE_SCHEMA_VERSION = 3  # 2 added family, props and partner; 3 performances; older files are read as they are
UNIT_TOLERANCE = 1e-3
ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# Limits the farm can render, enforced wherever a template is read (validate, planner, worker, add-on):
MAX_TEMPLATE_BYTES = 32 * 1024 * 1024  # checked before the file is parsed; the built-ins are under 1 MB
MAX_TEMPLATE_FRAMES = 10_000  # 5.5 minutes at 30 fps
MIN_FPS, MAX_FPS = 1.0, 240.0  # a clip's fps bounds (the config's), so any template can be previewed at its own
MIN_SPEED, MAX_SPEED = 0.05, 20.0  # playback speed factors
MAX_ROOT_OFFSET_M = 100.0  # the pelvis stays within this distance of where it starts
MAX_PERFORMANCES = 64  # per class: each is a whole motion, and the file-size limit holds them all

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


def _check_motion(rotations: dict[str, list[list[float]]], root_translation: list[list[float]], n: int,
                  where: str = "") -> None:
    """Frame counts, finite values and unit quaternions of one actor's motion."""
    if len(root_translation) != n:
        raise ValueError(f"{where}root_translation has {len(root_translation)} frames, frame_count is {n}")
    root = np.asarray(root_translation, dtype=np.float64)
    if not np.all(np.isfinite(root)):
        raise ValueError(f"{where}root_translation contains NaN or infinite values")
    if n and (reach := float(np.linalg.norm(root - root[0], axis=1).max())) > MAX_ROOT_OFFSET_M:
        raise ValueError(f"{where}root_translation moves the pelvis {reach:.3g} m from where it starts, over the "
                         f"limit of {MAX_ROOT_OFFSET_M:g} m")
    for name, frames in rotations.items():
        if len(frames) != n:
            raise ValueError(f"{where}rotations.{name} has {len(frames)} frames, frame_count is {n}")
        q = np.asarray(frames, dtype=np.float64)
        bad = ~np.all(np.isfinite(q), axis=1)
        if bad.any():
            raise ValueError(f"{where}rotations.{name}[{int(np.argmax(bad))}] contains NaN or infinite values")
        norms = np.linalg.norm(q, axis=1)
        off = np.abs(norms - 1.0) > UNIT_TOLERANCE
        if off.any():
            i = int(np.argmax(off))
            raise ValueError(f"{where}rotations.{name}[{i}] is not a unit quaternion (norm {norms[i]:.4f})")


def _rotation_array(rotations: dict[str, list[list[float]]], frames: int) -> np.ndarray:
    out = np.zeros((frames, NUM_JOINTS, 4))
    out[..., 0] = 1.0
    for name, values in rotations.items():
        out[:, JOINT_INDEX[name]] = np.asarray(values, dtype=np.float64)
    return out


def _known_joints(v: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
    for name in v:
        if name not in JOINT_INDEX:
            raise ValueError(f"unknown joint {name!r} (canonical joints: {', '.join(JOINT_NAMES)})")
    return v


HANDS = ("left_hand", "right_hand", "both_hands")
MAX_PROP_SIZE_M = 3.0


class PropHold(BaseModel):
    """One span of template frames during which an actor holds a prop."""

    model_config = ConfigDict(extra="forbid")

    actor: int = Field(0, ge=0, le=1, description="0: the actor; 1: the partner.")
    hand: Literal["left_hand", "right_hand", "both_hands"] = Field(
        description="The hand joint the prop moves with; both_hands: midway between the hands, turning with the "
                    "pelvis.")
    from_frame: int = Field(ge=0, description="First template frame of the hold (0-based).")
    to_frame: int = Field(ge=0, description="Last template frame of the hold (0-based).")
    offset_m: Vector3 = Field(default_factory=lambda: [0.0, 0.0, 0.0],
                              description="The prop's centre from the hand, in the hand's axes (metres).")
    rotation_deg: Vector3 = Field(default_factory=lambda: [0.0, 0.0, 0.0],
                                  description="The prop's turn in the hand's axes (XYZ Euler, degrees).")


class TemplateProp(BaseModel):
    """A hand-held object: a primitive shape, held over one or more spans of frames. Before its first hold it
    rests where that hold takes it; between and after holds it stays where it was let go."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ID_PATTERN)
    shape: Literal["box", "cylinder", "sphere"]
    size_m: Vector3 = Field(description="Extent along the shape's x, y, z (metres); a cylinder's axis is z.")
    holds: list[PropHold] = Field(min_length=1)

    @field_validator("size_m")
    @classmethod
    def _size(cls, v: list[float]) -> list[float]:
        if not all(math.isfinite(x) and 0 < x <= MAX_PROP_SIZE_M for x in v):
            raise ValueError(f"prop sizes must lie in (0, {MAX_PROP_SIZE_M:g}] metres, got {v}")
        return v

    @field_validator("holds")
    @classmethod
    def _ordered(cls, v: list[PropHold]) -> list[PropHold]:
        for i, h in enumerate(v):
            if h.to_frame < h.from_frame:
                raise ValueError(f"holds[{i}] ends (frame {h.to_frame}) before it starts (frame {h.from_frame})")
            if i and h.from_frame < v[i - 1].to_frame:
                raise ValueError(f"holds[{i}] starts before holds[{i - 1}] ends")
        return v


class PartnerMotion(BaseModel):
    """The second actor of a two-person action, in the same world as the first: its rotations and its pelvis
    displacement from the first actor's rest position (so its place and facing are in them)."""

    model_config = ConfigDict(extra="forbid")

    rotations: dict[str, list[Quaternion]]
    root_translation: list[Vector3]

    @field_validator("rotations")
    @classmethod
    def _joints_known(cls, v: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
        return _known_joints(v)

    def rotation_array(self) -> np.ndarray:
        return _rotation_array(self.rotations, len(self.root_translation))

    def translation_array(self) -> np.ndarray:
        return np.asarray(self.root_translation, dtype=np.float64)


def _check_props(props: list[TemplateProp], n: int, has_partner: bool, where: str = "") -> None:
    names = [p.name for p in props]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}props: two props are named {sorted({x for x in names if names.count(x) > 1})[0]!r}")
    for i, prop in enumerate(props):
        for k, hold in enumerate(prop.holds):
            if hold.to_frame >= n:
                raise ValueError(f"{where}props[{i}].holds[{k}].to_frame: frame {hold.to_frame} is past the last "
                                 f"frame ({n - 1})")
            if hold.actor == 1 and not has_partner:
                raise ValueError(f"{where}props[{i}].holds[{k}].actor: actor 1 is the partner, and the template has "
                                 "none")


class Performance(BaseModel):
    """Another way the template's action is performed (another performer, side, amplitude, tempo, approach):
    a whole motion of its own, of the same class. The template's own motion is performance 0; these follow.
    The class's settings (label, loops, randomization, family) hold for every performance."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ID_PATTERN, description="Unique within the template, e.g. 'left_hand_fast'.")
    fps: float = Field(ge=MIN_FPS, le=MAX_FPS)
    frame_count: int = Field(ge=1, le=MAX_TEMPLATE_FRAMES)
    rotations: dict[str, list[Quaternion]]
    root_translation: list[Vector3]
    props: list[TemplateProp] = Field(default_factory=list, description="The same props as the template's, "
                                      "held as this performance holds them.")
    partner: PartnerMotion | None = None

    @field_validator("rotations")
    @classmethod
    def _joints_known(cls, v: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
        return _known_joints(v)


class ActionTemplate(BaseModel):
    """One action on the canonical skeleton.

    rotations[joint][frame] is the joint's local rotation (w, x, y, z) relative to the
    canonical rest pose; joints left out stay at rest. root_translation[frame] is the
    pelvis displacement from its rest position in metres, authored on the reference
    body and scaled to each body's size when rendered.
    """

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1, 2, 3] = TEMPLATE_SCHEMA_VERSION
    id: str = Field(pattern=ID_PATTERN, description="Stable identifier, e.g. 'jumping_jacks'.")
    label: str = Field(min_length=1, description="Human-readable class name.")
    description: str = ""
    fps: float = Field(ge=MIN_FPS, le=MAX_FPS)
    frame_count: int = Field(ge=1, le=MAX_TEMPLATE_FRAMES)
    loops: bool = False
    rotations: dict[str, list[Quaternion]]
    root_translation: list[Vector3]
    randomization: RandomizationRanges = Field(default_factory=RandomizationRanges)
    family: str = Field("", pattern=r"^[a-z_]{0,32}$", description="The family the action belongs to, e.g. "
                        "'locomotion', 'gesture', 'interaction'.")
    props: list[TemplateProp] = Field(default_factory=list, description="Hand-held objects.")
    partner: PartnerMotion | None = Field(None, description="The second actor of a two-person action.")
    performances: list[Performance] = Field(
        default_factory=list, max_length=MAX_PERFORMANCES - 1,
        description="Further performances of the action; the template's own motion is the first.")

    @field_validator("rotations")
    @classmethod
    def _joints_known(cls, v: dict[str, list[list[float]]]) -> dict[str, list[list[float]]]:
        return _known_joints(v)

    @model_validator(mode="after")
    def _consistent(self) -> ActionTemplate:
        n = self.frame_count
        _check_motion(self.rotations, self.root_translation, n)
        if self.partner is not None:
            _check_motion(self.partner.rotations, self.partner.root_translation, n, "partner.")
        _check_props(self.props, n, self.partner is not None)
        names = {"main"}
        prop_names = sorted(p.name for p in self.props)
        for i, perf in enumerate(self.performances):
            where = f"performances[{i}]."
            if perf.name in names:
                raise ValueError(f"{where}name: {perf.name!r} names two performances (the first is 'main')")
            names.add(perf.name)
            _check_motion(perf.rotations, perf.root_translation, perf.frame_count, where)
            if (perf.partner is None) != (self.partner is None):
                raise ValueError(f"{where}partner: every performance of a "
                                 f"{'two-person' if self.partner else 'one-person'} action has "
                                 f"{'a partner' if self.partner else 'none'}")
            if perf.partner is not None:
                _check_motion(perf.partner.rotations, perf.partner.root_translation, perf.frame_count,
                              f"{where}partner.")
            if sorted(p.name for p in perf.props) != prop_names:
                raise ValueError(f"{where}props: holds the props {sorted(p.name for p in perf.props)}, the template "
                                 f"{prop_names}: every performance holds the same props")
            _check_props(perf.props, perf.frame_count, perf.partner is not None, where)
        return self

    @property
    def performance_count(self) -> int:
        return 1 + len(self.performances)

    def performance_name(self, index: int) -> str:
        return "main" if index == 0 else self.performances[index - 1].name

    def performance(self, index: int) -> ActionTemplate:
        """The template as performance `index` plays it (0: its own motion), with no further performances:
        what the motion maths, the planner's window and the worker read."""
        if not 0 <= index < self.performance_count:
            raise IndexError(f"{self.id} has {self.performance_count} performance(s); there is no performance "
                             f"{index}")
        if index == 0:
            return self if not self.performances else self.model_copy(update={"performances": []})
        p = self.performances[index - 1]
        return self.model_copy(update={"fps": p.fps, "frame_count": p.frame_count, "rotations": p.rotations,
                                       "root_translation": p.root_translation, "props": p.props,
                                       "partner": p.partner, "performances": []})

    @property
    def actors(self) -> int:
        return 1 if self.partner is None else 2

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps

    def rotation_array(self) -> np.ndarray:
        """Local rotations (frames, 24, 4); joints left out are identity."""
        return _rotation_array(self.rotations, self.frame_count)

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
    template = parse_template(load_json_file(path, "template", TemplateError, MAX_TEMPLATE_BYTES), path)
    if path.stem != template.id:  # the farm finds templates by file name
        raise TemplateError(f"{path}: id: template id {template.id!r} does not match its file name "
                            f"(name it {template.id}.json)")
    return template


def _rounded_motion(data: dict) -> dict:
    data["rotations"] = {
        k: [[round(float(c), 6) for c in q] for q in frames] for k, frames in sorted(data["rotations"].items())
    }
    data["root_translation"] = [[round(float(c), 6) for c in t] for t in data["root_translation"]]
    return data


def _rotations_text(rotations: dict, indent: str) -> str:
    inner = ",\n".join(f"{indent} {json.dumps(j)}: {json.dumps(f, separators=(',', ':'))}"
                       for j, f in rotations.items())
    return f"{{\n{inner}\n{indent}}}"


def _fields_text(data: dict, indent: str) -> str:
    """One line per field and per joint, nested performances and partners indented one more space."""
    lines = []
    for key, value in data.items():
        if key == "rotations":
            lines.append(f'{indent}"rotations": {_rotations_text(value, indent)}')
        elif key == "partner" and value is not None:
            lines.append(f'{indent}"partner": {{\n{_fields_text(value, indent + " ")}\n{indent}}}')
        elif key == "performances" and value:
            inner = ",\n".join(f"{indent} {{\n{_fields_text(p, indent + '  ')}\n{indent} }}" for p in value)
            lines.append(f'{indent}"performances": [\n{inner}\n{indent}]')
        else:
            lines.append(f"{indent}{json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}")
    return ",\n".join(lines)


def template_json(template: ActionTemplate) -> str:
    """Canonical text of a template: rounded numbers, stable key order. The add-on writes the same layout
    (blender_addon/rules.template_text)."""
    data = _rounded_motion(template.model_dump(mode="json"))
    if data.get("partner") is not None:
        data["partner"] = _rounded_motion(data["partner"])
    for perf in data.get("performances", []):
        _rounded_motion(perf)
        if perf.get("partner") is not None:
            perf["partner"] = _rounded_motion(perf["partner"])
    # One line per field and per joint: readable diffs without a line per number.
    return "{\n" + _fields_text(data, " ") + "\n}\n"


def save_template(template: ActionTemplate, path: str | Path) -> None:
    """Write atomically (temporary file, then rename)."""
    write_text_atomic(Path(path), template_json(template))


def template_json_schema() -> dict:
    return ActionTemplate.model_json_schema()
