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

SCHEMA_VERSION = 3  # 2 added family, props and partner; 3 performances
READABLE_VERSIONS = (1, 2, 3)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FAMILY_PATTERN = re.compile(r"^[a-z_]{0,32}$")
PROP_SHAPES = ("box", "cylinder", "sphere")
HANDS = ("left_hand", "right_hand", "both_hands")
MAX_PROP_SIZE_M = 3.0
MAX_JOINT_NOISE_DEG = 45.0
UNIT_TOLERANCE = 1e-3
DECIMALS = 6  # numbers are written rounded: far below what a render can show
# Foot skating: a foot within CONTACT_HEIGHT of its lowest height is taken to be on
# the ground; sliding further than SKATE_DISTANCE while in contact is reported.
CONTACT_HEIGHT = 0.02
SKATE_DISTANCE = 0.05
# The farm's limits (render_farm/core/template/model.py; tests/addon/test_addon.py checks they are the same).
MAX_TEMPLATE_FRAMES = 10_000
MAX_TEMPLATE_BYTES = 32 * 1024 * 1024
MIN_FPS, MAX_FPS = 1.0, 240.0
MIN_SPEED, MAX_SPEED = 0.05, 20.0
MAX_ROOT_OFFSET_M = 100.0
MAX_PERFORMANCES = 64


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
    family: str = ""
    # Hand-held props, as the template file writes them: {"name", "shape", "size_m", "holds": [{"actor", "hand",
    # "from_frame", "to_frame", "offset_m", "rotation_deg"}]}.
    props: list[dict] = field(default_factory=list)


@dataclass
class Motion:
    """A sampled action: per frame, local rotations (w, x, y, z) per joint and the root offset."""

    fps: float
    rotations: dict[str, list[tuple[float, float, float, float]]]
    root_translation: list[tuple[float, float, float]]
    # World joint positions per frame, for the foot-skating check (optional).
    joint_positions: list[list[tuple[float, float, float]]] = field(default_factory=list)
    # The second actor of a two-person action (same frames), or None.
    partner: Motion | None = None

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
    if not FAMILY_PATTERN.match(p.family):
        out.append(Finding("ERROR", f"family: {p.family!r} must use only a-z and _ (at most 32 characters)"))
    return out


def check_props(props: list[dict], frame_count: int | None = None, actors: int = 2) -> list[Finding]:
    """Prop names, shapes, sizes and holds (frames in order, within the action, by an actor that exists)."""
    out: list[Finding] = []
    names = [str(p.get("name", "")) for p in props]
    for i, prop in enumerate(props):
        name = names[i]
        where = f"prop {name or i!r}"
        if not ID_PATTERN.match(name):
            out.append(Finding("ERROR", f"{where}: name must start with a lower-case letter and use only a-z, 0-9, _"))
        elif names.count(name) > 1:
            out.append(Finding("ERROR", f"{where}: two props have this name"))
        if prop.get("shape") not in PROP_SHAPES:
            out.append(Finding("ERROR", f"{where}: shape {prop.get('shape')!r} is not one of {', '.join(PROP_SHAPES)}"))
        size = prop.get("size_m", [])
        if len(size) != 3 or not all(isinstance(x, (int, float)) and 0 < x <= MAX_PROP_SIZE_M for x in size):
            out.append(Finding("ERROR", f"{where}: size must be three lengths in (0, {MAX_PROP_SIZE_M:g}] metres"))
        holds = prop.get("holds", [])
        if not holds:
            out.append(Finding("ERROR", f"{where}: no holds (when is it in a hand?)"))
        for k, hold in enumerate(holds):
            a, b = hold.get("from_frame", 0), hold.get("to_frame", 0)
            if hold.get("hand") not in HANDS:
                out.append(Finding("ERROR", f"{where}: hold {k}: hand {hold.get('hand')!r} is not one of "
                                            f"{', '.join(HANDS)}"))
            if not 0 <= a <= b or (frame_count is not None and b >= frame_count):
                out.append(Finding("ERROR", f"{where}: hold {k}: frames {a}-{b} are not in order within the action"))
            if k and a < holds[k - 1].get("to_frame", 0):
                out.append(Finding("ERROR", f"{where}: hold {k} starts before hold {k - 1} ends"))
            if hold.get("actor", 0) not in range(actors):
                out.append(Finding("ERROR", f"{where}: hold {k}: actor {hold.get('actor')} does not exist (0: the "
                                            "actor, 1: the partner rig)"))
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
    if m.partner is not None:
        if m.partner.frame_count != m.frame_count:
            out.append(Finding("ERROR", f"partner: {m.partner.frame_count} frames, the action has {m.frame_count} "
                                        "(give the partner rig's action the same frame range)"))
        out.extend(Finding(f.level, f"partner: {f.message}") for f in check_motion(m.partner))
    return out


def foot_slides(m: Motion) -> dict[str, tuple[float, int, int]]:
    """Per foot joint, its longest slide while on the ground: (metres, first frame, last frame)."""
    if not m.joint_positions:
        return {}
    out = {}
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
        out[name] = worst
    return out


