"""Several performances of one class: the template model, the planner's deal, the motion a job plays, the
library check."""

import json
from collections import Counter

import numpy as np
import pytest

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.kinematics import forward_kinematics
from render_farm.core.geometry.skeleton import JOINT_INDEX, REFERENCE_REST_JOINTS
from render_farm.core.plan.config import ConfigError, parse_config
from render_farm.core.plan.planner import jobs_jsonl, performance_index, plan
from render_farm.core.plan.seeding import stream_for
from render_farm.core.scene.clip_spec import resolve
from render_farm.core.scene.motion import perform, sway
from render_farm.core.template.checks import check_library
from render_farm.core.template.model import TemplateError, load_template, parse_template, template_json
from render_farm.templates import BUILTIN_DIR, find_template


def _config(actions: list[str], clips: int, **over) -> object:
    return parse_config({"seed": 5, "output": "out", "actions": actions, "clips_per_action": clips,
                         "resolution": [64, 48], "frames": 24, "fps": 8, **over}, "test")


def _document(template_id: str) -> dict:
    return json.loads((BUILTIN_DIR / f"{template_id}.json").read_text())


def test_each_block_of_clips_deals_every_performance_once_and_the_deal_is_reproducible():
    for count in (2, 9):
        deal = [performance_index(7, "hug", i, count) for i in range(count * 6)]
        for block in range(6):
            assert sorted(deal[block * count:(block + 1) * count]) == list(range(count))
        assert deal == [performance_index(7, "hug", i, count) for i in range(count * 6)]
        assert deal != [performance_index(8, "hug", i, count) for i in range(count * 6)]  # the seed shuffles
    assert {performance_index(7, "hug", i, 1) for i in range(50)} == {0}


def test_jobs_of_a_class_cover_its_performances_in_balance_and_record_them():
    hug = find_template("hug")
    assert hug.performance_count == 14  # its own and 13 more (tools/families/interactions.py STYLES)
    wave = find_template("wave").performance(0)  # a class of one performance: its own motion
    jobs = plan(_config(["hug", "wave"], 20), [hug, wave])
    counts = Counter(j.motion.performance for j in jobs if j.action_id == "hug")
    assert sorted(counts) == list(range(14)) and max(counts.values()) - min(counts.values()) <= 1
    assert {j.motion.performance for j in jobs if j.action_id == "wave"} == {0}
    lines = jobs_jsonl(jobs).splitlines()
    assert sum('"performance":' in line for line in lines) == sum(1 for j in jobs if j.motion.performance)
    assert [j.class_index for j in jobs].count(0) == [j.class_index for j in jobs].count(1) == 20


def test_a_template_of_one_performance_plans_the_same_bytes_as_its_schema_2_file():
    doc = _document("hug")
    del doc["performances"]
    doc["schema_version"] = 2
    old = parse_template(doc, "hug.json (schema 2)")
    now = find_template("hug").performance(0)
    assert old.performance_count == now.performance_count == 1
    config = _config(["hug"], 6)
    assert jobs_jsonl(plan(config, [old])) == jobs_jsonl(plan(config, [now]))
    assert '"performance"' not in jobs_jsonl(plan(config, [old]))


