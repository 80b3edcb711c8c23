"""The skinned skirt against Blender's cloth simulation of the same skirt, side by side in one scene.

    python benchmarks/skirt_vs_cloth.py [--actions walk sit_down jumping_jacks] [--frames 48]

For each action the default body wears a t-shirt and a skirt (render_farm/outfits/). A copy of the
skirt is simulated by Blender's Cloth modifier after the same Armature modifier: its waist ring is pinned to the
rig, the rest falls under gravity and collides with the body. Reports, per action, how far the simulated skirt's
vertices are from the skinned ones (mean and 95th percentile over the frames after a settling second), how many
covered skin points come out through each (the cloth between the point and its bone:
render_farm/outfits/fit.py on Blender's evaluated geometry), and what a frame costs each way
(evaluating the scene at the next frame).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def through(body, armature, skirt: np.ndarray, faces: np.ndarray, skin: np.ndarray, points: np.ndarray,
            rotations: np.ndarray, root: np.ndarray) -> int:
    """Covered skin points with the cloth between them and their bone (outfit_check.through_cloth, on Blender's
    evaluated geometry brought back into the armature's space)."""
    from render_farm.core.geometry import kinematics
    from render_farm.outfits.fit import through_cloth

    inverse = np.linalg.inv(np.array(armature.matrix_world))
    local = [x @ inverse[:3, :3].T + inverse[:3, 3] for x in (skirt, skin[points])]
    joints, glob = kinematics.forward_kinematics(body.rest_joints.astype(np.float64), rotations[None], root[None])
    return int(through_cloth(body, points, local[1], joints[0], glob[0], local[0], faces).sum())


def run(action: str, frames: int, out: Path) -> dict:
    import bpy

    from render_farm import outfits as o
    from render_farm.blender import worker
    from render_farm.blender.annotate import _evaluated
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.geometry.skeleton import JOINT_NAMES
    from render_farm.core.plan.jobs import OutfitParams
    from render_farm.outfits.fit import covered_points
    from tests.blender.test_blender_worker import make_jobs

    job = make_jobs(out, [action], frames=frames, size=(64, 64), samples=1)[0]
    outfit = OutfitParams(top="tshirt", bottom="skirt")
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    scene, cast, spec, body, _ = worker.build_scene(job, out, default_cache_dir(), threads=1)
    pieces = o.outfit_pieces(body, outfit)
    k = next(i for i, p in enumerate(pieces) if p.name == "bottom")
    skinned = cast.actor.pieces[k]
    rendered = ~o.hidden_body_faces(body, pieces)
    covered = covered_points(body, pieces, rendered)[k]

    # The pose of every frame as keys, so the cloth solver sees the motion frame by frame.
    rig = cast.actor.armature
    for f in range(frames):
        cast.actor.set_pose(spec.rotations[f], spec.root_translation[f])
        for name in JOINT_NAMES:
            rig.pose.bones[name].keyframe_insert("rotation_quaternion", frame=f + 1)
        rig.pose.bones[JOINT_NAMES[0]].keyframe_insert("location", frame=f + 1)
    scene.frame_start, scene.frame_end = 1, frames

    sim = skinned.copy()
    sim.data = skinned.data.copy()
    scene.collection.objects.link(sim)
    pin = sim.vertex_groups.new(name="pin")
    top = np.nonzero(pieces[k].vertices[:, 2] > pieces[k].vertices[:, 2].max() - 1e-4)[0]
    pin.add(top.tolist(), 1.0, "REPLACE")
    cloth = sim.modifiers.new("cloth", "CLOTH")
    cloth.settings.vertex_group_mass = "pin"
    cloth.settings.quality = 5
    cloth.collision_settings.use_collision = True
    cloth.collision_settings.distance_min = 0.01
    cloth.point_cache.frame_start, cloth.point_cache.frame_end = 1, frames
    body_collision = cast.actor.mesh.modifiers.new("collision", "COLLISION")
    body_collision.settings.thickness_outer = 0.01
    sim.hide_render = skinned.hide_render = False

    distances, costs = [], {"skinned_s": [], "cloth_s": []}
    pokes = {"skinned": 0, "cloth": 0}
    for f in range(1, frames + 1):
        t = time.perf_counter()
        scene.frame_set(f)
        bpy.context.evaluated_depsgraph_get()
        costs["cloth_s"].append(time.perf_counter() - t)  # both evaluated; the cloth dominates
        a, b = _evaluated(skinned), _evaluated(sim)
        if f > 16:  # after a settling second at 16 fps
            distances.append(np.linalg.norm(a - b, axis=1))
            skin = _evaluated(cast.actor.mesh)
            pose = (spec.rotations[f - 1], spec.root_translation[f - 1])
            pokes["skinned"] += through(body, rig, a, pieces[k].faces, skin, covered, *pose)
            pokes["cloth"] += through(body, rig, b, pieces[k].faces, skin, covered, *pose)
    # The skinned skirt alone: the same frames without the simulated copy.
    sim.modifiers.remove(cloth)
    scene.collection.objects.unlink(sim)
    for f in range(1, frames + 1):
        t = time.perf_counter()
        scene.frame_set(f)
        bpy.context.evaluated_depsgraph_get()
        costs["skinned_s"].append(time.perf_counter() - t)
    d = np.concatenate(distances)
    checked = len(covered) * (frames - 16)
    return {"frames": frames, "distance_cm": {"mean": round(float(d.mean()) * 100, 2),
                                              "p95": round(float(np.percentile(d, 95)) * 100, 2)},
            "points_through": {k: f"{v} of {checked}" for k, v in pokes.items()},
            "ms_per_frame": {k: round(1000 * float(np.mean(v[1:])), 1) for k, v in costs.items()}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", nargs="+", default=["walk", "sit_down", "jumping_jacks"])
    ap.add_argument("--frames", type=int, default=48)
    args = ap.parse_args()
    result = {}
    for action in args.actions:
        result[action] = run(action, args.frames, Path(tempfile.mkdtemp(prefix="synthact-cloth-")))
        print(action, json.dumps(result[action]), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
