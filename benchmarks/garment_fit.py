"""Does skin come out through the garments in any built-in action? Every template, every few frames.

    python benchmarks/garment_fit.py [--every 8] [--rays-every 0]

The default body wears each test outfit; for every built-in template, every `--every`-th template frame is
posed by linear blend skinning (what Blender's Armature modifier computes) and the covered skin is ray-cast
against what covers it (render_farm/outfits/fit.py; a Blender test checks the same rays in the
evaluated scene). Reports, per outfit, the frames checked, the frames where any point shows through, the
share of covered points through, and the worst frames; for skirts, also the skin left out deep under them that
a pose brings out by the hem (`skin_exposed`). With `--rays-every N`, every N-th ray query of the checks is
also timed side by side the way `ray_crossings` tests it (blocks of nearby rays against the triangles whose
boxes meet the block's) and against every triangle, and the counts are compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OUTFITS = {
    "shells": {"top": "longsleeve", "bottom": "trousers", "jacket": True, "shoes": True},
    "shorts": {"top": "tshirt", "bottom": "shorts", "shoes": True},
    "skirt": {"top": "tshirt", "bottom": "skirt", "shoes": True},
    "dress": {"dress": True, "shoes": True},
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=8)
    ap.add_argument("--outfits", nargs="+", default=list(OUTFITS), choices=list(OUTFITS))
    ap.add_argument("--rays-every", type=int, default=0, help="time every N-th ray query both ways (0: none)")
    args = ap.parse_args()
    if args.rays_every:
        queries = record_ray_queries(args.rays_every)
    from render_farm import outfits as o
    from render_farm.bodies.baked.body import load_body
    from render_farm.bodies.baked.cache import body_path, default_cache_dir
    from render_farm.core.plan.jobs import BodyParams, OutfitParams
    from render_farm.core.scene import motion
    from render_farm.outfits.fit import covered_points, left_out_points, skin_exposed, skin_through
    from render_farm.templates import load_library
    from tests.conftest import DEFAULT_PHENOTYPE

    body = load_body(body_path(default_cache_dir(), BodyParams(phenotype=DEFAULT_PHENOTYPE)))
    templates = load_library()
    result = {}
    for name in args.outfits:
        fields = OUTFITS[name]
        pieces = o.outfit_pieces(body, OutfitParams(**fields))
        rendered = ~o.hidden_body_faces(body, pieces)
        covered = covered_points(body, pieces, rendered)
        left_out = left_out_points(body, pieces, rendered)
        total = sum(len(v) for v in covered.values())
        hidden = sum(len(v) for v in left_out.values())
        frames = bad = through = exposed_frames = exposed = 0
        worst = []
        for t in templates:
            positions = np.arange(0, t.frame_count, args.every, dtype=np.float64)
            rotations, _ = motion.resample(t, positions)
            for f, rot in zip(positions, rotations, strict=True):
                n = len(skin_through(body, pieces, rendered, covered, rot, np.zeros(3)))
                frames += 1
                bad += n > 0
                through += n
                worst.append((n, t.id, int(f)))
                if hidden:
                    e = len(skin_exposed(body, pieces, left_out, rot, np.zeros(3)))
                    exposed_frames += e > 0
                    exposed += e
        worst.sort(reverse=True)
        result[name] = {"covered_points": total, "frames": frames, "frames_with_skin_through": bad,
                        "share_through": round(through / (frames * total), 5),
                        "worst": [f"{tid} frame {f}: {n} of {total}" for n, tid, f in worst[:5] if n]}
        if hidden:
            result[name] |= {"left_out_points": hidden, "frames_with_left_out_skin_exposed": exposed_frames,
                             "share_exposed": round(exposed / (frames * hidden), 5)}
        print(name, json.dumps(result[name]), file=sys.stderr, flush=True)
    if args.rays_every:
        result["ray_queries"] = ray_side_by_side(queries)
    print(json.dumps(result, indent=1))
    return 0


def record_ray_queries(every: int) -> list[tuple]:
    """Keep every `every`-th call of outfit_check.ray_crossings (its arguments) as the checks run."""
    from render_farm.outfits import fit as outfit_check

    queries, seen, culled = [], [0], outfit_check.ray_crossings

    def recorded(*args):
        seen[0] += 1
        if seen[0] % every == 0:
            queries.append(args)
        return culled(*args)

    recorded.__wrapped__ = culled
    outfit_check.ray_crossings = recorded
    return queries


def ray_side_by_side(queries: list[tuple]) -> dict:
    """The recorded ray queries counted both ways, alternating which goes first: culled (ray_crossings) and
    every ray against every triangle in blocks of RAY_BLOCK rays (how ray_crossings counted before)."""
    import time

    from render_farm.outfits import fit as outfit_check

    culled = outfit_check.ray_crossings.__wrapped__  # the recorder's function

    def every_pair(origins, directions, vertices, faces, reach):
        directions = np.broadcast_to(directions, origins.shape)
        reach = np.broadcast_to(np.asarray(reach, dtype=np.float64), (len(origins),))
        a = vertices[faces[:, 0]]
        e1, e2 = vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a
        block = outfit_check.RAY_BLOCK
        return np.concatenate([outfit_check._crossings(origins[i:i + block], directions[i:i + block],
                                                       reach[i:i + block], a, e1, e2)
                               for i in range(0, len(origins), block)])

    spent, same = {"culled": 0.0, "every_pair": 0.0}, 0
    for i, query in enumerate(queries):
        counts = {}
        for way in ("culled", "every_pair") if i % 2 else ("every_pair", "culled"):
            t = time.perf_counter()
            counts[way] = (culled if way == "culled" else every_pair)(*query)
            spent[way] += time.perf_counter() - t
        same += bool(np.array_equal(counts["culled"], counts["every_pair"]))
    return {"queries": len(queries), "identical_counts": same, "culled_s": round(spent["culled"], 2),
            "every_pair_s": round(spent["every_pair"], 2),
            "ratio": round(spent["culled"] / max(spent["every_pair"], 1e-9), 2)}


if __name__ == "__main__":
    raise SystemExit(main())
