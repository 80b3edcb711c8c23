import numpy as np
import pytest

from render_farm.core.plan.config import ConfigError, load_config, parse_config
from render_farm.core.plan.planner import jobs_jsonl, plan
from render_farm.templates import find_template


def cfg(**over):
    base = {"seed": 11, "actions": ["walk", "wave", "squat"], "clips_per_action": 4}
    base.update(over)
    return parse_config(base, "test.yaml")


def templates_for(config):
    return [find_template(a) for a in config.actions]


def test_quickstart_config_loads():
    c = load_config("examples/quickstart.yaml")
    assert len(c.actions) >= 4 and c.clips_per_action >= 2
    assert (c.frames, c.fps, c.resolution) == (32, 16.0, (224, 224))


@pytest.mark.parametrize(
    "over,expected",
    [
        ({"frames": -3}, "test.yaml: frames: Input should be greater than or equal to 1"),
        ({"camera": {"focal_mm": [-5, 20]}}, "test.yaml: camera.focal_mm: focal length must be positive"),
        ({"body": {"age": [0.9, 0.2]}}, "test.yaml: body.age: range min 0.9 is greater than max 0.2"),
        ({"body": {"age": {"normal": {"mean": 0.5, "std": 0.1, "min": 0.1}}}}, "test.yaml: body.age: range max inf"),
        ({"lighting": {"hdris": ["moon"]}}, "test.yaml: lighting.hdris: unknown HDRI 'moon'"),
        ({"resolution": [225, 224]}, "test.yaml: resolution: resolution must be even"),
        ({"engine": "octane"}, "test.yaml: engine: Input should be 'cycles', 'workbench' or 'eevee'"),
        ({"colour": "red"}, "test.yaml: colour: Extra inputs are not permitted"),
        ({"actions": ["walk", "walk"]}, "action 'walk' is listed twice"),
        ({"camera": {"focal_mm": {"gauss": [40, 5]}}},
         "test.yaml: camera.focal_mm: unknown distribution 'gauss' (use uniform, normal or choice)"),
        ({"camera": {"focal_mm": {"normal": {"mean": 40, "std": 5}}}},
         "test.yaml: camera.focal_mm: focal length must be positive"),
        ({"camera": {"motion": {"choice": ["dolly"]}}},
         "test.yaml: camera.motion: camera motion must be a choice of static, pan, orbit, shake"),
        ({"motion": {"time_warp": [0.1, 0.9]}}, "test.yaml: motion.time_warp: range max 0.9 is above 0.45"),
        ({"scene": {"ground": {"choice": ["lava"]}}}, "test.yaml: scene.ground: ground must be a choice of"),
        ({"body": {"skin_tone": {"choice": [0.2, 1.5]}}}, "test.yaml: body.skin_tone: range max 1.5 is above 1"),
    ],
)
def test_bad_configs_name_the_field(over, expected):
    with pytest.raises(ConfigError) as err:
        cfg(**over)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_malformed_yaml_names_file_and_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("seed: 1\nactions: [walk, wave\nframes: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: malformed YAML \(line 3"):
        load_config(p)
    p.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        load_config(p)


def test_plan_is_byte_identical_for_same_config_and_seed():
    c = cfg()
    assert jobs_jsonl(plan(c, templates_for(c))) == jobs_jsonl(plan(cfg(), templates_for(c)))
    other = cfg(seed=12)
    assert jobs_jsonl(plan(other, templates_for(other))) != jobs_jsonl(plan(c, templates_for(c)))


def test_adding_an_action_or_clips_leaves_existing_jobs_unchanged():
    c = cfg()
    before = {j.job_id: j for j in plan(c, templates_for(c))}
    bigger = cfg(actions=["walk", "wave", "squat", "kick"], clips_per_action=6)
    after = {j.job_id: j for j in plan(bigger, templates_for(bigger))}
    for job_id, job in before.items():
        a = after[job_id]
        for part in ("seed", "body", "motion", "camera", "lighting", "appearance", "class_index"):
            assert getattr(a, part) == getattr(job, part), (job_id, part)


def test_jobs_vary_and_record_their_seed():
    c = cfg(clips_per_action=8)
    jobs = plan(c, templates_for(c))
    assert len({j.seed for j in jobs}) == len(jobs)
    assert len({j.camera.azimuth_deg for j in jobs}) == len(jobs)
    assert len({j.lighting.hdri for j in jobs}) > 2
    assert len({tuple(j.appearance.colors["shirt"]) for j in jobs}) == len(jobs)
    ages = [j.body.phenotype["age"] for j in jobs]
    assert min(ages) >= 0.5 and max(ages) <= 0.95 and np.std(ages) > 0.05
    for j in jobs:
        lo, hi = find_template(j.action_id).randomization.speed
        assert lo <= j.motion.speed <= hi


def test_split_is_deterministic_and_covers_every_class():
    c = cfg(clips_per_action=4, val_fraction=0.25)
    jobs = plan(c, templates_for(c))
    for action in c.actions:
        splits = [j.split for j in jobs if j.action_id == action]
        assert splits.count("val") == 1 and splits.count("train") == 3
    assert [j.split for j in jobs] == [j.split for j in plan(c, templates_for(c))]
    assert all(j.split == "train" for j in plan(cfg(val_fraction=0.0), templates_for(c)))


