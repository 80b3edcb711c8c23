"""Forward kinematics and linear blend skinning on the canonical skeleton (numpy only)."""

from __future__ import annotations

import numpy as np

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import NUM_JOINTS, PARENTS


def rest_offsets(rest_joints: np.ndarray) -> np.ndarray:
    """Offset of each joint from its parent in the rest pose; the root keeps its position."""
    rest_joints = np.asarray(rest_joints, dtype=np.float64)
    offsets = rest_joints.copy()
    for j in range(1, NUM_JOINTS):
        offsets[j] = rest_joints[j] - rest_joints[PARENTS[j]]
    return offsets


def forward_kinematics(
    rest_joints: np.ndarray, local_rotations: np.ndarray, root_translation: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posed joints.

    rest_joints: (24, 3); local_rotations: (T, 24, 4); root_translation: (T, 3), the
    pelvis displacement from its rest position. Returns global positions (T, 24, 3)
    and global rotations (T, 24, 4).
    """
    local_rotations = np.asarray(local_rotations, dtype=np.float64)
    frames = local_rotations.shape[0]
    offsets = rest_offsets(rest_joints)
    positions = np.zeros((frames, NUM_JOINTS, 3))
    rotations = np.zeros((frames, NUM_JOINTS, 4))
    positions[:, 0] = offsets[0] + np.asarray(root_translation, dtype=np.float64)
    rotations[:, 0] = quat.normalize(local_rotations[:, 0])
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        positions[:, j] = positions[:, p] + quat.rotate(rotations[:, p], offsets[j])
        rotations[:, j] = quat.normalize(quat.multiply(rotations[:, p], local_rotations[:, j]))
    return positions, rotations


def skin(
    vertices: np.ndarray,
    weights: np.ndarray,
    rest_joints: np.ndarray,
    posed_joints: np.ndarray,
    global_rotations: np.ndarray,
) -> np.ndarray:
    """Linear blend skinning of one pose.

    vertices: (V, 3) rest positions; weights: (V, 24), rows summing to 1;
    posed_joints (24, 3) and global_rotations (24, 4) from forward_kinematics.
    """
    mats = quat.to_matrix(global_rotations)  # (24, 3, 3)
    # Each joint moves a vertex rigidly: x -> R_j (x - rest_j) + posed_j.
    local = vertices[:, None, :] - rest_joints[None, :, :]  # (V, 24, 3)
    moved = np.einsum("jab,vjb->vja", mats, local) + posed_joints[None]
    return np.einsum("vj,vja->va", weights, moved)


def skin_dual_quaternion(
    vertices: np.ndarray,
    weights: np.ndarray,
    rest_joints: np.ndarray,
    posed_joints: np.ndarray,
    global_rotations: np.ndarray,
) -> np.ndarray:
    """Dual quaternion skinning of one pose: what Blender's Armature modifier computes with Preserve Volume.

    Blending the joints' rigid motions as dual quaternions keeps a vertex's distance to the joints where
    linear blending pulls it in (a point far out over a bent hip collapses towards the bone). As in
    Blender, each vertex sums its joints in index order, flipping a joint's rotation to the side of the
    running sum. Arguments as for `skin`.
    """
    rotations = quat.normalize(np.asarray(global_rotations, dtype=np.float64))  # (24, 4) w, x, y, z
    mats = quat.to_matrix(rotations)
    translation = posed_joints - np.einsum("jab,jb->ja", mats, rest_joints)  # x -> R_j x + t_j
    dual = 0.5 * quat.multiply(np.concatenate([np.zeros((len(translation), 1)), translation], axis=1), rotations)
    weights = np.asarray(weights, dtype=np.float64)
    real = np.zeros((len(vertices), 4))
    pure = np.zeros((len(vertices), 4))
    for j in range(weights.shape[1]):
        w = weights[:, j]
        if not w.any():
            continue
        w = np.where(real @ rotations[j] < 0.0, -w, w)
        real += w[:, None] * rotations[j]
        pure += w[:, None] * dual[j]
    norm = np.linalg.norm(real, axis=1, keepdims=True)
    real, pure = real / norm, pure / norm
    moved = np.einsum("vab,vb->va", quat.to_matrix(real), vertices)
    return moved + 2.0 * quat.multiply(pure, quat.conjugate(real))[:, 1:]
