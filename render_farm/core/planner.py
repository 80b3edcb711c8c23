"""The planner: config + master seed -> fully specified jobs, one per clip.

Each job's seed comes from the master seed and the job's identity (action, clip
index); each randomization axis draws from its own stream of that seed. So a
job's parameters never depend on which other actions or clips are in the config.
"""

from __future__ import annotations

import colorsys
import json
from collections.abc import Iterable

import numpy as np

from render_farm.core.config import DatasetConfig, image_files
from render_farm.core.jobs import (
    AppearanceParams,
    AreaLight,
    BodyParams,
    CameraParams,
    Distractor,
    Job,
    LightingParams,
    MotionParams,
    RenderParams,
    SceneParams,
)
from render_farm.core.seeding import derive_seed, rng_for, unit_hash
from render_farm.core.template import ActionTemplate

PHENOTYPE_STEP = 0.05  # phenotypes are quantized so baked bodies are shared between jobs


def _uniform(rng: np.random.Generator, r: tuple[float, float]) -> float:
    return float(rng.uniform(r[0], r[1])) if r[1] > r[0] else float(r[0])


def skin_color(tone: float) -> tuple[float, float, float]:
    """Linear RGB skin colour from 0 (lightest) to 1 (darkest), between measured-looking anchors."""
    light = np.array([0.92, 0.72, 0.60]) ** 2.2
    dark = np.array([0.30, 0.18, 0.12]) ** 2.2
    return tuple(round(float(c), 5) for c in light + (dark - light) * tone)


def _quantize(x: float, step: float) -> float:
    return round(round(x / step) * step, 6)


def _hsv(rng: np.random.Generator, hue: tuple[float, float], sat: tuple[float, float], val: tuple[float, float]):
    rgb = colorsys.hsv_to_rgb(_uniform(rng, hue) % 1.0, _uniform(rng, sat), _uniform(rng, val))
    return tuple(round(c ** 2.2, 5) for c in rgb)  # sRGB-ish -> linear


def job_id(action_id: str, clip_index: int) -> str:
    return f"{action_id}_{clip_index:05d}"