def test_non_mirrorable_template_is_never_mirrored():
    c = cfg(actions=["squat"], clips_per_action=16)
    assert not find_template("squat").randomization.mirror
    assert not any(j.motion.mirror for j in plan(c, templates_for(c)))
    c = cfg(actions=["wave"], clips_per_action=16)
    mirrored = [j.motion.mirror for j in plan(c, templates_for(c))]
    assert any(mirrored) and not all(mirrored)


def test_distributions_sample_within_their_support():
    c = cfg(clips_per_action=30, body={"age": {"normal": {"mean": 0.7, "std": 0.2, "min": 0.5, "max": 0.9}}},
            camera={"focal_mm": 50, "motion": {"choice": ["pan", "orbit"], "weights": [1, 0]}})
    jobs = plan(c, templates_for(c))
    ages = [j.body.phenotype["age"] for j in jobs]
    assert min(ages) >= 0.5 and max(ages) <= 0.9 and len(set(ages)) > 3
    assert {j.camera.focal_mm for j in jobs} == {50.0}
    assert {j.camera.motion for j in jobs} == {"pan"}


def test_workbench_samples_are_its_anti_aliasing_samples_rounded_down():
    from render_farm.core.plan.antialiasing import workbench_antialiasing
    from render_farm.core.plan.render_settings import PRESETS

    assert [workbench_antialiasing(n) for n in (1, 4, 5, 7, 8, 10, 11, 16, 31, 32, 4096)] == [
        "FXAA", "FXAA", "5", "5", "8", "8", "11", "16", "16", "32", "32"]
    assert workbench_antialiasing(PRESETS["preview"].samples) == "8"  # the preview preset renders as before


def test_presets_set_render_settings_and_explicit_fields_override_them():
    from render_farm.core.plan.config import PRESETS

    base = {"actions": ["walk"], "clips_per_action": 1}
    quality = parse_config({**base, "preset": "quality"}, "q.yaml")
    assert (quality.engine, quality.samples, quality.denoise, quality.max_bounces) == ("cycles", 64, True, 8)
    assert quality.adaptive_threshold == PRESETS["quality"].adaptive_threshold > 0
    mine = parse_config({**base, "preset": "quality", "samples": 32, "denoise": False}, "q.yaml")
    assert (mine.samples, mine.denoise, mine.max_bounces) == (32, False, 8)
    assert parse_config({**base, "preset": "preview"}, "p.yaml").engine == "workbench"
    fast = parse_config({**base, "preset": "fast"}, "f.yaml")
    assert (fast.samples, fast.denoise, fast.denoise_quality, fast.world_map_resolution) == (4, True, "fast", 1024)
    assert plan(fast, [find_template("walk")])[0].render.denoise_quality == "fast"
    assert plan(fast, [find_template("walk")])[0].render.world_map == 1024
    assert quality.world_map_resolution == 0 and plan(quality, [find_template("walk")])[0].render.world_map == 0
    assert parse_config({**base, "preset": "fast", "denoise": False}, "f.yaml").world_map_resolution == 0
    assert parse_config({**base, "preset": "quality", "world_map": 2048}, "q.yaml").world_map_resolution == 2048
    plain = parse_config(base, "d.yaml")  # no preset: the fast preset's settings
    fast_fields = PRESETS["fast"].model_dump(exclude_unset=True)
    assert {k: getattr(plain, k) for k in fast_fields} == fast_fields
    job = plan(quality, [find_template("walk")])[0]
    assert (job.render.samples, job.render.denoise, job.render.max_bounces) == (64, True, 8)
    with pytest.raises(ConfigError, match="p.yaml: preset: Input should be 'preview', 'fast' or 'quality'"):
        parse_config({**base, "preset": "ultra"}, "p.yaml")


def test_a_body_pool_bounds_the_bodies_to_bake_and_keeps_old_plans_identity():
    from render_farm.core.plan.planner import plan_identity, plan_settings, pool_body

    actions = ["walk", "handshake"]
    templates = [find_template(a) for a in actions]
    pooled = parse_config({"actions": actions, "clips_per_action": 40, "body": {"pool": 5}}, "c")
    jobs = plan(pooled, templates)
    bodies = {tuple(sorted(b.phenotype.items())) for j in jobs for b in j.bodies()}
    pool = {tuple(sorted(pool_body(pooled, i).phenotype.items())) for i in range(5)}
    assert bodies <= pool and len(bodies) >= 4  # 80 jobs and 40 partners drawn from 5 bodies
    assert [j.body for j in plan(pooled, templates)] == [j.body for j in jobs]  # the same pool every time
    # The pool is part of the plan's identity; a config without one hashes as it did before pools existed.
    free = parse_config({"actions": actions, "clips_per_action": 40}, "c")
    assert "pool" not in plan_settings(free)["body"] and plan_settings(pooled)["body"]["pool"] == 5
    assert plan_identity(free) != plan_identity(pooled)
    assert len({tuple(sorted(j.body.phenotype.items())) for j in plan(free, templates)}) > 30
    with pytest.raises(ConfigError, match=r"c: body.pool: Input should be greater than or equal to 1"):
        parse_config({"actions": actions, "body": {"pool": 0}}, "c")