def foot_skating(m: Motion) -> list[Finding]:
    """Warn where a foot slides while it is on the ground."""
    return [Finding("WARNING", f"foot skating: {name} slides {d:.2f} m while on the ground "
                               f"(frames {a}-{b} of the template)")
            for name, (d, a, b) in foot_slides(m).items() if d > SKATE_DISTANCE]


def _rotations_data(m: Motion) -> dict:
    rotations = {}
    for name in sorted(JOINT_NAMES):  # the farm writes joints in name order too
        frames = [[round(float(c), DECIMALS) + 0.0 for c in q] for q in m.rotations.get(name, [])]
        # Joints that stay at rest are left out: smaller files, same motion.
        if any(abs(abs(q[0]) - 1.0) > 0 or any(q[1:]) for q in frames):
            rotations[name] = frames
    return rotations


def _prop_data(prop: dict) -> dict:
    """A prop in the farm's field order, numbers rounded as the farm writes them."""
    return {
        "name": str(prop["name"]), "shape": str(prop["shape"]), "size_m": [_short(x) for x in prop["size_m"]],
        "holds": [{"actor": int(h.get("actor", 0)), "hand": str(h["hand"]), "from_frame": int(h["from_frame"]),
                   "to_frame": int(h["to_frame"]), "offset_m": [_short(x) for x in h.get("offset_m", (0, 0, 0))],
                   "rotation_deg": [_short(x) for x in h.get("rotation_deg", (0, 0, 0))]} for h in prop["holds"]],
    }


def _motion_data(m: Motion) -> dict:
    return {"rotations": _rotations_data(m),
            "root_translation": [[round(float(c), DECIMALS) + 0.0 for c in t] for t in m.root_translation]}


def template_data(p: Properties, m: Motion) -> dict:
    """The template document the render farm reads (schema version 3), with its one performance."""
    motion = _motion_data(m)
    return {
        "schema_version": SCHEMA_VERSION,
        "id": p.id,
        "label": p.label,
        "description": p.description,
        # Mocap frame times are written with few digits (0.0333333 s): 30.00003 fps means 30.
        "fps": round(float(m.fps), 3) + 0.0,
        "frame_count": m.frame_count,
        "loops": bool(p.loops),
        **motion,
        # Blender keeps float properties in single precision: 0.85 reads back as 0.8500000238.
        "randomization": {"speed": [_short(p.speed_min), _short(p.speed_max)], "mirror": bool(p.mirror),
                          "joint_noise_deg": _short(p.joint_noise_deg)},
        "family": p.family,
        "props": [_prop_data(x) for x in p.props],
        "partner": None if m.partner is None else _motion_data(m.partner),
        "performances": [],
    }


def _same_actors(existing: dict, m: Motion) -> None:
    """Every performance of a class has a partner, or none does."""
    if (m.partner is None) != (existing.get("partner") is None):
        solo = existing.get("partner") is None
        raise TemplateFileError(f"{existing.get('id')}: every performance of a "
                                f"{'one-person' if solo else 'two-person'} action has "
                                f"{'no partner' if solo else 'a partner'}")


def with_performance(existing: dict, name: str, p: Properties, m: Motion) -> dict:
    """`existing` (a template document) with the rig's motion added as its next performance. The class's
    settings stay the existing template's; the performance brings its motion, its partner's and its holds."""
    performances = list(existing.get("performances") or [])
    names = ["main"] + [str(x.get("name")) for x in performances]
    if not ID_PATTERN.match(name):
        raise TemplateFileError(f"performance name {name!r} must be lowercase letters, digits and '_', starting "
                                "with a letter")
    if name in names:
        raise TemplateFileError(f"{existing.get('id')}: a performance is already named {name!r}")
    if len(names) >= MAX_PERFORMANCES:
        raise TemplateFileError(f"{existing.get('id')}: already {len(names)} performances, the limit is "
                                f"{MAX_PERFORMANCES}")
    _same_actors(existing, m)
    performances.append({
        "name": name, "fps": round(float(m.fps), 3) + 0.0, "frame_count": m.frame_count, **_motion_data(m),
        "props": [_prop_data(x) for x in p.props],
        "partner": None if m.partner is None else _motion_data(m.partner),
    })
    return {**existing, "schema_version": SCHEMA_VERSION, "performances": performances}


def with_motion_replaced(existing: dict, name: str, p: Properties, m: Motion) -> dict:
    """`existing` with performance `name` ("main": the template's own motion, with the class's settings from
    `p`) replaced by the rig's motion, every other performance kept: exporting an edited performance never
    drops the class's others."""
    others = list(existing.get("performances") or [])
    if others:
        _same_actors(existing, m)
    if name == "main":
        return {**template_data(p, m), "performances": others}
    names = [str(x.get("name")) for x in others]
    if name not in names:
        raise TemplateFileError(f"{existing.get('id')}: no performance named {name!r} to replace (it has "
                                f"{', '.join(['main', *names])})")
    kept = {**existing, "performances": [x for x in others if x.get("name") != name]}
    replaced = with_performance(kept, name, p, m)
    at = names.index(name)
    performances = replaced["performances"]
    performances.insert(at, performances.pop())  # back in its place
    return replaced


