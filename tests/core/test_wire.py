"""core.scene.wire: what crosses to a Blender application and back, with no pickle."""

from __future__ import annotations

import numpy as np
import pytest

from render_farm.core.geometry.camera import CameraPose
from render_farm.core.scene import wire
from render_farm.core.scene.spec import ActorTrack, ClipSpec, FrameTruth, PropTrack, RenderedFrames


def spec() -> ClipSpec:
    rng = np.random.default_rng(0)
    cams = tuple(CameraPose(rng.normal(size=3), np.eye(3), 35.0, 64, 48) for _ in range(2))
    partner = ActorTrack(rng.normal(size=(2, 24, 4)), rng.normal(size=(2, 3)), rng.normal(size=(2, 24, 3)),
                         rng.normal(size=(2, 24, 4)))
    prop = PropTrack("cup", "cylinder", (0.08, 0.08, 0.1), rng.normal(size=(2, 3)), rng.normal(size=(2, 4)),
                     np.array([0, -1]))
    return ClipSpec(rng.normal(size=(2, 24, 4)), rng.normal(size=(2, 3)), rng.normal(size=(2, 24, 3)), cams,
                    np.array([0.0, 1.5]), True, partner, (prop,))


def test_a_spec_and_rendered_frames_come_back_equal(tmp_path):
    sent = spec()
    truth = FrameTruth((1.0, 2.5, 30.0, 40.0), np.ones((17, 3)), np.ones(24, bool), np.zeros(17, bool))
    rendered = RenderedFrames({"build_s": 0.1, "render_s": 1.0, "annotate_s": 0.0, "passes_s": 0.0}, [truth, truth],
                              None, "CPU", {"mask": np.zeros((2, 4, 4), np.uint8)}, 500.5, 42, "Blender 3.4.1 at x")
    wire.save(tmp_path / "w.npz", {"spec": sent, "rendered": rendered, "n": np.int64(3), "job": {"a": [1, None]}})
    back = wire.load(tmp_path / "w.npz")
    got = back["spec"]
    assert isinstance(got, ClipSpec) and got.tracking is True and isinstance(got.cameras, tuple)
    assert np.array_equal(got.rotations, sent.rotations) and np.array_equal(got.partner.joints_3d,
                                                                            sent.partner.joints_3d)
    assert got.cameras[1].focal_mm == 35.0 and np.array_equal(got.cameras[1].location, sent.cameras[1].location)
    assert got.props[0].size_m == (0.08, 0.08, 0.1) and got.props[0].held_by.tolist() == [0, -1]
    assert np.array_equal(got.joints_2d, sent.joints_2d)
    r = back["rendered"]
    assert r.truths[1].bbox == (1.0, 2.5, 30.0, 40.0) and r.truths[0].joint_visible.dtype == bool
    assert r.passes["mask"].dtype == np.uint8 and r.pid == 42 and r.partner_truths is None
    assert back["n"] == 3 and type(back["n"]) is int and back["job"] == {"a": [1, None]}


def test_only_the_known_kinds_are_sent_or_rebuilt(tmp_path):
    class Other:
        pass

    with pytest.raises(wire.WireError, match="cannot send a Other"):
        wire.save(tmp_path / "x.npz", {"x": Other()})
    with pytest.raises(wire.WireError, match="must be strings not starting with '__'"):
        wire.save(tmp_path / "x.npz", {"__kind__": "ClipSpec"})
    # A file naming another class is refused, and arrays of objects are never unpickled.
    np.savez(tmp_path / "k.npz", __meta__=np.frombuffer(b'{"__kind__": "Popen", "fields": {}}', np.uint8))
    with pytest.raises(wire.WireError, match="unknown kind 'Popen'"):
        wire.load(tmp_path / "k.npz")
    np.savez(tmp_path / "o.npz", __meta__=np.frombuffer(b'{"__array__": "a0"}', np.uint8),
             a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        wire.load(tmp_path / "o.npz")


def test_plain_reads_a_jobs_json_like_the_model():
    job = wire.Plain.of({"render": {"width": 64, "passes": ["mask"]}, "partner": None,
                         "appearance": {"colors": {"top": [0.1, 0.2, 0.3]}}})
    assert job.render.width == 64 and job.render.passes == ["mask"] and job.partner is None
    assert job.appearance.colors.get("top") == [0.1, 0.2, 0.3] and job.appearance.colors.get("shoes") is None
    with pytest.raises(AttributeError, match="engine"):
        job.render.engine  # noqa: B018
