"""The planner: config + master seed -> fully specified jobs, one per clip.

Each job's seed comes from the master seed and the job's identity (action, clip
index); each randomization axis draws from its own stream of that seed. So a
job's parameters never depend on which other actions or clips are in the config.
"""

from __future__ import annotations

import colorsys
import hashlib
import heapq
import json
import math
from collections.abc import Iterable, Iterator

from render_farm.core.plan.config import DatasetConfig, image_files
from render_farm.core.plan.jobs import (
    AppearanceParams,
    AreaLight,
    BodyParams,
    CameraParams,
    Distractor,
    Job,
    LightingParams,
    MotionParams,
    OutfitParams,
    PartnerParams,
    PerformerParams,
    RenderParams,
    SceneParams,
    job_line,
)
from render_farm.core.plan.render_settings import RenderSettings
from render_farm.core.plan.seeding import Stream, derive_seed, stream_for, unit_hash
from render_farm.core.scene.motion import one_shot_slack
from render_farm.core.template.model import ActionTemplate

PHENOTYPE_STEP = 0.05  # phenotypes are quantized so baked bodies are shared between jobs


def _uniform(rng: Stream, r: tuple[float, float]) -> float:
    return rng.uniform(r[0], r[1]) if r[1] > r[0] else float(r[0])


def skin_color(tone: float) -> tuple[float, float, float]:
    """Linear RGB skin colour from 0 (lightest) to 1 (darkest), between measured-looking anchors."""
    return tuple(round(lo + (hi - lo) * tone, 5) for lo, hi in zip(_SKIN_LIGHT, _SKIN_DARK, strict=True))


_SKIN_LIGHT = tuple(c ** 2.2 for c in (0.92, 0.72, 0.60))
_SKIN_DARK = tuple(c ** 2.2 for c in (0.30, 0.18, 0.12))


def _quantize(x: float, step: float) -> float:
    return round(round(x / step) * step, 6)


def _hsv(rng: Stream, hue: tuple[float, float], sat: tuple[float, float], val: tuple[float, float]):
    r, g, b = colorsys.hsv_to_rgb(_uniform(rng, hue) % 1.0, _uniform(rng, sat), _uniform(rng, val))
    return round(r ** 2.2, 5), round(g ** 2.2, 5), round(b ** 2.2, 5)  # sRGB-ish -> linear


# Config fields that do not change what any one clip looks like or says: which and how many clips there are,
# where and how they are rendered. Everything else is the plan's identity (a preset is folded into the render
# fields it sets). Templates are identified by id only: editing one in place (adding a performance too) is not
# detected.
NOT_IDENTITY = {"actions", "clips_per_action", "output", "workers", "recycle_after", "watchdog_s", "template_dirs",
                "preset", "blender"}


def plan_settings(config: DatasetConfig) -> dict:
    """The settings that change a clip's pixels or labels, as JSON values."""
    settings = config.model_dump(mode="json", exclude=NOT_IDENTITY)
    settings["world_map"] = config.world_map_resolution
    if settings["body"]["pool"] is None:  # plans from before body pools keep their identity
        del settings["body"]["pool"]
    if settings["motion"]["performer"] is None:  # and from before performer styles
        del settings["motion"]["performer"]
    if not settings["motion"]["whole_action"]:  # and from before whole actions
        del settings["motion"]["whole_action"]
    return settings


