"""Joint-name maps from mocap skeletons onto the canonical skeleton (plain Python).

A map is JSON: {"name": "...", "joints": {"<source joint>": "<canonical joint>", ...}}.
Source names match with any namespace prefix removed ("mixamorig:Hips" matches "Hips").
The shipped maps live in maps/; an artist copies one, edits it and points the add-on at it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .canonical import JOINT_INDEX

MAPS_DIR = Path(__file__).parent / "maps"
BUILTIN_MAPS = {"CMU": MAPS_DIR / "cmu.json", "MIXAMO": MAPS_DIR / "mixamo.json"}


class JointMapError(ValueError):
    pass


def strip_namespace(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def load_joint_map(path: Path) -> dict[str, str]:
    """Source joint name -> canonical joint name; a one-line error names the file and the bad entry."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JointMapError(f"{path}: cannot read joint map ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JointMapError(f"{path}: not a JSON joint map ({exc})") from None
    except RecursionError:
        raise JointMapError(f"{path}: the joint map is nested too deeply to be one") from None
    joints = data.get("joints") if isinstance(data, dict) else None
    if not isinstance(joints, dict) or not joints:
        raise JointMapError(f'{path}: joints: missing (expected {{"joints": {{"SourceName": "canonical_name"}}}})')
    seen: dict[str, str] = {}
    for source, target in joints.items():
        if target not in JOINT_INDEX:
            raise JointMapError(f"{path}: joints.{source}: unknown canonical joint {target!r}")
        if target in seen:
            raise JointMapError(f"{path}: joints.{source}: {target!r} is already mapped from {seen[target]!r}")
        seen[target] = source
    if "pelvis" not in seen:
        raise JointMapError(f"{path}: joints: nothing maps to 'pelvis' (the root is needed for the motion)")
    return {strip_namespace(s): t for s, t in joints.items()}
