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
from tools.performance_styles import played

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


# Re-authored in Blender by the sync test: a class of each family, among them a loop (walk), a held prop, two
# people, a style made milder by the checks (rise_from_kneeling) and a repeat left out (kneel_down). (Twelve
# classes took 100 s of the suite; a vocabulary change shows in any family's class and in the next test.)
AUTHORED_SAMPLE = ("walk", "wave", "kneel_down", "rise_from_kneeling", "jumping_jacks", "drink_from_cup", "hug")


def _motion_close(a, b, where) -> None:
    for x, y in [(a, b)] + ([(a.partner, b.partner)] if a.partner is not None or b.partner is not None else []):
        rx, ry = x.rotation_array(), y.rotation_array()
        rx = np.where((rx * ry).sum(axis=-1, keepdims=True) < 0, -rx, rx)  # q and -q are one rotation
        assert np.abs(rx - ry).max() < 2e-6, where
        assert np.abs(x.translation_array() - y.translation_array()).max() < 2e-6, where


@pytest.mark.slow
def test_stored_library_is_authored_through_the_addon_and_in_sync(tmp_path):
    """The built-ins are keyed in Blender through the add-on's operators (tools/author_templates.py);
    rerunning that gives the stored files, within float noise, and the motion tools.performance_styles.played
    expects from the keys (what the next test holds every class to)."""
    done = subprocess.run([sys.executable, "-m", "tools.author_templates", str(tmp_path), "--only",
                           ",".join(AUTHORED_SAMPLE)],
                          capture_output=True, text=True, timeout=1200, check=False,
                          env={**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "profile")})
    assert done.returncode == 0, done.stderr[-3000:]
    specs = build_library(set(AUTHORED_SAMPLE))
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(AUTHORED_SAMPLE)
    for spec in specs:
        fresh, stored = load_template(tmp_path / f"{spec.id}.json"), load_template(BUILTIN_DIR / f"{spec.id}.json")
        assert fresh.performance_count == stored.performance_count == 1 + len(spec.performances), spec.id
        for k, keyed in enumerate([spec] + [p for _, p in spec.performances]):
            a, b = fresh.performance(k), stored.performance(k)
            motion = {"rotations", "root_translation", "partner"}
            assert a.model_dump(exclude=motion) == b.model_dump(exclude=motion), \
                f"{spec.id}.json is stale: run `make templates`"
            _motion_close(a, b, (spec.id, k))
            _motion_close(played(keyed), a, (spec.id, k, "played"))
        assert [p.name for p in fresh.performances] == [name for name, _ in spec.performances]


@pytest.mark.slow
def test_every_stored_class_plays_its_keys():
    """Every class's own motion stored is what its keys play now (tools.performance_styles.played, which the
    test above holds to Blender's export), and every class has its performances under their names: a change
    to the vocabulary without `make templates` fails here. (Building every further performance takes minutes:
    those are compared for the classes re-authored above.)"""
    from tools.families import FAMILIES, PERFORMANCE_STYLES
    from tools.performance_styles import STYLES, style_name

    for family, makers in FAMILIES.items():
        for make in makers:
            spec = make()
            names = ([s.name for s in PERFORMANCE_STYLES[family]] if family in PERFORMANCE_STYLES
                     else [style_name(spec, s) for s in STYLES])
            path = BUILTIN_DIR / f"{spec.id}.json"
            stored = load_template(path)
            assert path.read_text() == template_json(stored), spec.id
            assert [p.name for p in stored.performances] == names, spec.id
            assert (stored.frame_count, stored.loops, stored.family) == (spec.frame_count, spec.loops, family)
            _motion_close(played(spec), stored.performance(0), f"{spec.id}: stale, run `make templates`")


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
