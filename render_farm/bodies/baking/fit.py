"""Fit a body model's rig to the canonical skeleton (numpy only).

A body model brings its own bones (anny: 104). Each canonical joint is placed at one
of them, every other bone's skin weight goes to the canonical joint that moves it,
and the mesh is posed into the canonical T-pose with the merged weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PRIMARY_CHILD, REST_DIRECTIONS


class FitError(ValueError):
    pass


def bone_to_joint(
    bone_names: Sequence[str],
    bone_parents: Sequence[int],
    joint_bones: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
) -> np.ndarray:
    """For each source bone, the canonical joint index that drives it.

    joint_bones maps canonical joint -> source bone placed at it. A bone that is not
    placed inherits the joint of its nearest placed ancestor; overrides map a
    source bone to a joint (for bones that should follow another joint, e.g. fingers
    follow the hand joint although they hang off the wrist bone).
    """
    index = {name: i for i, name in enumerate(bone_names)}
    missing = sorted(set(joint_bones.values()) - set(index))
    if missing:
        raise FitError(f"body rig has no bone named {missing[0]!r}")
    placed = {index[bone]: JOINT_INDEX[joint] for joint, bone in joint_bones.items()}
    result = np.full(len(bone_names), -1, dtype=np.int64)
    for b, name in enumerate(bone_names):
        if overrides and name in overrides:
            result[b] = JOINT_INDEX[overrides[name]]
            continue
        a = b
        while a >= 0 and a not in placed:
            a = bone_parents[a]
        if a < 0:
            raise FitError(f"bone {name!r} has no ancestor placed on the canonical skeleton")
        result[b] = placed[a]
    return result


def merge_weights(
    bone_weights: np.ndarray, bone_indices: np.ndarray, bone_joint: np.ndarray
) -> np.ndarray:
    """Sparse per-vertex bone weights (V, K) -> dense canonical joint weights (V, 24)."""
    vertices = bone_weights.shape[0]
    merged = np.zeros((vertices, NUM_JOINTS))
    joints = bone_joint[bone_indices]
    for k in range(bone_weights.shape[1]):
        np.add.at(merged, (np.arange(vertices), joints[:, k]), bone_weights[:, k])
    totals = merged.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise FitError("some vertices have no skin weight")
    return merged / totals


def t_pose_rotations(rest_joints: np.ndarray) -> np.ndarray:
    """Local rotations (24, 4) that straighten the limbs along REST_DIRECTIONS."""
    local = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    offsets = kinematics.rest_offsets(rest_joints)
    glob = np.tile(quat.IDENTITY, (NUM_JOINTS, 1))
    for j, name in enumerate(JOINT_NAMES):
        parent = kinematics.PARENTS[j]
        parent_rot = glob[parent] if parent >= 0 else quat.IDENTITY
        if name in REST_DIRECTIONS:
            child = JOINT_INDEX[PRIMARY_CHILD[name]]
            current = quat.rotate(parent_rot, offsets[child])
            swing = quat.between(current, np.asarray(REST_DIRECTIONS[name]))
            local[j] = quat.multiply(quat.conjugate(parent_rot), quat.multiply(swing, parent_rot))
        glob[j] = quat.multiply(parent_rot, local[j])
    return local


def pose_to_t_pose(
    vertices: np.ndarray, weights: np.ndarray, rest_joints: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repose a mesh and its joints into the canonical T-pose."""
    local = t_pose_rotations(rest_joints)
    posed, glob = kinematics.forward_kinematics(rest_joints, local[None], np.zeros((1, 3)))
    new_vertices = kinematics.skin(vertices, weights, rest_joints, posed[0], glob[0])
    return new_vertices, posed[0]
