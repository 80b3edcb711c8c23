"""Template rules and the template file, in plain Python (no bpy, no pydantic).

The render farm validates templates with its pydantic model; the add-on checks the
same rules here so that an artist sees problems in Blender before exporting, and
writes the same JSON layout. Tests check both sides agree.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .canonical import FOOT_JOINTS, JOINT_INDEX, JOINT_NAMES

SCHEMA_VERSION = 1
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_JOINT_NOISE_DEG = 45.0
UNIT_TOLERANCE = 1e-3
DECIMALS = 6  # numbers are written rounded: far below what a render can show
# Foot skating: a foot within CONTACT_HEIGHT of its lowest height is taken to be on
# the ground; sliding further than SKATE_DISTANCE while in contact is reported.
CONTACT_HEIGHT = 0.02
SKATE_DISTANCE = 0.05
# The farm's limits (render_farm/core/template.py; tests/test_addon.py checks they are the same).
MAX_TEMPLATE_FRAMES = 10_000
MAX_TEMPLATE_BYTES = 32 * 1024 * 1024
MIN_FPS, MAX_FPS = 1.0, 240.0
MIN_SPEED, MAX_SPEED = 0.05, 20.0
MAX_ROOT_OFFSET_M = 100.0


@dataclass
class Properties:
    """What the artist sets on an action in the SynthAct panel."""

    id: str = ""
    label: str = ""
    description: str = ""
    loops: bool = False
    speed_min: float = 0.9
    speed_max: float = 1.1
    mirror: bool = True
    joint_noise_deg: float = 3.0


@dataclass
class Motion:
    """A sampled action: per frame, local rotations (w, x, y, z) per joint and the root offset."""

    fps: float
    rotations: dict[str, list[tuple[float, float, float, float]]]
    root_translation: list[tuple[float, float, float]]
    # World joint positions per frame, for the foot-skating check (optional).
    joint_positions: list[list[tuple[float, float, float]]] = field(default_factory=list)

    @property
    def frame_count(self) -> int:
        return len(self.root_translation)


@dataclass
class Finding:
    level: str  # "ERROR" or "WARNING"
    message: str


def check_properties(p: Properties) -> list[Finding]:
    out: list[Finding] = []
    if not p.id:
        out.append(Finding("ERROR", "id: missing (set the template id in the SynthAct panel)"))
    elif not ID_PATTERN.match(p.id):
        out.append(Finding("ERROR", f"id: {p.id!r} must start with a lower-case letter and use only a-z, 0-9 and _ "
                                    "(at most 64 characters)"))
    if not p.label.strip():
        out.append(Finding("ERROR", "label: missing (the human-readable class name, e.g. 'jumping jacks')"))
    if not (math.isfinite(p.speed_min) and math.isfinite(p.speed_max)) or p.speed_min <= 0:
        out.append(Finding("ERROR", f"speed: range must be finite and positive, got {p.speed_min} .. {p.speed_max}"))
    elif p.speed_min > p.speed_max:
        out.append(Finding("ERROR", f"speed: min {p.speed_min} is greater than max {p.speed_max}"))
    elif p.speed_min < MIN_SPEED or p.speed_max > MAX_SPEED:
        out.append(Finding("ERROR", f"speed: range must lie within {MIN_SPEED:g} .. {MAX_SPEED:g}, got "
                                    f"{p.speed_min:g} .. {p.speed_max:g}"))
    if not 0.0 <= p.joint_noise_deg <= MAX_JOINT_NOISE_DEG:
        out.append(Finding("ERROR", f"joint noise: {p.joint_noise_deg} degrees is outside "
                                    f"0 .. {MAX_JOINT_NOISE_DEG:g}"))
    return out


def check_motion(m: Motion) -> list[Finding]:
    out: list[Finding] = []
    if not m.fps > 0 or not math.isfinite(m.fps):
        out.append(Finding("ERROR", f"fps: {m.fps} is not a positive frame rate"))
    elif not MIN_FPS <= m.fps <= MAX_FPS:
        out.append(Finding("ERROR", f"fps: {m.fps:g} is outside {MIN_FPS:g} .. {MAX_FPS:g} (a BVH with a zero or "
                                    "negative frame time gives such rates)"))
    if m.frame_count < 2:
        out.append(Finding("ERROR", f"frame range: {m.frame_count} frame(s); a template needs at least 2"))
    elif m.frame_count > MAX_TEMPLATE_FRAMES:
        out.append(Finding("ERROR", f"frame range: {m.frame_count} frames, over the limit of {MAX_TEMPLATE_FRAMES}"))
    for name, frames in m.rotations.items():
        if name not in JOINT_INDEX:
            out.append(Finding("ERROR", f"rotations: unknown joint {name!r}"))
            continue
        for i, q in enumerate(frames):
            if not all(math.isfinite(c) for c in q):
                out.append(Finding("ERROR", f"{name}: frame {i} has NaN or infinite rotation values"))
                break
            norm = math.sqrt(sum(c * c for c in q))
            if abs(norm - 1.0) > UNIT_TOLERANCE:
                out.append(Finding("ERROR", f"{name}: frame {i} rotation is not a unit quaternion (norm {norm:.4f})"))
                break
    for i, t in enumerate(m.root_translation):
        if not all(math.isfinite(c) for c in t):
            out.append(Finding("ERROR", f"pelvis location: frame {i} has NaN or infinite values"))
            break
        if m.root_translation and math.dist(t, m.root_translation[0]) > MAX_ROOT_OFFSET_M:
            out.append(Finding("ERROR", f"pelvis location: frame {i} is {math.dist(t, m.root_translation[0]):.3g} m "
                                        f"from where it starts, over the limit of {MAX_ROOT_OFFSET_M:g} m"))
            break
    out.extend(foot_skating(m))
    return out


def foot_skating(m: Motion) -> list[Finding]:
    """Warn where a foot slides while it is on the ground."""
    if not m.joint_positions:
        return []
    out = []
    for name in FOOT_JOINTS:
        j = JOINT_INDEX[name]
        track = [frame[j] for frame in m.joint_positions]
        ground = min(p[2] for p in track)
        slide, start, worst = 0.0, None, (0.0, 0, 0)
        for i in range(1, len(track) + 1):
            in_contact = i < len(track) and track[i][2] <= ground + CONTACT_HEIGHT and \
                track[i - 1][2] <= ground + CONTACT_HEIGHT
            if in_contact:
                start = i - 1 if start is None else start
                slide += math.hypot(track[i][0] - track[i - 1][0], track[i][1] - track[i - 1][1])
            else:
                if start is not None and slide > worst[0]:
                    worst = (slide, start, i - 1)
                slide, start = 0.0, None
        if worst[0] > SKATE_DISTANCE:
            out.append(Finding("WARNING", f"foot skating: {name} slides {worst[0]:.2f} m while on the ground "
                                          f"(frames {worst[1]}-{worst[2]} of the template)"))
    return out


def template_data(p: Properties, m: Motion) -> dict:
    """The template document the render farm reads (schema version 1)."""
    rotations = {}
    for name in sorted(JOINT_NAMES):  # the farm writes joints in name order too
        frames = [[round(float(c), DECIMALS) + 0.0 for c in q] for q in m.rotations.get(name, [])]
        # Joints that stay at rest are left out: smaller files, same motion.
        if any(abs(abs(q[0]) - 1.0) > 0 or any(q[1:]) for q in frames):
            rotations[name] = frames
    return {
        "schema_version": SCHEMA_VERSION,
        "id": p.id,
        "label": p.label,
        "description": p.description,
        # Mocap frame times are written with few digits (0.0333333 s): 30.00003 fps means 30.
        "fps": round(float(m.fps), 3) + 0.0,
        "frame_count": m.frame_count,
        "loops": bool(p.loops),
        "rotations": rotations,
        "root_translation": [[round(float(c), DECIMALS) + 0.0 for c in t] for t in m.root_translation],
        # Blender keeps float properties in single precision: 0.85 reads back as 0.8500000238.
        "randomization": {"speed": [_short(p.speed_min), _short(p.speed_max)], "mirror": bool(p.mirror),
                          "joint_noise_deg": _short(p.joint_noise_deg)},
    }


def _short(x: float) -> float:
    return round(float(x), DECIMALS) + 0.0


def template_text(data: dict) -> str:
    """One line per field and per joint: readable diffs, same layout as the farm writes."""
    lines = []
    for key, value in data.items():
        if key == "rotations":
            inner = ",\n".join(f"  {json.dumps(j)}: {json.dumps(f, separators=(',', ':'))}" for j, f in value.items())
            lines.append(f' "rotations": {{\n{inner}\n }}')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_atomic(path: Path, text: str) -> None:
    """Readers (a running farm) never see half a template: temporary file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TemplateFileError(ValueError):
    pass


