"""The Blender add-on, run inside real Blender (the bpy module, background mode) in clean user profiles.

Scenarios run in their own processes (tests/addon/scenarios.py): bpy cannot share a
process with torch, and every scenario starts from a fresh Blender.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from render_farm.addon_package import addon_dir, build_addon, skeleton_json
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.kinematics import forward_kinematics
from render_farm.core.geometry.skeleton import JOINT_NAMES, REFERENCE_REST_JOINTS
from render_farm.core.template.model import load_template, template_json
from render_farm.templates import BUILTIN_DIR

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "tests" / "addon" / "scenarios.py"
SYNTHACT = Path(sys.executable).parent / "synthact"
# Blender 4.2 LTS (`make test` installs the bpy 4.2 wheel there): the scenarios run on it too.
BPY42_PYTHON = Path(os.environ.get("SYNTHACT_BPY42_PYTHON", REPO / ".venv-bpy42" / "bin" / "python"))
BLENDERS = [pytest.param(sys.executable, id="bpy-module")] + [  # this Python's bpy: 5.0.1 (3.11) or 5.1 (3.13)
    pytest.param(str(BPY42_PYTHON), id="bpy4.2",
                 marks=pytest.mark.skipif(not BPY42_PYTHON.exists() and not os.environ.get("CI"),
                                          reason="no bpy 4.2 environment (make test builds .venv-bpy42)"))
]


@pytest.fixture(params=BLENDERS)
def blender_python(request) -> str:
    return request.param


def run_scenario(tmp_path: Path, name: str, *args: str, timeout: int = 300, python: str = sys.executable) -> dict:
    result = tmp_path / f"{name}.json"
    profile = tmp_path / f"profile-{name}"
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(profile)}
    done = subprocess.run([python, str(SCENARIOS), name, str(result), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    return json.loads(result.read_text())


@pytest.fixture(scope="module")
def addon_zip(tmp_path_factory) -> Path:
    return build_addon(tmp_path_factory.mktemp("dist"))


def test_zip_is_an_extension_with_manifest_and_no_caches(addon_zip):
    assert addon_zip.name == "synthact-0.1.0.zip"
    names = zipfile.ZipFile(addon_zip).namelist()
    assert {"blender_manifest.toml", "__init__.py", "skeleton.json", "maps/cmu.json", "maps/mixamo.json"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    manifest = zipfile.ZipFile(addon_zip).read("blender_manifest.toml").decode()
    for line in ('id = "synthact"', 'blender_version_min = "4.2.0"', 'type = "add-on"', "[permissions]", "files = "):
        assert line in manifest


def test_addon_skeleton_data_matches_the_farm():
    assert (addon_dir() / "skeleton.json").read_text() == skeleton_json(), "run `synthact addon build`"


def test_a_performance_added_by_the_addon_rules_is_written_as_the_farm_writes_it():
    """blender_addon/rules.py (plain Python) adds a performance to a template document in the farm's layout;
    what it refuses, it refuses by name."""
    from blender_addon import rules

    handshake = json.loads((BUILTIN_DIR / "handshake.json").read_text())
    props, motion = rules.read_template(BUILTIN_DIR / "handshake.json", performance=3)
    assert motion.frame_count == load_template(BUILTIN_DIR / "handshake.json").performance(3).frame_count
    single = {**handshake, "performances": []}
    doc = rules.with_performance(single, "again", props, motion)
    text = rules.template_text(doc)
    parsed = load_template_text(text)
    assert text == template_json(parsed) and parsed.performance_count == 2
    assert parsed.performance(1).frame_count == motion.frame_count
    for name, message in [("again", "handshake: a performance is already named 'again'"),
                          ("main", "handshake: a performance is already named 'main'"),
                          ("Bad Name", "performance name 'Bad Name' must be lowercase")]:
        with pytest.raises(rules.TemplateFileError, match=message):
            rules.with_performance(doc, name, props, motion)
    motion.partner = None
    with pytest.raises(rules.TemplateFileError, match="every performance of a two-person action has a partner"):
        rules.with_performance(doc, "solo", props, motion)
    count = load_template(BUILTIN_DIR / "handshake.json").performance_count
    with pytest.raises(rules.TemplateFileError, match=f"there is no performance {count}"):
        rules.read_template(BUILTIN_DIR / "handshake.json", performance=count)


def load_template_text(text: str):
    from render_farm.core.template.model import parse_template

    return parse_template(json.loads(text), "text")


def test_shipped_joint_maps_name_canonical_joints():
    for name in ("cmu", "mixamo"):
        joints = json.loads((addon_dir() / "maps" / f"{name}.json").read_text())["joints"]
        assert set(joints.values()) == set(JOINT_NAMES), name  # every joint driven, none twice
        assert len(joints) == len(JOINT_NAMES)


def test_installs_in_a_clean_profile_and_unregisters_completely(tmp_path, addon_zip, blender_python):
    out = run_scenario(tmp_path, "install_and_toggle", addon_zip, python=blender_python)
    assert out["enabled"] == [True, True]
    assert {"add_rig", "validate", "export_template", "import_bvh", "preview_variant", "refresh_library",
            "load_template"} <= set(out["operators"])
    assert "Scene.synthact" in out["registered"] and "Action.synthact" in out["registered"]
    assert "SYNTHACT_PT_main" in out["registered"]
    for cycle in out["cycles"]:  # register/unregister twice
        assert cycle["after_disable"] == []
        assert cycle["after_enable"] == out["registered"]
    assert out["final"] == []


def test_registers_as_a_legacy_addon(tmp_path, blender_python):
    out = run_scenario(tmp_path, "legacy", addon_dir().parent, python=blender_python)
    assert out["module"] == "blender_addon" and out["bl_info_name"] == "SynthAct"
    assert out["bones"] == 24
    assert out["final"] == []


@pytest.mark.slow
def test_author_export_validate_render_and_round_trip(tmp_path, addon_zip, body_dir, blender_python):
    library = tmp_path / "library"
    roundtrip = tmp_path / "roundtrip"
    out = run_scenario(tmp_path, "author", addon_zip, library, BUILTIN_DIR / "walk.json", roundtrip,
                       python=blender_python)
    assert out["add_rig"]["result"] == ["FINISHED"]
    assert out["validate"]["result"] == ["FINISHED"], out["validate"]
    assert out["export"]["result"] == ["FINISHED"] and out["reexport"]["result"] == ["FINISHED"]
    assert out["library_files"] == ["raise_left_arm.json"]  # overwritten in place, no temporary left

    # The farm's model accepts the file, and both sides write the same text.
    path = library / "raise_left_arm.json"
    t = load_template(path)
    assert path.read_text() == template_json(t)
    assert (t.id, t.label, t.fps, t.frame_count, t.loops) == ("raise_left_arm", "raise left arm", 24.0, 24, False)
    assert t.description == "Raising the left arm sideways, and lowering it."
    assert t.randomization.speed == (0.8, 1.2) and not t.randomization.mirror and t.randomization.joint_noise_deg == 4
    assert set(t.rotations) == {"left_shoulder", "left_elbow", "spine2"}
    # Blender's posed rig at frame 12 equals the farm's forward kinematics of the exported template.
    pos, _ = forward_kinematics(REFERENCE_REST_JOINTS, t.rotation_array(), t.translation_array())
    blender = np.array([out["joints_at_12"][n] for n in JOINT_NAMES])
    assert np.abs(pos[11] - blender).max() < 1e-4
    wrist = JOINT_NAMES.index("left_wrist")
    assert np.linalg.norm(pos[11, wrist] - REFERENCE_REST_JOINTS[wrist]) > 0.3  # the arm really moved

    # A second performance, added to the template (the class's settings stay); the same name again, and a
    # class not exported yet, are refused.
    assert out["add_performance"]["result"] == ["FINISHED"], out["add_performance"]
    assert [p.name for p in t.performances] == ["raise_right_arm"] and t.performance_count == 2
    right = t.performance(1)
    assert (right.label, right.frame_count, right.randomization.mirror) == ("raise left arm", 30, False)
    assert set(right.rotations) == {"right_shoulder", "right_elbow"}
    _cancelled(out["add_performance_again"], "raise_left_arm: a performance is already named 'raise_right_arm'")
    _cancelled(out["add_performance_nowhere"], "no template 'not_exported_yet' to add the performance to")

    # Library browser: listed, loaded back onto the rig with its properties, either performance.
    assert out["refresh"]["result"] == ["FINISHED"]
    assert out["library"] == [["raise_left_arm", "raise left arm", 24, 2]]
    assert out["loaded_action"] == "raise_left_arm" and out["loaded_props"] == ["raise_left_arm", False]
    assert out["load_performance"]["result"] == ["FINISHED"]
    assert out["loaded_performance"] == ["raise_left_arm", "raise left arm", 30]
    _cancelled(out["load_missing_performance"], "the template has 2 performance(s), there is no performance 2")

    # Round trip of a built-in looping template: JSON -> action -> JSON, within float tolerance.
    assert out["load_builtin"]["result"] == ["FINISHED"] and out["fps_after_builtin"] == 30.0
    assert out["roundtrip_export"]["result"] == ["FINISHED"]
    a, b = load_template(BUILTIN_DIR / "walk.json"), load_template(roundtrip / "walk.json")
    assert (a.id, a.frame_count, a.loops, a.fps, a.randomization) == (b.id, b.frame_count, b.loops, b.fps,
                                                                       b.randomization)
    turn = quat.angle(quat.multiply(quat.conjugate(a.rotation_array()), b.rotation_array()))
    assert turn.max() < 1e-5
    assert np.abs(a.translation_array() - b.translation_array()).max() < 1e-5

    # The exported template renders through the farm.
    from render_farm import pipeline
    from render_farm.core.plan.config import parse_config
    from render_farm.dataset.verify import decode_stats

    cfg = parse_config({"seed": 1, "actions": ["raise_left_arm"], "template_dirs": [str(library)],
                        "clips_per_action": 1, "frames": 8, "fps": 12, "resolution": [64, 64], "engine": "workbench",
                        "val_fraction": 0.0}, "test")
    summary = pipeline.render(cfg, tmp_path / "ds", body_dir, 1)
    assert summary.rendered == 1 and not summary.failed
    job = pipeline.load_jobs(tmp_path / "ds")[0]
    assert decode_stats(tmp_path / "ds" / job.clip_path)[0] == 8
    assert json.loads((tmp_path / "ds" / job.label_path).read_text())["action_id"] == "raise_left_arm"


def _cancelled(report: dict, *fragments: str) -> None:
    assert report["result"] == ["CANCELLED"], report
    assert report["error"] is not None and "\n" not in report["error"]
    for f in fragments:
        assert f in report["error"], report["error"]


def test_bad_input_is_cancelled_with_a_message_and_writes_nothing(tmp_path, addon_zip, blender_python):
    garbage = tmp_path / "garbage.bvh"
    garbage.write_bytes(b"HIERARCHY\nROOT Hips\n{ OFFSET 0 zero nonsense\n\x00\x01")
    bad_map = tmp_path / "my_map.json"
    bad_map.write_text(json.dumps({"joints": {"Hips": "pelvis", "LeftForeArm": "left_elbw"}}))
    good = tmp_path / "good.bvh"
    good.write_text(canonical_bvh())
    library = tmp_path / "library"
    out = run_scenario(tmp_path, "bad_input", addon_zip, library, garbage, bad_map, good, python=blender_python)
    _cancelled(out["no_action"], "has no action")
    _cancelled(out["no_keys"], "action 'empty' has no keys on the rig's joints")
    _cancelled(out["no_id"], "id: missing")
    _cancelled(out["bad_id"], "id: 'Bad Id' must start with a lower-case letter")
    _cancelled(out["garbage_bvh"], f"{garbage}: not a readable BVH file")
    _cancelled(out["bad_map"], f"{bad_map}: joints.LeftForeArm: unknown canonical joint 'left_elbw'")
    _cancelled(out["missing_bvh"], "file not found")
    _cancelled(out["bad_template"], f"{garbage}: not a template JSON file")
    assert out["fps_kept"] and out["objects_unchanged"] and out["actions_unchanged"]
    assert out["library_files"] == []


# --- BVH: a small real hierarchy with the reference proportions, written in centimetres (Y up).

CMU_NAMES = {v: k for k, v in json.loads((REPO / "blender_addon" / "maps" / "cmu.json").read_text())["joints"].items()}
MIXAMO_NAMES = {v: f"mixamorig:{k}" for k, v in
                json.loads((REPO / "blender_addon" / "maps" / "mixamo.json").read_text())["joints"].items()}


def _to_file(v) -> tuple[float, float, float]:
    """Blender world (Z up, facing -Y) -> BVH file axes (Y up, facing +Z), centimetres."""
    return (100 * v[0], 100 * v[2], -100 * v[1])


def canonical_bvh(names: dict[str, str] = CMU_NAMES, frames: int = 20) -> str:
    from render_farm.core.geometry.skeleton import PARENTS, bone_tail

    children = {j: [c for c in range(len(JOINT_NAMES)) if PARENTS[c] == j] for j in range(len(JOINT_NAMES))}
    lines = ["HIERARCHY"]

    def joint(j: int, depth: int) -> None:
        pad = "  " * depth
        parent = PARENTS[j]
        offset = REFERENCE_REST_JOINTS[j] - (REFERENCE_REST_JOINTS[parent] if parent >= 0 else 0)
        lines.append(f"{pad}{'ROOT' if parent < 0 else 'JOINT'} {names[JOINT_NAMES[j]]}")
        lines.append(pad + "{")
        lines.append(pad + "  OFFSET {:.4f} {:.4f} {:.4f}".format(*_to_file(offset)))
        channels = "6 Xposition Yposition Zposition" if parent < 0 else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        for c in children[j]:
            joint(c, depth + 1)
        if not children[j]:
            end = bone_tail(REFERENCE_REST_JOINTS, j) - REFERENCE_REST_JOINTS[j]
            x, y, z = _to_file(end)
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {x:.4f} {y:.4f} {z:.4f}", f"{pad}  }}"])
        lines.append(pad + "}")

    joint(0, 0)
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"]
    order = []

    def walk(j: int) -> None:
        order.append(j)
        for c in children[j]:
            walk(c)

    walk(0)
    for f in range(frames):
        s = f / (frames - 1)
        rot = {  # (z, x, y) degrees in file axes, each about the joint's parent-aligned axes
            "left_shoulder": (70 * math.sin(math.pi * s), 0.0, 20 * s),  # raise the arm, swing it forward
            "left_elbow": (0.0, 0.0, 50 * s),
            "spine2": (0.0, 10 * s, 25 * math.sin(math.pi * s)),  # bend and twist the chest
            "right_hip": (0.0, 30 * s, 0.0),
            "right_knee": (0.0, -40 * s, 0.0),
        }
        values = []
        for j in order:
            if j == 0:
                root = _to_file(REFERENCE_REST_JOINTS[0] + np.array([0.3 * s, -0.2 * s, 0.04 * math.sin(math.pi * s)]))
                values += [*root, 0.0, 0.0, 0.0]
            else:
                values += list(rot.get(JOINT_NAMES[j], (0.0, 0.0, 0.0)))
        lines.append(" ".join(f"{v:.4f}" for v in values))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("naming", ["CMU", "MIXAMO"])
def test_bvh_imports_and_retargets_onto_the_rig(tmp_path, addon_zip, naming, blender_python):
    path = tmp_path / "reach_and_step.bvh"
    path.write_text(canonical_bvh(CMU_NAMES if naming == "CMU" else MIXAMO_NAMES))
    out = run_scenario(tmp_path, "bvh", addon_zip, path, naming, python=blender_python)
    assert out["import"]["result"] == ["FINISHED"], out["import"]
    assert out["action"][0] == "reach_and_step" and out["action"][1] == [1.0, 20.0]
    assert out["action"][2] == "reach_and_step"
    assert abs(out["fps"] - 30.0) < 0.01
    assert set(out["objects"]) - {"Camera", "Cube", "Light"} == {"SynthAct Rig"}  # the source armature is gone
    for joint in ("left_wrist", "right_ankle", "head"):
        src = np.array(out["source"][joint]) / 100.0  # centimetres
        rig = np.array(out["rig"][joint])
        err = np.linalg.norm(src - rig, axis=1)
        assert err.max() < 0.005, (joint, err.max())
        assert np.linalg.norm(src - src[0], axis=1).max() > 0.1  # the joint really moved
    # Id and label come from the file name, so the mocap is a valid template straight away.
    assert out["export"]["result"] == ["FINISHED"], out["export"]
    t = load_template(tmp_path / "lib" / "reach_and_step.json")
    assert (t.label, t.frame_count, t.fps) == ("reach and step", 20, 30.0)


@pytest.mark.slow
def test_preview_variant_renders_through_the_farm_and_shows_the_clip(tmp_path, addon_zip, body_dir, blender_python):
    out = run_scenario(tmp_path, "preview", addon_zip, BUILTIN_DIR / "clap.json", SYNTHACT, timeout=600,
                       python=blender_python)
    assert out["load"]["result"] == ["FINISHED"]
    assert out["preview"]["result"] == ["FINISHED"], out["preview"]
    [(name, source, frames, size, path)] = out["images"]
    assert name == "SynthAct preview clap-seed5" and source == "MOVIE"
    assert frames == load_template(BUILTIN_DIR / "clap.json").frame_count and size == [96, 96]
    label = json.loads(Path(path).with_suffix(".json").read_text())
    assert (label["action_id"], label["width"], label["frame_count"]) == ("clap", 96, frames)
    _cancelled(out["no_command"], "synthact command '/nonexistent/synthact' not found")


def test_rig_with_a_preview_body_skins_it(tmp_path, addon_zip, default_body, body_dir, blender_python):
    from render_farm.bodies.baked.cache import body_path
    from render_farm.core.plan.jobs import BodyParams
    from tests.conftest import DEFAULT_PHENOTYPE

    baked = body_path(body_dir, BodyParams(phenotype=DEFAULT_PHENOTYPE))
    not_a_body = tmp_path / "notes.npz"
    not_a_body.write_bytes(b"not a zip")
    out = run_scenario(tmp_path, "body", addon_zip, baked, not_a_body, python=blender_python)
    _cancelled(out["bad"], f"{not_a_body}: not a baked body file")
    assert out["objects_after_bad"] == ["Cube"]  # nothing added
    assert out["add"]["result"] == ["FINISHED"]
    assert out["mesh"] == {"vertices": len(default_body.vertices), "groups": 24, "modifier": ["ARMATURE"],
                           "parent": "SynthAct Rig"}
    assert out["unweighted"] == 0  # every vertex follows the bones (none left behind in the rest pose)
    assert out["hand_moved"] > 0.2


def test_panels_draw_existing_properties_and_operators(tmp_path, addon_zip, blender_python):
    out = run_scenario(tmp_path, "panels", addon_zip, python=blender_python)
    out = {k: [tuple(x) for x in v] if ":" in k else v for k, v in out.items()}
    # No rig yet: the panel offers to add one.
    assert ("operator", "synthact.add_rig") in out["empty:SYNTHACT_PT_main"]
    # An action with a bad id: its properties are shown, with the problem under them, and the
    # validation findings are listed under the buttons.
    main = out["action:SYNTHACT_PT_main"]
    assert {("prop", n) for n in ("template_id", "label", "loops", "speed_min", "speed_max", "mirror",
                                  "joint_noise_deg")} <= set(main)
    assert any(kind == "label" and text.startswith("id: 'Not Valid' must start") for kind, text in main)
    assert out["validate"]["result"] == ["CANCELLED"]
    check = out["action:SYNTHACT_PT_check"]
    assert ("operator", "synthact.export_template") in check
    assert ("operator_setting", "synthact.export_template.as_performance") in check  # Add as Performance
    assert ("operator_setting", "synthact.load_template.performance") in out["action:SYNTHACT_PT_library"]
    assert any(kind == "label" and "label: missing" in text for kind, text in check)
    assert ("list", "SYNTHACT_UL_library") in out["action:SYNTHACT_PT_library"]
    assert ("operator", "synthact.import_bvh") in out["action:SYNTHACT_PT_motion"]
    assert ("operator", "synthact.preview_variant") in out["action:SYNTHACT_PT_preview"]
