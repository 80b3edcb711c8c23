import json

import numpy as np
import pytest

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.camera import frame_points, look_at, padded
from render_farm.core.geometry.skeleton import REFERENCE_PELVIS_HEIGHT
from render_farm.core.plan.seeding import stream_for
from render_farm.core.scene import motion
from render_farm.templates import find_template


@pytest.fixture(scope="module")
def walk():
    return find_template("walk")


@pytest.fixture(scope="module")
def jump():
    return find_template("jump")


def test_mirror_twice_is_identity(walk):
    rot, trans = walk.rotation_array(), walk.translation_array()
    r2, t2 = motion.mirror(*motion.mirror(rot, trans))
    np.testing.assert_allclose(r2, rot)
    np.testing.assert_allclose(t2, trans)


def test_mirror_swaps_sides(walk):
    rot, trans = walk.rotation_array(), walk.translation_array()
    mrot, _ = motion.mirror(rot, trans)
    from render_farm.core.geometry.skeleton import JOINT_INDEX

    left, right = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
    # The mirrored left hip does what the right hip did, reflected (x axis kept, y and z flipped).
    np.testing.assert_allclose(mrot[:, left], rot[:, right] * [1, 1, -1, -1])


def test_resample_at_integer_frames_reproduces_template(walk, jump):
    for t in (walk, jump):
        rot, trans = motion.resample(t, np.arange(t.frame_count, dtype=float))
        np.testing.assert_allclose(rot, t.rotation_array(), atol=2e-6)  # stored with 6 decimals
        np.testing.assert_allclose(trans, t.translation_array(), atol=1e-9)


def test_one_shot_fits_into_clip_first_and_last_pose(jump):
    frames = motion.source_frames(jump, 32, 16.0, speed=1.0, start_offset=0.0)
    assert frames[0] == 0 and frames[-1] == pytest.approx(jump.frame_count - 1)
    faster = motion.source_frames(jump, 32, 16.0, speed=1.2, start_offset=0.0)
    assert faster.max() == jump.frame_count - 1  # the last pose is held, never extrapolated


def test_a_one_shot_longer_than_the_clip_plays_a_window_at_its_own_speed():
    from render_farm.core.plan.config import DatasetConfig
    from render_farm.core.plan.planner import plan

    long = find_template("jump").model_copy(update={"fps": 10.0})  # 5.3 s of motion into a 1.9 s clip
    frames = motion.source_frames(long, 32, 16.0, speed=1.1, start_offset=12.5)
    np.testing.assert_allclose(np.diff(frames), 1.1 * 10.0 / 16.0)  # never squeezed: the template's own rate
    assert frames[0] == 12.5 and frames[-1] < long.frame_count - 1
    # The planner draws each clip's window inside the motion; the jobs record it.
    config = DatasetConfig(actions=["jump"], clips_per_action=40, frames=32, fps=16.0)
    starts = []
    for job in plan(config, [long]):
        slack = motion.one_shot_slack(long, 32, 16.0, job.motion.speed)
        assert 0.0 <= job.motion.start_offset <= slack + 1e-3
        starts.append(job.motion.start_offset)
    assert max(starts) - min(starts) > 10  # windows differ from clip to clip


