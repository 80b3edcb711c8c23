import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from render_farm.core.template.checks import posed_points
from render_farm.core.template.model import (
    ActionTemplate,
    TemplateError,
    load_template,
    save_template,
    template_json,
    template_json_schema,
)
from render_farm.templates import BUILTIN_DIR, UnknownActionError, find_template, load_library, template_paths
from tools.authoring import lowest_point
from tools.families import build_library

REPO = Path(__file__).resolve().parents[2]


def test_builtin_library_has_distinct_valid_actions():
    library = load_library()
    assert len(library) >= 150
    ids = [t.id for t in library]
    assert len(set(ids)) == len(ids)
    families = {t.family for t in library}
    assert families == {"locomotion", "gesture", "posture", "exercise", "object", "interaction"}
    assert sum(t.actors == 2 for t in library) >= 10
    assert sum(bool(t.props) for t in library) >= 20
    for t in library:
        # A loop is one cycle (a skipping rope turns twice a second); a one-shot lasts at least 0.6 s.
        assert t.frame_count >= (12 if t.loops else 18) and t.description, t.id
        # Every action moves: some body point (a joint, the tip of the head, a hand or a foot, the face) moves
        # 8 cm away from where it starts, relative to the pelvis (shaking the head moves the nose 9 cm).
        pts = posed_points(t.rotation_array(), t.translation_array())
        rel = pts - pts[:, :1]
        assert np.linalg.norm(rel - rel[:1], axis=-1).max() > 0.08, t.id
        # Nothing sinks deep into the floor on the reference body.
        assert lowest_point(t) > -0.1, t.id


@pytest.mark.slow
def test_stored_library_is_authored_through_the_addon_and_in_sync(tmp_path):
    """The built-ins are keyed in Blender through the add-on's operators (tools/author_templates.py);
    rerunning that gives the stored files, within float noise."""
    # About 2 minutes on a quiet 2-core machine (157 classes and 112 further performances); a busy one may
    # take several times that.
    done = subprocess.run([sys.executable, "-m", "tools.author_templates", str(tmp_path)],
                          capture_output=True, text=True, timeout=1200, check=False,
                          env={**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "profile")})
    assert done.returncode == 0, done.stderr[-3000:]
    specs = build_library()
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(s.id for s in specs)
    for spec in specs:
        fresh, stored = load_template(tmp_path / f"{spec.id}.json"), load_template(BUILTIN_DIR / f"{spec.id}.json")
        assert (BUILTIN_DIR / f"{spec.id}.json").read_text() == template_json(stored)
        assert fresh.performance_count == stored.performance_count == 1 + len(spec.performances), spec.id
        for k in range(fresh.performance_count):  # each performance, within float noise
            a, b = fresh.performance(k), stored.performance(k)
            motion = {"rotations", "root_translation", "partner"}
            assert a.model_dump(exclude=motion) == b.model_dump(exclude=motion), \
                f"{spec.id}.json is stale: run `make templates`"
            for x, y in [(a, b)] + ([(a.partner, b.partner)] if a.partner is not None else []):
                assert np.abs(x.rotation_array() - y.rotation_array()).max() < 2e-6, (spec.id, k)
                assert np.abs(x.translation_array() - y.translation_array()).max() < 2e-6, (spec.id, k)
        assert fresh.frame_count == spec.frame_count and fresh.loops == spec.loops
        assert [p.name for p in fresh.performances] == [name for name, _ in spec.performances]


def test_schema_doc_is_in_sync():
    doc = json.loads((REPO / "docs" / "template.schema.json").read_text())
    assert doc == template_json_schema(), "docs/template.schema.json is stale: run `make templates`"


def test_round_trip(tmp_path):
    t = find_template("wave")
    save_template(t, tmp_path / "wave.json")
    again = load_template(tmp_path / "wave.json")
    assert again == ActionTemplate.model_validate(json.loads(template_json(t)))
    assert not list(tmp_path.glob(".*.tmp"))


def _bad(tmp_path, mutate) -> str:
    data = json.loads((BUILTIN_DIR / "clap.json").read_text())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TemplateError) as err:
        load_template(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and "\n" not in msg
    return msg


def test_nan_rotation_is_rejected_naming_field(tmp_path):
    def mutate_float(d):
        d["rotations"]["left_shoulder"][3][0] = float("nan")

    msg = _bad(tmp_path, mutate_float)
    assert "rotations.left_shoulder[3] contains NaN" in msg


def test_non_unit_quaternion_is_rejected(tmp_path):
    msg = _bad(tmp_path, lambda d: d["rotations"]["right_elbow"].__setitem__(5, [2, 0, 0, 0]))
    assert "rotations.right_elbow[5] is not a unit quaternion (norm 2.0000)" in msg


def test_unknown_joint_is_rejected(tmp_path):
    msg = _bad(tmp_path, lambda d: d["rotations"].__setitem__("left_tail", d["rotations"]["left_shoulder"]))
    assert "rotations: unknown joint 'left_tail'" in msg


def test_inconsistent_frame_counts_are_rejected(tmp_path):
    msg = _bad(tmp_path, lambda d: d["root_translation"].pop())
    assert "root_translation has 17 frames, frame_count is 18" in msg
    msg = _bad(tmp_path, lambda d: d["rotations"]["left_elbow"].pop())
    assert "rotations.left_elbow has 17 frames, frame_count is 18" in msg


def test_empty_template_is_rejected(tmp_path):
    def empty(d):
        d["frame_count"] = 0
        d["rotations"] = {}
        d["root_translation"] = []

    assert "frame_count: Input should be greater than or equal to 1" in _bad(tmp_path, empty)


def test_bad_speed_range_and_malformed_json(tmp_path):
    msg = _bad(tmp_path, lambda d: d["randomization"].__setitem__("speed", [1.3, 0.8]))
    assert "randomization.speed: speed range min 1.3 is greater than max 0.8" in msg
    path = tmp_path / "broken.json"
    path.write_text('{"id": "x",')
    with pytest.raises(TemplateError, match=r"broken.json: not valid JSON \(line 1"):
        load_template(path)


def test_unknown_action_and_user_folder_override(tmp_path):
    with pytest.raises(UnknownActionError, match="unknown action 'moonwalk'"):
        find_template("moonwalk")
    t = find_template("clap").model_copy(update={"id": "slow_clap", "label": "slow clap"})
    save_template(t, tmp_path / "slow_clap.json")
    assert find_template("slow_clap", [tmp_path]).label == "slow clap"
    assert "slow_clap" in template_paths([tmp_path]) and "slow_clap" not in template_paths()
