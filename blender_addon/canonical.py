"""The canonical skeleton as the add-on sees it: read from skeleton.json, which
`synthact addon build` writes from render_farm.core.geometry.skeleton (a test keeps them equal).

Plain Python: the add-on needs nothing beyond what Blender ships.
"""

from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads((Path(__file__).parent / "skeleton.json").read_text(encoding="utf-8"))

JOINT_NAMES: tuple[str, ...] = tuple(_DATA["joint_names"])
PARENTS: tuple[int, ...] = tuple(_DATA["parents"])
JOINT_INDEX: dict[str, int] = {n: i for i, n in enumerate(JOINT_NAMES)}
PRIMARY_CHILD: dict[str, str | None] = dict(_DATA["primary_child"])
END_BONES: dict[str, tuple[tuple[float, float, float], float]] = {
    k: (tuple(v[0]), float(v[1])) for k, v in _DATA["end_bones"].items()
}
REFERENCE_REST_JOINTS: tuple[tuple[float, float, float], ...] = tuple(tuple(p) for p in _DATA["reference_rest_joints"])
FOOT_JOINTS: tuple[str, ...] = ("left_ankle", "left_foot", "right_ankle", "right_foot")


def bone_tail(rest_joints, index: int) -> tuple[float, float, float]:
    """Where the Blender bone of a joint ends in the rest pose (same rule as the farm's rig)."""
    name = JOINT_NAMES[index]
    child = PRIMARY_CHILD[name]
    if child is not None:
        return tuple(rest_joints[JOINT_INDEX[child]])
    (dx, dy, dz), length = END_BONES[name]
    x, y, z = rest_joints[index]
    return (x + dx * length, y + dy * length, z + dz * length)