def test_whole_action_fits_a_long_one_shot_whole_and_changes_nothing_else():
    from render_farm.core.plan.config import DatasetConfig
    from render_farm.core.plan.planner import plan, plan_identity, plan_settings

    long = find_template("jump").model_copy(update={"fps": 10.0})  # 5.3 s of motion into a 1.9 s clip
    frames = motion.source_frames(long, 32, 16.0, speed=1.1, start_offset=12.5, whole_action=True)
    assert frames[0] == 0 and frames.max() == long.frame_count - 1  # first pose to last, the last held
    np.testing.assert_allclose(np.diff(frames)[:20], 1.1 * (long.frame_count - 1) / 31)  # squeezed, at speed
    windowed = DatasetConfig(actions=["jump"], clips_per_action=12, frames=32, fps=16.0)
    whole = windowed.model_copy(update={"motion": windowed.motion.model_copy(update={"whole_action": True})})
    assert plan_identity(whole) != plan_identity(windowed)
    assert "whole_action" not in json.dumps(plan_settings(windowed))  # older plans keep their identity
    windows = 0
    for a, b in zip(plan(windowed, [long]), plan(whole, [long]), strict=True):
        assert b.motion.whole_action and b.motion.start_offset == 0.0
        windows += a.motion.start_offset > 0.0
        # every other axis samples what it would without
        assert b.model_copy(update={"motion": a.motion, "plan_id": a.plan_id}) == a
        assert '"whole_action":true' in b.model_dump_json() and "whole_action" not in a.model_dump_json()
    assert windows >= 4  # windowed, clips of the long motions started inside it
    # a loop has no whole: its jobs stay as they were
    walk = find_template("walk")
    assert not any(j.motion.whole_action for j in plan(whole.model_copy(update={"actions": ["walk"]}), [walk]))


def test_looping_root_keeps_walking_across_cycles(walk):
    n = walk.frame_count
    _, trans = motion.resample(walk, np.array([0.0, float(n), 2.0 * n]))
    step = trans[1] - trans[0]
    assert step[1] < -0.5  # a stride forward (-Y) per cycle
    np.testing.assert_allclose(trans[2] - trans[1], step, atol=1e-9)
    # Continuity across the wrap: half a frame before the cycle ends lies between its neighbours.
    _, t = motion.resample(walk, np.array([n - 1.0, n - 0.5, float(n)]))
    assert t[0, 1] > t[1, 1] > t[2, 1]


def test_heading_turns_translation_and_root(walk):
    rot, trans = walk.rotation_array(), walk.translation_array()
    hrot, htrans = motion.apply_heading(rot, trans, 90.0)
    np.testing.assert_allclose(htrans[:, 0], -trans[:, 1], atol=1e-9)
    np.testing.assert_allclose(quat.angle(quat.multiply(quat.conjugate(rot[0, 0]), hrot[0, 0])), np.pi / 2, atol=1e-9)


def test_retarget_scales_with_pelvis_height(walk):
    trans = walk.translation_array()
    np.testing.assert_allclose(motion.retarget_translation(trans, REFERENCE_PELVIS_HEIGHT / 2), trans / 2)