def plan_identity(config: DatasetConfig) -> str:
    """A short hash of plan_settings: a dataset folder holds clips of one plan identity only."""
    text = json.dumps(plan_settings(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def job_id(action_id: str, clip_index: int) -> str:
    return f"{action_id}_{clip_index:05d}"


def sample_job(
    config: DatasetConfig, template: ActionTemplate, class_index: int, clip_index: int, split: str,
    render: RenderParams | None = None, plan_id: str | None = None,
) -> Job:
    """One job. `render`, `plan_id`: the config's render_params and plan_identity, when the caller plans
    many (computed once)."""
    seed = derive_seed(config.seed, template.id, clip_index)
    jid = job_id(template.id, clip_index)

    body = sample_body(config, stream_for(seed, "body"))
    performance = performance_index(config.seed, template.id, clip_index, template.performance_count)
    motion = sample_motion(config, template.performance(performance), seed)
    if performance or config.motion.performer is not None:
        motion = motion.model_copy(update={"performance": performance,
                                           "performer": sample_performer(config, seed, "performer")})
    camera = sample_camera(config, seed)
    lighting = sample_lighting(config, seed)
    appearance = sample_appearance(config, seed)
    partner = sample_partner(config, template, seed)
    prop_colors = sample_prop_colors(template, seed)
    scene = sample_scene(config, seed, camera.azimuth_deg)

    render = render or render_params(config)
    passes = render.passes
    return Job(
        plan_id=plan_id or plan_identity(config),
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
        render=render,
        passes_path=f"passes/{template.id}/{jid}.npz" if passes else None,
        body=body,
        motion=motion,
        camera=camera,
        lighting=lighting,
        appearance=appearance,
        scene=scene,
        partner=partner,
        prop_colors=prop_colors,
    )


def performance_index(master_seed: int, action_id: str, clip_index: int, count: int) -> int:
    """Which of a class's `count` performances clip `clip_index` plays. Clips go in blocks of `count`, each
    block a shuffled deal of every performance, so any `count` consecutive clips show them all and the counts
    differ by at most one; from the dataset's seed and the clip's identity alone, like the job seed."""
    if count <= 1:
        return 0
    block, slot = divmod(clip_index, count)
    deal = sorted(range(count), key=lambda k: unit_hash(master_seed, action_id, block, k, "performance"))
    return deal[slot]


def sample_motion(config: DatasetConfig, template: ActionTemplate, seed: int) -> MotionParams:
    """How the template is played: speed, mirroring, heading, start, time warp, noise, place in the set,
    within what the template allows."""
    rng = stream_for(seed, "motion")
    allowed = template.randomization
    m = config.motion
    warp = m.time_warp.sample(rng)
    share = rng.random()
    signs = (rng.sign(), rng.sign())
    speed = round(_uniform(rng, allowed.speed), 6)
    mirror = bool(allowed.mirror and rng.random() < m.mirror_probability)
    heading = round(float(m.heading_deg.sample(rng)), 4)
    if template.loops:
        start = _uniform(rng, (0.0, float(template.frame_count)))
    else:  # a one-shot longer than the clip at its own speed: a window inside it (motion.source_frames)
        start = _uniform(rng, (0.0, max(0.0, one_shot_slack(template, config.frames, config.fps, speed))))
        if m.whole_action:  # drawn all the same, so every other axis samples what it would without
            start = 0.0
    return MotionParams(
        speed=speed,
        mirror=mirror,
        heading_deg=heading,
        start_offset=round(start, 4),
        time_warp=(round(float(signs[0] * warp * share), 5), round(float(signs[1] * warp * (1 - share)), 5)),
        joint_noise_deg=round(float(m.joint_noise.sample(rng)) * allowed.joint_noise_deg, 4),
        root_offset_m=round(float(m.root_offset_m.sample(rng)), 4),
        root_offset_angle_deg=round(_uniform(rng, (0.0, 360.0)), 4),
        whole_action=bool(m.whole_action and not template.loops),
    )


def sample_performer(config: DatasetConfig, seed: int, axis: str) -> PerformerParams | None:
    """An actor's style for the clip, from a stream of its own (`axis`): jobs of configs without a performer
    section sample exactly as before."""
    ranges = config.motion.performer
    if ranges is None:
        return None
    rng = stream_for(seed, axis)
    return PerformerParams(energy=round(float(ranges.energy.sample(rng)), 4),
                           lean_deg=round(float(ranges.lean_deg.sample(rng)), 3),
                           arm_carriage_deg=round(float(ranges.arm_carriage_deg.sample(rng)), 3),
                           sway_cm=round(float(ranges.sway_cm.sample(rng)), 3))


def sample_camera(config: DatasetConfig, seed: int) -> CameraParams:
    rng = stream_for(seed, "camera")
    c = config.camera
    camera_motion = str(c.motion.sample(rng))
    amount = {"pan": c.pan_deg, "orbit": c.orbit_deg, "shake": c.shake_deg}.get(camera_motion)
    return CameraParams(
        azimuth_deg=round(float(c.azimuth_deg.sample(rng)), 4),
        elevation_deg=round(float(c.elevation_deg.sample(rng)), 4),
        focal_mm=round(float(c.focal_mm.sample(rng)), 4),
        motion=camera_motion,
        motion_deg=round(float(amount.sample(rng)), 4) if amount else 0.0,
    )


def sample_lighting(config: DatasetConfig, seed: int) -> LightingParams:
    rng = stream_for(seed, "lighting")
    return LightingParams(
        hdri=str(config.lighting.hdris[rng.index(len(config.lighting.hdris))]),
        hdri_rotation_deg=round(_uniform(rng, (0.0, 360.0)), 4),
        strength=round(float(config.lighting.strength.sample(rng)), 4),
        sun_azimuth_deg=round(_uniform(rng, (0.0, 360.0)), 4),
        sun_elevation_deg=round(_uniform(rng, (25.0, 75.0)), 4),
        sun_strength=round(float(config.lighting.sun_strength.sample(rng)), 4),
    )


def sample_partner(config: DatasetConfig, template: ActionTemplate, seed: int) -> PartnerParams | None:
    """The second actor of a two-person action, from streams of its own: one-person jobs sample exactly as
    they did before partners existed."""
    if template.partner is None:
        return None
    return PartnerParams(body=sample_body(config, stream_for(seed, "partner_body")),
                         appearance=sample_appearance(config, seed, "partner_"),
                         performer=sample_performer(config, seed, "partner_performer"))


def sample_prop_colors(template: ActionTemplate, seed: int) -> dict[str, tuple[float, float, float]]:
    if not template.props:
        return {}
    rng = stream_for(seed, "held_props")
    return {p.name: _hsv(rng, (0.0, 1.0), (0.1, 0.9), (0.15, 0.95)) for p in template.props}


def sample_body(config: DatasetConfig, rng: Stream) -> BodyParams:
    """A body from the config's ranges; with a pool, one of the pool's bodies (chosen by `rng`)."""
    if config.body.pool is not None:
        return pool_body(config, rng.index(config.body.pool))
    return BodyParams(phenotype={
        name: _quantize(getattr(config.body, name).sample(rng), PHENOTYPE_STEP)
        for name in ("gender", "age", "muscle", "weight", "height", "proportions")
    })


def pool_body(config: DatasetConfig, index: int) -> BodyParams:
    """Body `index` of the dataset's pool: from the dataset's seed and the index alone."""
    rng = stream_for(derive_seed(config.seed, "body_pool", index), "body")
    return BodyParams(phenotype={
        name: _quantize(getattr(config.body, name).sample(rng), PHENOTYPE_STEP)
        for name in ("gender", "age", "muscle", "weight", "height", "proportions")
    })


def sample_appearance(config: DatasetConfig, seed: int, prefix: str = "") -> AppearanceParams:
    """Skin, clothing colours and patterns, ground colour: from the job seed alone, never from the action.
    `prefix` names the streams of a second actor ("partner_")."""
    rng = stream_for(seed, f"{prefix}appearance")
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

    rng = stream_for(seed, f"{prefix}clothing")
    patterns = {r: str(config.clothing.pattern.sample(rng)) for r in ("shirt", "trousers", "shoes", "hair")}
    second = {r: _hsv(rng, (0.0, 1.0), (0.1, 0.9), (0.1, 0.95)) for r in patterns}
    textures = {}
    if config.clothing.texture_dirs:
        files = image_files(config.clothing.texture_dirs)
        textures = {r: str(files[rng.index(len(files))]) for r, p in patterns.items() if p == "texture"}
    return appearance.model_copy(update={
        "patterns": patterns, "second_colors": second, "textures": textures,
        "pattern_scale": round(float(config.clothing.pattern_scale.sample(rng)), 3),
        "outfit": sample_outfit(config, seed, prefix),
    })


def hair_geometry(config: DatasetConfig) -> str:
    """`auto` is strands, except with Workbench: on a CPU its OpenGL draws 3,000 strands in 0.7 s a frame at
    64x64 (against 0.2 s for the whole frame without them), where Cycles adds 0.06 s."""
    if config.outfit.hair_geometry != "auto":
        return config.outfit.hair_geometry
    return "mesh" if config.engine == "workbench" else "curves"


def sample_outfit(config: DatasetConfig, seed: int, prefix: str = "") -> OutfitParams | None:
    """Garments, hair and accessories, from their own stream: never from the action."""
    o = config.outfit
    if not o.enabled:
        return None
    rng = stream_for(seed, f"{prefix}outfit")
    dress = rng.random() < o.dress_probability
    top, bottom = str(o.top.sample(rng)), str(o.bottom.sample(rng))
    jacket, shoes = rng.random() < o.jacket_probability, rng.random() < o.shoes_probability
    hair = str(o.hair.sample(rng))
    chances = {"glasses": o.glasses_probability, "hat": o.hat_probability, "bag": o.bag_probability,
               "watch": o.watch_probability}
    accessories = [kind for kind, p in chances.items() if rng.random() < p]
    colors = {"dress": _hsv(rng, (0.0, 1.0), (0.2, 0.9), (0.2, 0.9)),
              "jacket": _hsv(rng, (0.0, 1.0), (0.05, 0.6), (0.08, 0.6)),
              "glasses": _hsv(rng, (0.0, 1.0), (0.0, 0.3), (0.02, 0.2)),
              "hat": _hsv(rng, (0.0, 1.0), (0.1, 0.8), (0.1, 0.8)),
              "bag": _hsv(rng, (0.0, 0.15), (0.3, 0.8), (0.1, 0.5)),
              "watch": _hsv(rng, (0.0, 1.0), (0.0, 0.2), (0.1, 0.9))}
    # Drawn last, so adding strand hair left every earlier draw of this stream as it was.
    length, strands = float(o.hair_length.sample(rng)), int(round(float(o.hair_strands.sample(rng))))
    return OutfitParams(top=top, bottom=bottom, dress=bool(dress), jacket=bool(jacket), shoes=bool(shoes), hair=hair,
                        accessories=accessories, colors=colors, hair_geometry=hair_geometry(config),
                        hair_length=round(length, 3), hair_strands=max(1, strands), hair_seed=rng.index(2**31))


SHAPES = ("cube", "sphere", "cylinder", "cone")


def render_params(config: DatasetConfig) -> RenderParams:
    """The render settings every job of a config shares."""
    width, height = config.resolution
    settings = RenderSettings.model_validate(config.model_dump(include=set(RenderSettings.model_fields)))
    return RenderParams(**settings.resolved().model_dump(), width=width, height=height, frames=config.frames,
                        fps=config.fps, passes=[p for p in ("mask", "depth") if getattr(config.annotations, p)])


def sample_scene(config: DatasetConfig, seed: int, camera_azimuth_deg: float) -> SceneParams:
    """Background, ground, area lights and props: drawn from the job seed alone, never from the action."""
    sc = config.scene
    rng = stream_for(seed, "scene")
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
    camera_dir = math.radians(camera_azimuth_deg) - math.pi / 2
    for _ in range(int(sc.distractors.sample(rng))):
        for _attempt in range(20):
            angle = rng.uniform(0, 2 * math.pi)
            gap = abs((angle - camera_dir + math.pi) % (2 * math.pi) - math.pi)
            if gap > math.radians(40):
                break
        radius = rng.uniform(1.6, 4.0)
        props.append(Distractor(
            shape=SHAPES[rng.index(len(SHAPES))],
            position=(round(radius * math.cos(angle), 3), round(radius * math.sin(angle), 3)),
            size_m=round(_uniform(rng, (0.2, 0.9)), 3), rotation_deg=round(_uniform(rng, (0.0, 360.0)), 2),
            color=_hsv(rng, (0.0, 1.0), (0.2, 1.0), (0.2, 0.95)),
        ))
    background = str(sc.background.sample(rng))
    backdrop = None
    if background == "image":
        files = image_files(sc.background_dirs)
        backdrop = str(files[rng.index(len(files))])
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
    # The k lowest-ranked, as sorted(...)[:k] would give, holding k indices rather than n.
    return set(heapq.nsmallest(k, range(n), key=lambda i: unit_hash(config.seed, action_id, i, "split")))


def iter_jobs(config: DatasetConfig, templates: Iterable[ActionTemplate]) -> Iterator[Job]:
    """Jobs for every (action, clip), one at a time, actions in config order, class index = position in
    `actions`. Only one action's validation clips are held at a time."""
    by_id = {t.id: t for t in templates}
    render, plan_id = render_params(config), plan_identity(config)
    for class_index, action_id in enumerate(config.actions):
        template = by_id[action_id]
        val = val_clips(config, action_id)
        for clip_index in range(config.clips_per_action):
            split = "val" if clip_index in val else "train"
            yield sample_job(config, template, class_index, clip_index, split, render, plan_id)


def plan(config: DatasetConfig, templates: Iterable[ActionTemplate]) -> list[Job]:
    """Every job in a list: for small plans (tests, previews); large ones stream through iter_jobs."""
    return list(iter_jobs(config, templates))


def jobs_jsonl(jobs: Iterable[Job]) -> str:
    """The plan file's text (the same lines OutputFolder.write_plan writes)."""
    return "".join(job_line(j) for j in jobs)


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


SAMPLED_PARTS = ("body", "motion", "camera", "lighting", "appearance", "scene")


def sampled_parameters(job: Job) -> dict:
    """Every randomized value of a job, flattened to dotted names (the partner's and the held props' colours
    too, where the job has them)."""
    flat: dict = {}
    for part in SAMPLED_PARTS:
        _flatten(part, getattr(job, part).model_dump(mode="json"), flat)
    if job.partner is not None:
        _flatten("partner", job.partner.model_dump(mode="json"), flat)
    for name, color in job.prop_colors.items():
        _flatten(f"prop_colors.{name}", list(color), flat)
    return flat


class PlanSummary:
    """Clips per action and split, and the range (numbers) or counts (categories) of every parameter,
    accumulated one job at a time (its memory grows with the distinct categories, not the jobs)."""

    def __init__(self) -> None:
        self.clips = 0
        self.per_action: dict[str, dict[str, int]] = {}
        self.numbers: dict[str, list[float]] = {}  # name -> [min, max, sum, count]
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, job: Job) -> None:
        self.clips += 1
        self.per_action.setdefault(job.action_id, {"train": 0, "val": 0})[job.split] += 1
        for k, v in sampled_parameters(job).items():
            if isinstance(v, int | float) and not isinstance(v, bool) and k not in self.counts:
                acc = self.numbers.get(k)
                if acc is None:
                    self.numbers[k] = [v, v, v, 1]
                else:
                    acc[0], acc[1], acc[2], acc[3] = min(acc[0], v), max(acc[1], v), acc[2] + v, acc[3] + 1
            else:
                if k in self.numbers:  # seen as a number before, now a category: the numbers count as one
                    self.counts[k] = {"(numbers)": self.numbers.pop(k)[3]}
                bucket = self.counts.setdefault(k, {})
                bucket[str(v)] = bucket.get(str(v), 0) + 1

    def merge(self, other: PlanSummary) -> None:
        """Add another summary's jobs (a chunk planned elsewhere) to this one."""
        self.clips += other.clips
        for action, splits in other.per_action.items():
            mine = self.per_action.setdefault(action, {"train": 0, "val": 0})
            for split, n in splits.items():
                mine[split] += n
        for k, (lo, hi, total, n) in other.numbers.items():
            if k in self.counts:
                self.counts[k]["(numbers)"] = self.counts[k].get("(numbers)", 0) + n
            elif k in self.numbers:
                acc = self.numbers[k]
                acc[0], acc[1], acc[2], acc[3] = min(acc[0], lo), max(acc[1], hi), acc[2] + total, acc[3] + n
            else:
                self.numbers[k] = [lo, hi, total, n]
        for k, counts in other.counts.items():
            if k in self.numbers:
                self.counts[k] = {"(numbers)": self.numbers.pop(k)[3]}
            bucket = self.counts.setdefault(k, {})
            for v, n in counts.items():
                bucket[v] = bucket.get(v, 0) + n

    def as_dict(self) -> dict:
        params = {k: {"min": a[0], "max": a[1], "mean": a[2] / a[3]} for k, a in self.numbers.items()}
        params.update({k: {"counts": c} for k, c in self.counts.items()})
        return {"clips": self.clips, "per_action": self.per_action, "parameters": dict(sorted(params.items()))}


def summarize(jobs: Iterable[Job]) -> dict:
    summary = PlanSummary()
    for job in jobs:
        summary.add(job)
    return summary.as_dict()
