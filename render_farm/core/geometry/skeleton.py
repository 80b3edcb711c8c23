"""The canonical skeleton: one 24-joint kinematic tree shared by templates, bodies and the add-on.

The joint set and order are the widely used SMPL-style human tree, so motion from
mocap and other body models maps onto it by name.

World frame (Blender's): Z up, metres, the actor faces -Y, the actor's left is +X.

Rest pose ("canonical T-pose"): legs straight down, arms straight out along +-X
with the palms down; torso, neck, head and feet keep the body's natural shape.
A template's joint rotations are local rotations relative to this rest pose,
expressed in world-aligned frames (SMPL convention): the global rotation of a
joint is its parent's global rotation times its local rotation, and a joint's
rotation moves every joint below it.
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)

PARENTS: tuple[int, ...] = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21,
)

JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}
NUM_JOINTS = len(JOINT_NAMES)
ROOT = "pelvis"

# The child a joint's bone points at (Blender bone tail); None for end joints.
PRIMARY_CHILD: dict[str, str | None] = {
    "pelvis": "spine1",
    "left_hip": "left_knee",
    "right_hip": "right_knee",
    "spine1": "spine2",
    "left_knee": "left_ankle",
    "right_knee": "right_ankle",
    "spine2": "spine3",
    "left_ankle": "left_foot",
    "right_ankle": "right_foot",
    "spine3": "neck",
    "left_foot": None,
    "right_foot": None,
    "neck": "head",
    "left_collar": "left_shoulder",
    "right_collar": "right_shoulder",
    "head": None,
    "left_shoulder": "left_elbow",
    "right_shoulder": "right_elbow",
    "left_elbow": "left_wrist",
    "right_elbow": "right_wrist",
    "left_wrist": "left_hand",
    "right_wrist": "right_hand",
    "left_hand": None,
    "right_hand": None,
}

# Direction and length (metres, reference body) of the bone of each end joint.
END_BONES: dict[str, tuple[tuple[float, float, float], float]] = {
    "left_foot": ((0.0, -1.0, 0.0), 0.06),
    "right_foot": ((0.0, -1.0, 0.0), 0.06),
    "head": ((0.0, 0.0, 1.0), 0.2),
    "left_hand": ((1.0, 0.0, 0.0), 0.08),
    "right_hand": ((-1.0, 0.0, 0.0), 0.08),
}

# Chains straightened into the rest pose when a body is fitted: each joint's bone is
# turned to point along the given direction.
REST_DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "left_hip": (0.0, 0.0, -1.0),
    "right_hip": (0.0, 0.0, -1.0),
    "left_knee": (0.0, 0.0, -1.0),
    "right_knee": (0.0, 0.0, -1.0),
    "left_shoulder": (1.0, 0.0, 0.0),
    "right_shoulder": (-1.0, 0.0, 0.0),
    "left_elbow": (1.0, 0.0, 0.0),
    "right_elbow": (-1.0, 0.0, 0.0),
    "left_wrist": (1.0, 0.0, 0.0),
    "right_wrist": (-1.0, 0.0, 0.0),
}


def mirror_name(name: str) -> str:
    """The joint on the other side of the body (itself for centre joints)."""
    if name.startswith("left_"):
        return "right_" + name[len("left_"):]
    if name.startswith("right_"):
        return "left_" + name[len("right_"):]
    return name


MIRROR_INDEX: tuple[int, ...] = tuple(JOINT_INDEX[mirror_name(n)] for n in JOINT_NAMES)


def bone_tail(rest_joints: np.ndarray, index: int) -> np.ndarray:
    """Where the Blender bone of a joint ends in the rest pose."""
    name = JOINT_NAMES[index]
    child = PRIMARY_CHILD[name]
    if child is not None:
        return rest_joints[JOINT_INDEX[child]]
    direction, length = END_BONES[name]
    return rest_joints[index] + np.asarray(direction) * length


# Rest joint positions of the reference body (anny's default phenotype fitted to the
# canonical T-pose, feet on the ground at z = 0, pelvis above the origin). Templates
# are authored on it; root translations are scaled from it to each body's size.
REFERENCE_REST_JOINTS = np.array(
    [
        [0.0, 0.0, 0.877],  # pelvis
        [0.102, 0.003, 0.866],  # left_hip
        [-0.102, 0.003, 0.866],  # right_hip
        [0.0, 0.033, 0.945],  # spine1
        [0.102, 0.003, 0.474],  # left_knee
        [-0.102, 0.003, 0.474],  # right_knee
        [0.0, 0.018, 1.088],  # spine2
        [0.102, 0.003, 0.072],  # left_ankle
        [-0.102, 0.003, 0.072],  # right_ankle
        [0.0, 0.043, 1.221],  # spine3
        [0.11, -0.137, 0.036],  # left_foot
        [-0.11, -0.137, 0.036],  # right_foot
        [0.0, 0.003, 1.387],  # neck
        [0.022, -0.015, 1.32],  # left_collar
        [-0.022, -0.015, 1.32],  # right_collar
        [0.0, -0.031, 1.484],  # head
        [0.162, -0.006, 1.295],  # left_shoulder
        [-0.162, -0.006, 1.295],  # right_shoulder
        [0.414, -0.006, 1.295],  # left_elbow
        [-0.414, -0.006, 1.295],  # right_elbow
        [0.641, -0.006, 1.295],  # left_wrist
        [-0.641, -0.006, 1.295],  # right_wrist
        [0.742, -0.006, 1.295],  # left_hand
        [-0.742, -0.006, 1.295],  # right_hand
    ]
)
REFERENCE_PELVIS_HEIGHT = float(REFERENCE_REST_JOINTS[0, 2])
