"""Baked bodies: the file the Blender side loads with numpy alone.

A baked body is a skinned human mesh in the canonical T-pose, feet on the ground,
pelvis above the origin, facing -Y. Its skin weights are per canonical joint.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render_farm.core.geometry.skeleton import NUM_JOINTS
from synthact.atomic import replaced_on_success

BAKE_FORMAT = 2  # 2: COCO keypoint regressors

# Coarse body regions, used to paint clothing without a texture.
REGIONS: tuple[str, ...] = ("skin", "shirt", "trousers", "shoes", "hair")


class BodyFileError(ValueError):
    pass


@dataclass(frozen=True)
class BakedBody:
    vertices: np.ndarray  # (V, 3) float32, rest pose
    faces: np.ndarray  # (F, 3) int32
    corner_uvs: np.ndarray  # (F * 3, 2) float32, one UV per face corner
    joint_weights: np.ndarray  # (V, 24) float32, rows sum to 1
    rest_joints: np.ndarray  # (24, 3) float64
    regions: np.ndarray  # (V,) uint8 index into REGIONS
    phenotype: dict[str, float]
    source: str
    keypoint_names: tuple[str, ...] = ()  # COCO-17 first, then the feet keypoints anny provides
    keypoint_weights: np.ndarray | None = None  # (K, V) float32: keypoint = weights @ vertices

    @property
    def height(self) -> float:
        return float(self.vertices[:, 2].max() - self.vertices[:, 2].min())

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees a half-written body."""
        with replaced_on_success(path, binary=True) as f:
            np.savez_compressed(
                f,
                format=np.int64(BAKE_FORMAT),
                vertices=self.vertices.astype(np.float32),
                faces=self.faces.astype(np.int32),
                corner_uvs=self.corner_uvs.astype(np.float32),
                joint_weights=self.joint_weights.astype(np.float32),
                rest_joints=self.rest_joints.astype(np.float64),
                regions=self.regions.astype(np.uint8),
                keypoint_weights=(self.keypoint_weights if self.keypoint_weights is not None
                                  else np.zeros((0, len(self.vertices)))).astype(np.float32),
                meta=np.frombuffer(
                    json.dumps({"phenotype": self.phenotype, "source": self.source,
                                "keypoint_names": list(self.keypoint_names)}).encode(), dtype=np.uint8
                ),
            )


def load_body(path: Path) -> BakedBody:
    """Load and check a baked body; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise BodyFileError(f"{path}: baked body file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != BAKE_FORMAT:
                raise BodyFileError(f"{path}: baked body format {int(data['format'])}, expected {BAKE_FORMAT}")
            meta = json.loads(bytes(data["meta"]).decode())
            body = BakedBody(
                vertices=data["vertices"],
                faces=data["faces"],
                corner_uvs=data["corner_uvs"],
                joint_weights=data["joint_weights"],
                rest_joints=data["rest_joints"],
                regions=data["regions"],
                phenotype=meta["phenotype"],
                source=meta["source"],
                keypoint_names=tuple(meta["keypoint_names"]),
                keypoint_weights=data["keypoint_weights"],
            )
    except BodyFileError:
        raise
    except Exception as exc:  # zip, key or JSON errors: the file is not a baked body
        raise BodyFileError(f"{path}: not a readable baked body ({type(exc).__name__}: {exc})") from exc
    v = body.vertices.shape[0]
    if body.joint_weights.shape != (v, NUM_JOINTS) or body.rest_joints.shape != (NUM_JOINTS, 3):
        raise BodyFileError(f"{path}: inconsistent array shapes")
    if body.faces.max(initial=0) >= v or body.corner_uvs.shape != (body.faces.shape[0] * 3, 2):
        raise BodyFileError(f"{path}: faces or UVs do not match the vertices")
    if body.keypoint_weights.shape != (len(body.keypoint_names), v):
        raise BodyFileError(f"{path}: keypoint weights do not match the vertices")
    if not np.all(np.isfinite(body.vertices)):
        raise BodyFileError(f"{path}: non-finite vertex positions")
    return body


@functools.lru_cache(maxsize=4)
def cached_body(path: Path) -> BakedBody:
    """`load_body`, keeping the last few: baked bodies are named by their content key, so a worker process
    (and the host process that prepares its jobs) reads each body it keeps using once."""
    return load_body(path)


def body_key(provider: str, phenotype: dict[str, float]) -> str:
    """Stable cache key of a body: its provider, phenotype and the bake format."""
    blob = json.dumps({"provider": provider, "phenotype": phenotype, "format": BAKE_FORMAT}, sort_keys=True)
    return f"{provider}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"