def test_a_job_plays_the_motion_of_its_performance():
    hug = find_template("hug")
    k = [hug.performance_name(i) for i in range(hug.performance_count)].index("walk_in")
    jobs = plan(_config(["hug"], hug.performance_count, frames=60, fps=10), [hug])  # 6 s: the whole performance
    walk = next(j for j in jobs if j.motion.performance == k)
    still = next(j for j in jobs if j.motion.performance == 0)

    def travel(job) -> float:  # how far the first actor's pelvis moves relative to the partner's
        spec = resolve(job, hug, REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
        gap = np.linalg.norm(spec.joints_3d[:, 0, :2] - spec.partner.joints_3d[:, 0, :2], axis=1)
        return float(gap.max() - gap.min())

    assert travel(walk) > 0.8  # walks in from a metre away
    assert travel(still) < 0.3
    with pytest.raises(IndexError, match=f"hug has {hug.performance_count} performance"):
        hug.performance(hug.performance_count)


def test_performances_round_trip_and_bad_ones_are_named(tmp_path):
    hug = find_template("hug")
    (tmp_path / "hug.json").write_text(template_json(hug))
    assert load_template(tmp_path / "hug.json") == hug

    def refused(mutate) -> str:
        doc = _document("hug")
        mutate(doc)
        with pytest.raises(TemplateError) as err:
            parse_template(doc, "hug.json")
        return str(err.value)

    def same_name(doc):
        doc["performances"][1]["name"] = doc["performances"][0]["name"]

    def no_partner(doc):
        doc["performances"][2]["partner"] = None

    def short(doc):
        doc["performances"][3]["rotations"]["neck"] = doc["performances"][3]["rotations"]["neck"][:-1]

    def named_main(doc):
        doc["performances"][0]["name"] = "main"

    assert "performances[1].name: 'walk_in' names two performances" in refused(same_name)
    assert "performances[2].partner: every performance of a two-person action has a partner" in refused(no_partner)
    assert "performances[3].rotations.neck has" in refused(short)
    assert "'main' names two performances" in refused(named_main)

    def other_props(doc):
        doc["performances"][0]["props"] = _document("pass_object")["props"]

    assert "every performance holds the same props" in refused(other_props)


def test_the_check_names_a_copied_performance_and_a_performance_copied_into_another_class():
    handshake, fist_bump = find_template("handshake"), find_template("fist_bump")
    copy = handshake.performances[0].model_copy(update={"name": "copy"})
    twice = handshake.model_copy(update={"performances": [*handshake.performances, copy]})
    problems = check_library([twice])
    assert any(line.startswith("handshake:walk_in and handshake:copy are near-duplicates (performances of one class)")
               for line in problems), problems
    borrowed = fist_bump.model_copy(update={"performances": [
        *fist_bump.performances, handshake.performances[2].model_copy(update={"name": "borrowed"})]})
    problems = check_library([handshake, borrowed])
    assert any("fist_bump:borrowed" in line and "handshake:" in line and "(of two classes)" in line
               for line in problems), problems


def test_posing_many_motions_at_once_gives_each_its_own_points_bit_for_bit(monkeypatch):
    """The library check poses every performance in batches of frames: the same points as posing each alone,
    across batch boundaries, with a motion longer than a batch and one of a single frame among them."""
    from render_farm.core.template import checks

    wave, hug = find_template("wave"), find_template("hug")
    motions = [(t.rotation_array(), t.translation_array()) for t in (wave, hug, hug.performance(3),
                                                                      find_template("squat"))]
    motions.insert(2, (motions[0][0][:1], motions[0][1][:1]))  # a single frame
    motions.insert(3, (np.concatenate([motions[0][0]] * 3), np.concatenate([motions[0][1]] * 3)))  # 216 frames
    monkeypatch.setattr(checks, "POSE_BATCH_FRAMES", 200)  # wave, hug and the single frame share a batch
    assert [len(r) for r, _ in motions][:4] == [72, 96, 1, 216]
    many = checks.posed_points_many(motions)
    assert len(many) == len(motions)
    for (rotations, translation), points in zip(motions, many, strict=True):
        np.testing.assert_array_equal(points, checks.posed_points(rotations, translation))


def test_a_performer_style_is_drawn_per_actor_and_leaves_every_other_draw_as_it_was():
    templates = [find_template("handshake"), find_template("wave")]
    plain = plan(_config(["handshake", "wave"], 4), templates)
    styled = plan(_config(["handshake", "wave"], 4, motion={"performer": {}}), templates)
    assert '"performer"' not in jobs_jsonl(plain)
    for a, b in zip(plain, styled, strict=True):
        assert b.motion.performer is not None and 0.85 <= b.motion.performer.energy <= 1.2
        assert a.motion == b.motion.model_copy(update={"performer": None})
        assert a.model_dump(exclude={"motion", "partner", "plan_id"}) == b.model_dump(
            exclude={"motion", "partner", "plan_id"})
        if b.partner is not None:
            assert b.partner.performer is not None and b.partner.performer != b.motion.performer
            assert a.partner == b.partner.model_copy(update={"performer": None})
    assert styled[0].plan_id != plain[0].plan_id  # a different plan: its clips differ
    with pytest.raises(ConfigError, match="energy"):
        _config(["wave"], 1, motion={"performer": {"energy": [0.2, 1.0]}})


def test_perform_scales_movement_about_the_mean_pose_bends_the_torso_and_carries_the_arms():
    wave = find_template("wave")
    rot = wave.rotation_array()
    shoulder = JOINT_INDEX["right_shoulder"]

    def spread(r: np.ndarray) -> float:  # how far the shoulder turns over the motion
        return float(quat.angle(quat.multiply(quat.conjugate(r[:, shoulder]), r[:1, shoulder])).max())

    bigger, smaller = perform(rot, 1.2, 0.0, 0.0), perform(rot, 0.8, 0.0, 0.0)
    assert spread(bigger) > 1.1 * spread(rot) > 1.1 * 1.1 * spread(smaller)
    assert np.allclose(perform(rot, 1.0, 0.0, 0.0), rot)

    def joints(r: np.ndarray) -> np.ndarray:
        return forward_kinematics(REFERENCE_REST_JOINTS, r, wave.translation_array())[0]

    head, wrist = JOINT_INDEX["head"], JOINT_INDEX["left_wrist"]
    leaning = joints(perform(rot, 1.0, 12.0, 0.0))
    assert (joints(rot)[:, head, 1] - leaning[:, head, 1]).min() > 0.08  # the head goes forward (-Y)
    carried = joints(perform(rot, 1.0, 0.0, 15.0))
    assert (carried[:, wrist, 0] - joints(rot)[:, wrist, 0]).min() > 0.08  # the idle left arm swings out (+X)


def test_sway_is_planned_only_where_asked_and_moves_hips_torso_and_head_within_its_bounds():
    templates = [find_template("handshake")]
    styled = plan(_config(["handshake"], 6, motion={"performer": {}}), templates)
    swaying = plan(_config(["handshake"], 6, motion={"performer": {"sway_cm": [2.0, 5.0]}}), templates)
    assert '"sway_cm"' not in jobs_jsonl(styled)  # the default: performer lines as they were
    for a, b in zip(styled, swaying, strict=True):
        assert 2.0 <= b.motion.performer.sway_cm <= 5.0 and 2.0 <= b.partner.performer.sway_cm <= 5.0
        assert a.motion.performer == b.motion.performer.model_copy(update={"sway_cm": 0.0})  # drawn last
    with pytest.raises(ConfigError, match="sway_cm"):
        _config(["wave"], 1, motion={"performer": {"sway_cm": [0.0, 12.0]}})

    rot, trans = templates[0].rotation_array(), templates[0].translation_array()
    still = sway(rot, trans, stream_for(1, "sway"), 0.0)
    assert still[0] is rot and still[1] is trans
    # A job resolves to a swaying clip: both actors' hips drift off the performance's path, by at most sway_cm
    # (scaled with the body, as all root motion).
    plain_spec = resolve(styled[0], templates[0], REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
    sway_spec = resolve(swaying[0], templates[0], REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
    for a, b, cm in [(plain_spec.joints_3d, sway_spec.joints_3d, swaying[0].motion.performer.sway_cm),
                     (plain_spec.partner.joints_3d, sway_spec.partner.joints_3d, swaying[0].partner.performer.sway_cm)]:
        off = np.linalg.norm((b - a)[:, 0, :2], axis=1)
        assert 0.005 < off.max() <= cm / 100 + 1e-6
    moved, drifted = sway(rot, trans, stream_for(1, "sway"), 4.0)
    again = sway(rot, trans, stream_for(1, "sway"), 4.0)
    np.testing.assert_array_equal(moved, again[0])  # the job's stream decides it: the same on every machine
    drift = np.linalg.norm((drifted - trans)[:, :2], axis=1)
    assert drift.max() <= 0.04 + 1e-9 and drift.max() > 0.02 and np.all(drifted[:, 2] == trans[:, 2])
    head, spine, knee = JOINT_INDEX["head"], JOINT_INDEX["spine2"], JOINT_INDEX["left_knee"]
    turned = quat.angle(quat.multiply(quat.conjugate(rot[:, head]), moved[:, head]))
    bent = quat.angle(quat.multiply(quat.conjugate(rot[:, spine]), moved[:, spine]))
    assert np.degrees(turned.max()) > 4.0 and np.degrees(bent.max()) > 0.3
    np.testing.assert_array_equal(moved[:, knee], rot[:, knee])  # legs as performed: the whole body drifts
    assert not np.allclose(sway(rot, trans, stream_for(2, "sway"), 4.0)[1], drifted)


def test_the_performance_limit_holds_at_every_count_past_it():
    """MAX_PERFORMANCES a class, the template's own included: 64 load, 65, 66 and 70 are refused, by the farm's
    model and by the add-on's rules alike (tiny one-frame performances)."""
    from blender_addon import rules
    from render_farm.core.template.model import MAX_PERFORMANCES

    tiny = {"fps": 30.0, "frame_count": 1, "rotations": {}, "root_translation": [[0.0, 0.0, 0.0]], "props": [],
            "partner": None}
    base = {"id": "tiny", "label": "tiny", "fps": 30.0, "frame_count": 1, "rotations": {},
            "root_translation": [[0.0, 0.0, 0.0]]}
    motion = rules.Motion(fps=30.0, rotations={}, root_translation=[(0.0, 0.0, 0.0)])
    for total in (MAX_PERFORMANCES - 1, MAX_PERFORMANCES, MAX_PERFORMANCES + 1, MAX_PERFORMANCES + 2, 70):
        doc = {**base, "performances": [{**tiny, "name": f"p{k}"} for k in range(total - 1)]}
        if total <= MAX_PERFORMANCES:
            assert parse_template(doc, "tiny.json").performance_count == total
        else:
            with pytest.raises(TemplateError, match="performances: List should have at most 63 items"):
                parse_template(doc, "tiny.json")
        if total <= MAX_PERFORMANCES - 1:  # the add-on adds one more only below the limit
            assert len(rules.with_performance(doc, "extra", rules.Properties(), motion)["performances"]) == total
        else:
            with pytest.raises(rules.TemplateFileError, match=f"already {total} performances, the limit is 64"):
                rules.with_performance(doc, "extra", rules.Properties(), motion)