def sample_job(
    config: DatasetConfig, template: ActionTemplate, class_index: int, clip_index: int, split: str
) -> Job:
    seed = derive_seed(config.seed, template.id, clip_index)
    jid = job_id(template.id, clip_index)

    rng = rng_for(seed, "body")
    phenotype = {
        name: _quantize(getattr(config.body, name).sample(rng), PHENOTYPE_STEP)
        for name in ("gender", "age", "muscle", "weight", "height", "proportions")
    }

    rng = rng_for(seed, "motion")
    allowed = template.randomization
    m = config.motion
    warp = m.time_warp.sample(rng)
    share = float(rng.uniform(0.0, 1.0))
    signs = rng.choice([-1.0, 1.0], size=2)
    motion = MotionParams(
        speed=round(_uniform(rng, allowed.speed), 6),
        mirror=bool(allowed.mirror and rng.random() < m.mirror_probability),
        heading_deg=round(float(m.heading_deg.sample(rng)), 4),
        start_offset=round(_uniform(rng, (0.0, float(template.frame_count))), 4) if template.loops else 0.0,
        time_warp=(round(float(signs[0] * warp * share), 5), round(float(signs[1] * warp * (1 - share)), 5)),
        joint_noise_deg=round(float(m.joint_noise.sample(rng)) * allowed.joint_noise_deg, 4),
        root_offset_m=round(float(m.root_offset_m.sample(rng)), 4),
        root_offset_angle_deg=round(_uniform(rng, (0.0, 360.0)), 4),
    )

    rng = rng_for(seed, "camera")
    c = config.camera
    camera_motion = str(c.motion.sample(rng))
    amount = {"pan": c.pan_deg, "orbit": c.orbit_deg, "shake": c.shake_deg}.get(camera_motion)
    camera = CameraParams(
        azimuth_deg=round(float(c.azimuth_deg.sample(rng)), 4),
        elevation_deg=round(float(c.elevation_deg.sample(rng)), 4),
        focal_mm=round(float(c.focal_mm.sample(rng)), 4),
        motion=camera_motion,
        motion_deg=round(float(amount.sample(rng)), 4) if amount else 0.0,
    )

    rng = rng_for(seed, "lighting")
    lighting = LightingParams(
        hdri=str(config.lighting.hdris[int(rng.integers(len(config.lighting.hdris)))]),
        hdri_rotation_deg=round(_uniform(rng, (0.0, 360.0)), 4),
        strength=round(float(config.lighting.strength.sample(rng)), 4),
        sun_azimuth_deg=round(_uniform(rng, (0.0, 360.0)), 4),
        sun_elevation_deg=round(_uniform(rng, (25.0, 75.0)), 4),
        sun_strength=round(float(config.lighting.sun_strength.sample(rng)), 4),
    )

    rng = rng_for(seed, "appearance")
    tone = round(float(config.body.skin_tone.sample(rng)), 4)
    skin = skin_color(tone)
    appearance = AppearanceParams(
        skin_tone=tone,
        colors={
            "skin": skin,
            "shirt": _hsv(rng, (0.0, 1.0), (0.2, 0.9), (0.25, 0.95)),
            "trousers": _hsv(rng, (0.0, 1.0), (0.1, 0.7), (0.15, 0.7)),
            "shoes": _hsv(rng, (0.0, 1.0), (0.0, 0.5), (0.05, 0.6)),
            "hair": _hsv(rng, (0.02, 0.12), (0.3, 0.9), (0.05, 0.6)),
        },
        ground=_hsv(rng, (0.0, 1.0), (0.0, 0.35), (0.25, 0.7)),
    )

    rng = rng_for(seed, "clothing")
    patterns = {r: str(config.clothing.pattern.sample(rng)) for r in ("shirt", "trousers", "shoes", "hair")}
    second = {r: _hsv(rng, (0.0, 1.0), (0.1, 0.9), (0.1, 0.95)) for r in patterns}
    textures = {}
    if config.clothing.texture_dirs:
        files = image_files(config.clothing.texture_dirs)
        textures = {r: str(files[int(rng.integers(len(files)))]) for r, p in patterns.items() if p == "texture"}
    appearance = appearance.model_copy(update={
        "patterns": patterns, "second_colors": second, "textures": textures,
        "pattern_scale": round(float(config.clothing.pattern_scale.sample(rng)), 3),
    })

    scene = sample_scene(config, seed, camera.azimuth_deg)

    width, height = config.resolution
    passes = [name for name in ("mask", "depth") if getattr(config.annotations, name)]
    return Job(
        job_id=jid,
        action_id=template.id,
        action_label=template.label,
        class_index=class_index,
        clip_index=clip_index,
        seed=seed,
        split=split,
        template_id=template.id,
        clip_path=f"clips/{template.id}/{jid}.mp4",
        label_path=f"labels/{template.id}/{jid}.json",
        render=RenderParams(
            engine=config.engine, samples=config.samples, width=width, height=height,
            frames=config.frames, fps=config.fps, passes=passes, max_bounces=config.max_bounces,
            adaptive_threshold=config.adaptive_threshold, denoise=config.denoise,
            denoise_quality=config.denoise_quality, world_map=config.world_map_resolution,
        ),
        passes_path=f"passes/{template.id}/{jid}.npz" if passes else None,
        body=BodyParams(phenotype=phenotype),
        motion=motion,
        camera=camera,
        lighting=lighting,
        appearance=appearance,
        scene=scene,
    )