def read_template(path: Path) -> tuple[Properties, Motion]:
    """Read a template file back for editing; one-line errors name the file and field. The size and
    frame limits are checked before the heavy work (an 18 MB file once took 102 s and 15 GB)."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateFileError(f"{path}: the template file is {size / 1e6:.1f} MB, over the limit of "
                                    f"{MAX_TEMPLATE_BYTES / 1e6:.0f} MB")
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateFileError(f"{path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TemplateFileError(f"{path}: not a template JSON file ({exc})") from None
    except RecursionError:
        raise TemplateFileError(f"{path}: not a template JSON file (nested too deeply to parse)") from None
    if not isinstance(data, dict):
        raise TemplateFileError(f"{path}: not a template (expected a JSON object)")
    for key in ("id", "label", "fps", "frame_count", "rotations", "root_translation"):
        if key not in data:
            raise TemplateFileError(f"{path}: {key}: missing")
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise TemplateFileError(f"{path}: schema_version: {data['schema_version']} is not supported "
                                f"(this add-on reads {SCHEMA_VERSION})")
    n = data["frame_count"]
    if not isinstance(n, int) or not 1 <= n <= MAX_TEMPLATE_FRAMES:
        raise TemplateFileError(f"{path}: frame_count: {n!r} is not a number of frames in 1 .. {MAX_TEMPLATE_FRAMES}")
    rand = data.get("randomization", {})
    speed = rand.get("speed", [0.9, 1.1])
    props = Properties(id=data["id"], label=data["label"], description=data.get("description", ""),
                       loops=bool(data.get("loops", False)), speed_min=float(speed[0]), speed_max=float(speed[1]),
                       mirror=bool(rand.get("mirror", True)), joint_noise_deg=float(rand.get("joint_noise_deg", 3.0)))
    rotations = {}
    for name, frames in data["rotations"].items():
        if name not in JOINT_INDEX:
            raise TemplateFileError(f"{path}: rotations: unknown joint {name!r}")
        if len(frames) != n:
            raise TemplateFileError(f"{path}: rotations.{name}: {len(frames)} frames, frame_count is {n}")
        rotations[name] = [tuple(float(c) for c in q) for q in frames]
    if len(data["root_translation"]) != n:
        raise TemplateFileError(f"{path}: root_translation: {len(data['root_translation'])} frames, "
                                f"frame_count is {n}")
    motion = Motion(fps=float(data["fps"]), rotations=rotations,
                    root_translation=[tuple(float(c) for c in t) for t in data["root_translation"]])
    return props, motion


def list_templates(folder: Path) -> list[tuple[str, str, int, Path]]:
    """(id, label, frames, path) of each readable template in a library folder; broken files are listed
    with their error as the label so the browser can show them."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            props, motion = read_template(path)
            rows.append((props.id, props.label, motion.frame_count, path))
        except (TemplateFileError, TypeError, ValueError, KeyError, AttributeError) as exc:
            # One broken file is one unreadable row; it never empties the whole list.
            rows.append((path.stem, f"unreadable: {exc}", 0, path))
    return rows