def _short(x: float) -> float:
    return round(float(x), DECIMALS) + 0.0


def _rotations_text(rotations: dict, indent: str) -> str:
    inner = ",\n".join(f"{indent} {json.dumps(j)}: {json.dumps(f, separators=(',', ':'))}"
                       for j, f in rotations.items())
    return f"{{\n{inner}\n{indent}}}"


def _fields_text(data: dict, indent: str) -> str:
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


def template_text(data: dict) -> str:
    """One line per field and per joint (a performance's and a partner's indented): readable diffs, same
    layout as the farm writes."""
    return "{\n" + _fields_text(data, " ") + "\n}\n"


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


def read_document(path: Path) -> dict:
    """A template file's JSON object, its size checked before it is parsed (an 18 MB file once took 102 s and
    15 GB) and its schema version one this add-on reads; one-line errors name the file."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateFileError(f"{path}: the template file is {size / 2**20:.1f} MiB, over the limit of "
                                    f"{MAX_TEMPLATE_BYTES // 2**20} MiB")
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
    if data.get("schema_version", SCHEMA_VERSION) not in READABLE_VERSIONS:
        raise TemplateFileError(f"{path}: schema_version: {data['schema_version']} is not supported "
                                f"(this add-on reads {', '.join(map(str, READABLE_VERSIONS))})")
    return data


def read_template(path: Path, performance: int = 0) -> tuple[Properties, Motion]:
    """Read a template file back for editing: the class's settings and one performance's motion (0: the
    template's own); one-line errors name the file and field. The frame limit is checked before the heavy
    work."""
    return template_from(path, read_document(path), performance)


def template_from(path: Path, data: dict, performance: int = 0) -> tuple[Properties, Motion]:
    """read_template of a document already read (`path` names it in errors)."""
    if performance:
        others = data.get("performances") or []
        if not 0 < performance <= len(others):
            raise TemplateFileError(f"{path}: performances: the template has {1 + len(others)} performance(s), "
                                    f"there is no performance {performance}")
        if not isinstance(others[performance - 1], dict):
            raise TemplateFileError(f"{path}: performances[{performance - 1}]: not a JSON object")
        data = {**data, **{k: v for k, v in others[performance - 1].items() if k != "name"}}
    n = data["frame_count"]
    if not isinstance(n, int) or not 1 <= n <= MAX_TEMPLATE_FRAMES:
        raise TemplateFileError(f"{path}: frame_count: {n!r} is not a number of frames in 1 .. {MAX_TEMPLATE_FRAMES}")
    rand = data.get("randomization", {})
    speed = rand.get("speed", [0.9, 1.1])
    props = Properties(id=data["id"], label=data["label"], description=data.get("description", ""),
                       loops=bool(data.get("loops", False)), speed_min=float(speed[0]), speed_max=float(speed[1]),
                       mirror=bool(rand.get("mirror", True)), joint_noise_deg=float(rand.get("joint_noise_deg", 3.0)),
                       family=str(data.get("family", "")), props=list(data.get("props", [])))
    motion = _read_motion(path, data, n, float(data["fps"]), "")
    if data.get("partner") is not None:
        motion.partner = _read_motion(path, data["partner"], n, float(data["fps"]), "partner.")
    return props, motion


def _read_motion(path: Path, data: dict, n: int, fps: float, where: str) -> Motion:
    rotations = {}
    for name, frames in data["rotations"].items():
        if name not in JOINT_INDEX:
            raise TemplateFileError(f"{path}: {where}rotations: unknown joint {name!r}")
        if len(frames) != n:
            raise TemplateFileError(f"{path}: {where}rotations.{name}: {len(frames)} frames, frame_count is {n}")
        rotations[name] = [tuple(float(c) for c in q) for q in frames]
    if len(data["root_translation"]) != n:
        raise TemplateFileError(f"{path}: {where}root_translation: {len(data['root_translation'])} frames, "
                                f"frame_count is {n}")
    return Motion(fps=fps, rotations=rotations,
                  root_translation=[tuple(float(c) for c in t) for t in data["root_translation"]])


def list_templates(folder: Path) -> list[tuple[str, str, int, Path, int]]:
    """(id, label, frames, path, performances) of each readable template in a library folder; broken files
    are listed with their error as the label so the browser can show them."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = read_document(path)
            props, motion = template_from(path, data)
            count = 1 + len(data.get("performances") or [])
            rows.append((props.id, props.label, motion.frame_count, path, count))
        except (TemplateFileError, TypeError, ValueError, KeyError, AttributeError) as exc:
            # One broken file is one unreadable row; it never empties the whole list.
            rows.append((path.stem, f"unreadable: {exc}", 0, path, 0))
    return rows
