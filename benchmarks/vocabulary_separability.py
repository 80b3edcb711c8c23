"""Can the vocabulary be told apart once the farm has randomized it? Nearest-neighbour top-1 on 3D joint
trajectories, without rendering.

    python benchmarks/vocabulary_separability.py [--clips 10] [--pool 16] [--performer '{"lean_deg": [-15, 30]}']
        [--layers]

Plans `--clips` clips of every built-in class with the default randomization (views, speed, time warp,
joint noise, mirroring, start phase, bodies) and resolves each job exactly as a worker does (ClipSpec: the
joints the label would carry). Bodies: a pool of `--pool` anny bodies sampled from the default body ranges
and baked (each job takes the pool body nearest its phenotype), because baking 1,570 bodies would take half
an hour and a skeleton is all this needs.

Features per clip: every joint, the tips of the head, hands and feet and the face of every actor,
relative to the first actor's pelvis on the ground, turned so its hips face -Y at the first frame, divided
by its pelvis height (children and adults alike), plus the pelvis's ground velocity (motion_checks.normalized).
Distance: mean squared difference, minimised over time shifts of up to a quarter of the clip (loops start
at random phases). Each clip is classified by its nearest other clip (leave-one-out). Target: 95% top-1.

Two runs side by side, the same jobs otherwise: every class played by its own motion only, and every
performance with a performer style per actor (issue 28; `--performer`: its ranges, JSON, default the
config's defaults); with `--layers`, each layer alone as well. Each reports top-1, the mean distance between
two clips of one class (how much variety a class shows) and, for scale, the mean distance between two clips
of different classes with as many actors, overall and per family (a family's between-class distance: between
its own classes); each run after the first, its within-class distance as a ratio to the first's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from pydantic import ValidationError

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from render_farm.bodies.baked.body import load_body  # noqa: E402
from render_farm.bodies.baked.cache import body_path, default_cache_dir, missing_bodies  # noqa: E402
from render_farm.bodies.baking.bake import bake_bodies  # noqa: E402
from render_farm.core.plan.config import DatasetConfig, PerformerRanges  # noqa: E402
from render_farm.core.plan.planner import plan, sample_body  # noqa: E402
from render_farm.core.plan.seeding import stream_for  # noqa: E402
from render_farm.core.scene.clip_spec import resolve  # noqa: E402
from render_farm.core.template.checks import normalized, posed_points  # noqa: E402
from render_farm.templates import load_library  # noqa: E402
from synthact.errors import describe_validation_error  # noqa: E402

PHENOTYPE = ("gender", "age", "muscle", "weight", "height", "proportions")


def body_pool(config: DatasetConfig, size: int):
    params = [sample_body(config, stream_for(1000 + i, "body")) for i in range(size)]
    cache = default_cache_dir()
    bake_bodies(cache, missing_bodies(cache, params))
    return [(np.array([p.phenotype[k] for k in PHENOTYPE]), load_body(body_path(cache, p)).rest_joints)
            for p in params]


def nearest_rest(pool, phenotype: dict) -> np.ndarray:
    v = np.array([phenotype[k] for k in PHENOTYPE])
    return min(pool, key=lambda item: float(((item[0] - v) ** 2).sum()))[1]


def clip_features(job, template, pool) -> np.ndarray:
    rest = nearest_rest(pool, job.body.phenotype)
    partner_rest = nearest_rest(pool, job.partner.body.phenotype) if job.partner else None
    spec = resolve(job, template, rest, partner_rest)
    points = [posed_points(spec.rotations, spec.root_translation, rest)]
    if spec.partner is not None:
        points.append(posed_points(spec.partner.rotations, spec.partner.root_translation, partner_rest))
    duration = (job.render.frames - 1) / job.render.fps
    return normalized(points, duration) / float(rest[0, 2])


def distances(feats: np.ndarray, max_shift: int) -> np.ndarray:
    """Distance between every two clips (n, n), minimised over time shifts of up to max_shift frames; the
    diagonal is infinite."""
    n, t = feats.shape[:2]
    best = np.full((n, n), np.inf, dtype=np.float64)
    for s in range(max_shift + 1):
        a = feats[:, s:].reshape(n, -1).astype(np.float64)
        b = feats[:, :t - s].reshape(n, -1).astype(np.float64)
        d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        d /= a.shape[1]
        best = np.minimum(best, np.minimum(d, d.T))  # d(i, j, -s) = d(j, i, s)
    np.fill_diagonal(best, np.inf)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=10)
    ap.add_argument("--pool", type=int, default=16)
    ap.add_argument("--performer", default="{}", help="the performer's ranges in the second run, JSON "
                    "(PerformerRanges fields), e.g. '{\"lean_deg\": [-15, 30]}'")
    ap.add_argument("--layers", action="store_true", help="also each layer alone: every performance without "
                    "a performer, and each class's own motion with one")
    args = ap.parse_args()
    try:
        performer = PerformerRanges.model_validate_json(args.performer)
    except ValidationError as e:
        raise SystemExit(describe_validation_error("--performer", e)) from None
    full = load_library()
    base = DatasetConfig(actions=[t.id for t in full], clips_per_action=args.clips, seed=2026)
    styled = base.model_copy(update={"motion": base.motion.model_copy(update={"performer": performer})})
    own = [t.performance(0) for t in full]
    pool = body_pool(base, args.pool)
    # Side by side in one run: each class's own motion only, against every performance with a performer
    # style per actor (the same jobs otherwise: performances and styles draw from streams of their own).
    runs = {"one_performance": (base, own), "all_performances_and_performer": (styled, full)}
    if args.layers:
        runs |= {"all_performances": (base, full), "one_performance_and_performer": (styled, own)}
    results = {name: separability(config, library, pool) for name, (config, library) in runs.items()}
    before = results["one_performance"]
    for name in list(runs)[1:]:
        after = results[name]
        ratio = after["within_class_distance"] / before["within_class_distance"]
        after["within_class_distance_ratio"] = round(ratio, 2)
        after["within_class_distance_ratio_interactions"] = round(
            after["within_class_distance_by_family"]["interaction"]
            / before["within_class_distance_by_family"]["interaction"], 2)
    # The figures at the top level, as before.
    for key in ("within_class_distance_ratio", "within_class_distance_ratio_interactions"):
        results[key] = results["all_performances_and_performer"][key]
    print(json.dumps(results, indent=1))
    return 0


def separability(config: DatasetConfig, library: list, pool) -> dict:
    t0 = time.perf_counter()
    jobs = plan(config, library)
    by_id = {t.id: t for t in library}
    feats, labels, actors = [], [], []
    for job in jobs:
        f = clip_features(job, by_id[job.template_id], pool)
        feats.append(f)
        labels.append(job.class_index)
        actors.append(f.shape[1])
    labels, actors = np.array(labels), np.array(actors)
    names = [t.id for t in library]
    family_of = np.array([by_id[names[c]].family for c in labels])
    predicted = np.empty_like(labels)
    within = np.zeros(len(labels))  # each clip's mean distance to the other clips of its class
    between = np.zeros(len(labels))  # ... and to the clips of other classes with as many actors
    between_family = np.zeros(len(labels))  # ... and to those of other classes of its own family
    for count in np.unique(actors):  # one-person and two-person clips are never confused (two people show)
        idx = np.nonzero(actors == count)[0]
        d = distances(np.stack([feats[i] for i in idx]).astype(np.float32), config.frames // 4)
        predicted[idx] = labels[idx[d.argmin(axis=1)]]
        equal = labels[idx][:, None] == labels[idx][None, :]  # true on the diagonal: a clip is its own class
        same = equal & ~np.eye(len(idx), dtype=bool)
        within[idx] = np.where(same, d, 0.0).sum(axis=1) / np.maximum(same.sum(axis=1), 1)
        other = ~equal
        between[idx] = np.where(other, d, 0.0).sum(axis=1) / np.maximum(other.sum(axis=1), 1)
        kin = other & (family_of[idx][:, None] == family_of[idx][None, :])
        between_family[idx] = np.where(kin, d, 0.0).sum(axis=1) / np.maximum(kin.sum(axis=1), 1)
    correct = predicted == labels
    confused = Counter((names[a], names[b]) for a, b in zip(labels[~correct], predicted[~correct], strict=True))
    families = {fam: round(float(correct[family_of == fam].mean()), 4) for fam in sorted(set(family_of))}
    result = {
        "classes": len(library), "clips": len(jobs), "top1": round(float(correct.mean()), 4),
        "per_family_top1": families,
        "within_class_distance": round(float(within.mean()), 5),
        "within_class_distance_by_family": {fam: round(float(within[family_of == fam].mean()), 5)
                                             for fam in families},
        "between_class_distance": round(float(between.mean()), 5),
        "between_class_distance_by_family": {fam: round(float(between_family[family_of == fam].mean()), 5)
                                              for fam in families},
        "most_confused": [f"{a} -> {b}: {n}" for (a, b), n in confused.most_common(12)],
        "classes_below_80": sorted(names[c] for c in set(labels) if correct[labels == c].mean() < 0.8),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return result


if __name__ == "__main__":
    raise SystemExit(main())
