"""Bodies from the `anny` package (Apache-2.0 code, CC0 MakeHuman assets).

The only render-side module that imports torch; it runs in the planning process,
never in a Blender worker, which loads the baked result with numpy.
"""

from __future__ import annotations

import functools
from importlib import metadata

import numpy as np

from render_farm.bodies.baked.body import BakedBody
from render_farm.bodies.baking.fit import bone_to_joint, merge_weights, pose_to_t_pose
from render_farm.core.geometry.skeleton import JOINT_INDEX, JOINT_NAMES

PROVIDER = "anny"
PHENOTYPE_KEYS: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")

# Canonical joint -> the anny bone whose head is placed at it.
JOINT_BONES: dict[str, str] = {
    "pelvis": "root",
    "left_hip": "upperleg01.L",
    "right_hip": "upperleg01.R",
    "spine1": "spine04",
    "left_knee": "lowerleg01.L",
    "right_knee": "lowerleg01.R",
    "spine2": "spine02",
    "left_ankle": "foot.L",
    "right_ankle": "foot.R",
    "spine3": "spine01",
    "left_foot": "toe3-1.L",
    "right_foot": "toe3-1.R",
    "neck": "neck01",
    "left_collar": "clavicle.L",
    "right_collar": "clavicle.R",
    "head": "head",
    "left_shoulder": "upperarm01.L",
    "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L",
    "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L",
    "right_wrist": "wrist.R",
    "left_hand": "finger3-1.L",
    "right_hand": "finger3-1.R",
}

# Fingers hang off the wrist in anny's rig but are moved by the canonical hand joint.
FINGER_OVERRIDES: dict[str, str] = {
    f"finger{f}-{k}.{side}": f"{name}_hand"
    for side, name in (("L", "left"), ("R", "right"))
    for f in range(1, 6)
    for k in range(1, 4)
}

_REGION_OF_JOINT = {
    "pelvis": "trousers", "left_hip": "trousers", "right_hip": "trousers",
    "left_knee": "trousers", "right_knee": "trousers",
    "left_ankle": "shoes", "right_ankle": "shoes", "left_foot": "shoes", "right_foot": "shoes",
    "spine1": "shirt", "spine2": "shirt", "spine3": "shirt",
    "left_collar": "shirt", "right_collar": "shirt", "left_shoulder": "shirt", "right_shoulder": "shirt",
}


def anny_version() -> str:
    return metadata.version("anny")


@functools.lru_cache(maxsize=1)
def _model():
    import torch
    import warp

    warp.config.quiet = True  # anny's kernels use warp; its banner would land on our stdout
    import anny

    torch.set_num_threads(1)
    return anny.Anny()


def regions_for(vertices: np.ndarray, weights: np.ndarray, rest_joints: np.ndarray) -> np.ndarray:
    """Region index per vertex (see baked.REGIONS) from its dominant joint."""
    from render_farm.bodies.baked.body import REGIONS

    dominant = weights.argmax(axis=1)
    names = np.array([_REGION_OF_JOINT.get(n, "skin") for n in JOINT_NAMES])
    region = np.array([REGIONS.index(r) for r in names[dominant]], dtype=np.uint8)
    # Hair: the top and back of the skull.
    head = rest_joints[JOINT_INDEX["head"]]
    on_head = dominant == JOINT_INDEX["head"]
    scalp = on_head & (vertices[:, 2] > head[2] + 0.07) & (vertices[:, 1] > head[1] - 0.06)
    region[scalp] = REGIONS.index("hair")
    return region


def bake(phenotype: dict[str, float]) -> BakedBody:
    """Build one anny body with the given phenotype values (each in [0, 1])."""
    import anny
    import torch

    unknown = sorted(set(phenotype) - set(PHENOTYPE_KEYS))
    if unknown:
        raise ValueError(f"unknown anny phenotype parameter {unknown[0]!r}")
    model = _model()
    kwargs = {k: torch.tensor([float(v)], dtype=torch.float32) for k, v in phenotype.items()}
    with torch.no_grad():
        out = model(phenotype_kwargs=kwargs)
    vertices = out["rest_vertices"][0].double().cpu().numpy()
    heads = out["rest_bone_heads"][0].double().cpu().numpy()
    bone_names = list(model.bone_labels)
    bone_joint = bone_to_joint(bone_names, list(model.bone_parents), JOINT_BONES, FINGER_OVERRIDES)
    weights = merge_weights(
        model.vertex_bone_weights.double().cpu().numpy(),
        model.vertex_bone_indices.long().cpu().numpy(),
        bone_joint,
    )
    rest_joints = heads[[bone_names.index(JOINT_BONES[name]) for name in JOINT_NAMES]]
    vertices, rest_joints = pose_to_t_pose(vertices, weights, rest_joints)
    # Feet on the ground, pelvis above the origin.
    shift = np.array([-rest_joints[0, 0], -rest_joints[0, 1], -vertices[:, 2].min()])
    vertices = vertices + shift
    rest_joints = rest_joints + shift
    regressor = anny.KeypointsRegressor.coco(model)
    keypoint_weights = regressor.regression_weights.double().cpu().numpy()
    faces = model.faces.cpu().numpy()
    uv = model.texture_coordinates.cpu().numpy()
    face_uv = model.face_texture_coordinate_indices.cpu().numpy()
    return BakedBody(
        vertices=vertices.astype(np.float32),
        faces=faces.astype(np.int32),
        corner_uvs=uv[face_uv].reshape(-1, 2).astype(np.float32),
        joint_weights=weights.astype(np.float32),
        rest_joints=rest_joints,
        regions=regions_for(vertices, weights, rest_joints),
        phenotype={k: float(v) for k, v in phenotype.items()},
        source=f"anny {anny_version()}",
        keypoint_names=tuple(regressor.labels),
        keypoint_weights=keypoint_weights.astype(np.float32),
    )
