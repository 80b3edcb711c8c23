"""A preview body on the rig: a baked body (.npz from the farm's body cache) skinned to the canonical bones.

Blender ships numpy, so the baked file is read with numpy alone, as the farm's workers do.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from .canonical import JOINT_NAMES

WEIGHT_STEPS = 512


class BodyFileError(ValueError):
    pass


def read_body(path: Path) -> dict[str, np.ndarray]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in ("vertices", "faces", "joint_weights", "rest_joints")}
    except FileNotFoundError:
        raise BodyFileError(f"{path}: body file not found") from None
    except KeyError as exc:
        raise BodyFileError(f"{path}: not a baked body (no {exc.args[0]!r} array)") from None
    except (OSError, ValueError) as exc:
        raise BodyFileError(f"{path}: not a baked body file ({exc})") from None


def attach_body(context, rig, body: dict[str, np.ndarray]) -> bpy.types.Object:
    verts, faces, weights = body["vertices"], body["faces"], body["joint_weights"]
    if weights.shape != (len(verts), len(JOINT_NAMES)):
        raise BodyFileError(f"joint_weights: shape {weights.shape}, expected ({len(verts)}, {len(JOINT_NAMES)})")
    mesh = bpy.data.meshes.new("SynthAct Body")
    mesh.from_pydata(verts.tolist(), [], faces.tolist())
    mesh.update()
    mesh.polygons.foreach_set("use_smooth", [True] * len(mesh.polygons))
    obj = bpy.data.objects.new("SynthAct Body", mesh)
    context.scene.collection.objects.link(obj)
    for j, name in enumerate(JOINT_NAMES):
        group = obj.vertex_groups.new(name=name)
        # Quantized to 1/512 and added one weight value at a time: few calls for 10k+ vertices.
        steps = np.round(weights[:, j] * WEIGHT_STEPS).astype(np.int64)
        for step in np.unique(steps[steps > 0]):
            group.add(np.nonzero(steps == step)[0].tolist(), float(step) / WEIGHT_STEPS, "REPLACE")
    mod = obj.modifiers.new("Armature", "ARMATURE")
    mod.object = rig
    obj.parent = rig
    return obj