def test_look_at_points_camera_minus_z_at_target():
    r = look_at(np.array([0.0, -5.0, 1.0]), np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(r @ [0, 0, -1], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)


def test_camera_coordinates_are_opencv_right_down_forward():
    from render_farm.core.geometry.camera import CameraPose

    location = np.array([0.0, -5.0, 1.0])
    pose = CameraPose(location, look_at(location, np.array([0.0, 0.0, 1.0])), 50.0, 224, 160)
    # The camera looks along world +Y with Z up: world +X is image right, world +Z is image up.
    cam = pose.to_camera(np.array([[0.0, 0.0, 1.0], [1.0, -5.0, 1.0], [0.0, -5.0, 2.0], [0.0, -5.0, 1.0]]))
    np.testing.assert_allclose(cam, [[0, 0, 5], [1, 0, 0], [0, -1, 0], [0, 0, 0]], atol=1e-12)
    uv, depth = pose.project(np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(uv, [112, 80], atol=1e-9)
    assert depth == pytest.approx(5.0)


@pytest.mark.parametrize("az,el,focal", [(0, 0, 35), (60, 15, 50), (-45, 30, 85)])
def test_framing_keeps_every_point_in_frame(az, el, focal):
    pts = np.random.default_rng(1).uniform([-1, -1, 0], [1, 1, 1.8], size=(200, 3))
    pose = frame_points(padded(pts), az, el, focal, 224, 160)
    uv, depth = pose.project(pts)
    assert np.all(depth > 0)
    assert np.all((uv >= 0) & (uv <= [224, 160]))
    # Tight: the padded set reaches close to the fill margin on some side.
    uvp, _ = pose.project(padded(pts))
    assert np.max(np.abs(uvp - [112, 80]) / [112, 80]) > 0.8
    centre, _ = pose.project((padded(pts).min(0) + padded(pts).max(0)) / 2)
    np.testing.assert_allclose(centre, [112, 80], atol=1e-6)


@pytest.mark.parametrize("action,tracking", [("run", True), ("walk", True), ("wave", False), ("squat", False)])
def test_travelling_actors_are_tracked_and_fill_the_frame(action, tracking):
    from render_farm.core.geometry.skeleton import REFERENCE_REST_JOINTS
    from render_farm.core.plan.config import parse_config
    from render_farm.core.plan.planner import plan
    from render_farm.core.scene.clip_spec import resolve

    config = parse_config({"actions": [action], "clips_per_action": 3, "frames": 32, "fps": 16}, "t")
    for job in plan(config, [find_template(action)]):
        spec = resolve(job, find_template(action), REFERENCE_REST_JOINTS)
        assert spec.tracking is tracking
        uv = spec.joints_2d
        assert np.all((uv >= 0) & (uv <= 224))
        heights = uv[..., 1].max(axis=1) - uv[..., 1].min(axis=1)
        assert heights.mean() > 0.35 * 224, (job.job_id, heights.mean())
        moving = tracking or job.camera.motion in ("orbit",)
        assert len({tuple(c.location) for c in spec.cameras}) == (32 if moving else 1)


def test_time_warp_keeps_first_and_last_pose_and_never_runs_backwards():
    u = np.linspace(0, 1, 101)
    for a1, a2 in [(0.3, 0.1), (-0.45, 0.0), (0.2, -0.25)]:
        w = motion.time_warp(u, a1, a2)
        assert w[0] == 0.0 and w[-1] == pytest.approx(1.0)
        assert np.all(np.diff(w) > 0)
        assert np.abs(w - u).max() > 0.01
    with pytest.raises(ValueError, match="time warp amplitudes"):
        motion.time_warp(u, 0.7, 0.4)
    jump = find_template("jump")
    plain = motion.source_frames(jump, 32, 16, 1.0, 0.0)
    warped = motion.warped_source_frames(jump, 32, 16, 1.0, 0.0, 0.3, -0.1)
    assert warped[0] == plain[0] and warped[-1] == pytest.approx(plain[-1])
    assert not np.allclose(warped, plain)


def test_joint_noise_stays_within_its_amplitude_and_is_smooth(walk):
    rot = walk.rotation_array()
    noisy = motion.joint_noise(rot, stream_for(3, "joint_noise"), 5.0)
    delta = quat.angle(quat.multiply(quat.conjugate(rot), noisy))
    assert np.degrees(delta[:, 1:].max()) == pytest.approx(5.0, abs=1e-6)  # reaches, never exceeds
    assert np.all(delta[:, 0] < 1e-9)  # the root is left alone
    step = np.degrees(np.abs(np.diff(delta, axis=0))).max()
    assert step < 2.0  # smooth over time: small change from frame to frame
    np.testing.assert_array_equal(motion.joint_noise(rot, stream_for(3, "joint_noise"), 0.0), rot)


@pytest.mark.parametrize("kind", ["pan", "orbit", "shake"])
def test_moving_cameras_keep_the_actor_framed(kind):
    from render_farm.core.geometry.skeleton import REFERENCE_REST_JOINTS
    from render_farm.core.plan.config import parse_config
    from render_farm.core.plan.planner import plan
    from render_farm.core.scene.clip_spec import resolve

    config = parse_config({"actions": ["wave"], "clips_per_action": 3, "camera": {"motion": {"choice": [kind]}}},
                          "t")
    for job in plan(config, [find_template("wave")]):
        assert job.camera.motion == kind and job.camera.motion_deg > 0
        spec = resolve(job, find_template("wave"), REFERENCE_REST_JOINTS)
        uv = spec.joints_2d
        assert np.all((uv >= 0) & (uv <= 224))
        rotations = {c.rotation.tobytes() for c in spec.cameras}
        assert len(rotations) == 32  # the view changes every frame