def sample_scene(config: DatasetConfig, seed: int, camera_azimuth_deg: float) -> SceneParams:
    """Background, ground, area lights and props: drawn from the job seed alone, never from the action."""
    sc = config.scene
    rng = rng_for(seed, "scene")
    lights = []
    for _ in range(int(sc.area_lights.sample(rng))):
        lights.append(AreaLight(
            azimuth_deg=round(_uniform(rng, (0.0, 360.0)), 3), elevation_deg=round(_uniform(rng, (15.0, 70.0)), 3),
            distance_m=round(_uniform(rng, (2.0, 5.0)), 3), size_m=round(_uniform(rng, (0.5, 2.0)), 3),
            strength_w=round(float(sc.area_strength_w.sample(rng)), 2),
            temperature_k=round(float(sc.area_temperature_k.sample(rng)), 1),
        ))
    props = []
    # The camera looks at the actor from camera_azimuth_deg (0: from -Y): keep props out of that wedge.
    camera_dir = np.radians(camera_azimuth_deg) - np.pi / 2
    for _ in range(int(sc.distractors.sample(rng))):
        for _attempt in range(20):
            angle = rng.uniform(0, 2 * np.pi)
            gap = abs((angle - camera_dir + np.pi) % (2 * np.pi) - np.pi)
            if gap > np.radians(40):
                break
        radius = rng.uniform(1.6, 4.0)
        props.append(Distractor(
            shape=str(rng.choice(["cube", "sphere", "cylinder", "cone"])),
            position=(round(float(radius * np.cos(angle)), 3), round(float(radius * np.sin(angle)), 3)),
            size_m=round(_uniform(rng, (0.2, 0.9)), 3), rotation_deg=round(_uniform(rng, (0.0, 360.0)), 2),
            color=_hsv(rng, (0.0, 1.0), (0.2, 1.0), (0.2, 0.95)),
        ))
    background = str(sc.background.sample(rng))
    backdrop = None
    if background == "image":
        files = image_files(sc.background_dirs)
        backdrop = str(files[int(rng.integers(len(files)))])
    return SceneParams(
        background=background, background_image=backdrop, sky_turbidity=round(_uniform(rng, (2.0, 6.0)), 3),
        ground=str(sc.ground.sample(rng)), area_lights=lights, distractors=props,
    )


def val_clips(config: DatasetConfig, action_id: str) -> set[int]:
    """Clip indices of an action that go to the validation split.

    Clips are ranked by a hash of (seed, action, index); the lowest-ranked
    round(n * val_fraction) clips (at least one when n >= 2 and the fraction is
    positive) form the validation split, so every class is in both splits.
    """
    n = config.clips_per_action
    if config.val_fraction <= 0 or n < 2:
        return set()
    k = min(n - 1, max(1, round(n * config.val_fraction)))
    ranked = sorted(range(n), key=lambda i: unit_hash(config.seed, action_id, i, "split"))
    return set(ranked[:k])


def plan(config: DatasetConfig, templates: Iterable[ActionTemplate]) -> list[Job]:
    """Jobs for every (action, clip), actions in config order, class index = position in `actions`."""
    by_id = {t.id: t for t in templates}
    jobs = []
    for class_index, action_id in enumerate(config.actions):
        template = by_id[action_id]
        val = val_clips(config, action_id)
        for clip_index in range(config.clips_per_action):
            split = "val" if clip_index in val else "train"
            jobs.append(sample_job(config, template, class_index, clip_index, split))
    return jobs


def jobs_jsonl(jobs: Iterable[Job]) -> str:
    return "".join(json.dumps(j.model_dump(mode="json"), sort_keys=True) + "\n" for j in jobs)


def _flatten(prefix: str, value, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list | tuple) and value and all(isinstance(x, int | float) for x in value):
        for i, v in enumerate(value):
            out[f"{prefix}[{i}]"] = v
    elif isinstance(value, list):  # lights, props: how many
        out[f"{prefix}.count"] = len(value)
    else:
        out[prefix] = value


SAMPLED_PARTS = ("body", "motion", "camera", "lighting", "appearance")


def sampled_parameters(job: Job) -> dict:
    """Every randomized value of a job, flattened to dotted names."""
    flat: dict = {}
    for part in SAMPLED_PARTS:
        _flatten(part, getattr(job, part).model_dump(mode="json"), flat)
    return flat


def summarize(jobs: list[Job]) -> dict:
    """Clips per action and split, and the range (numbers) or counts (categories) of every parameter."""
    per_action: dict[str, dict[str, int]] = {}
    for j in jobs:
        per_action.setdefault(j.action_id, {"train": 0, "val": 0})[j.split] += 1
    values: dict[str, list] = {}
    for j in jobs:
        for k, v in sampled_parameters(j).items():
            values.setdefault(k, []).append(v)
    params = {}
    for k, vs in sorted(values.items()):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vs):
            params[k] = {"min": min(vs), "max": max(vs), "mean": sum(vs) / len(vs)}
        else:
            counts: dict[str, int] = {}
            for v in vs:
                counts[str(v)] = counts.get(str(v), 0) + 1
            params[k] = {"counts": counts}
    return {"clips": len(jobs), "per_action": per_action, "parameters": params}
