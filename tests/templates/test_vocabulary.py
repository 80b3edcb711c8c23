"""The built-in vocabulary at the published scale: library checks, hand-held props and two-person actions,
from the plain-Python maths to Blender's evaluated scene and through the farm."""

import json

import numpy as np
import pytest
import yaml

from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import JOINT_INDEX, JOINT_NAMES, REFERENCE_REST_JOINTS
from render_farm.core.plan.config import parse_config
from render_farm.core.plan.planner import plan
from render_farm.core.plan.seeding import stream_for
from render_farm.core.scene.clip_spec import resolve
from render_farm.core.scene.motion import joint_noise
from render_farm.core.template.model import save_template, template_json
from render_farm.templates import find_template, load_library
from tests.conftest import DEFAULT_PHENOTYPE, REPO, run_cli


def _jobs(actions, clips=1, frames=12, **extra):
    body = {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()}
    config = parse_config({"seed": 11, "actions": actions, "clips_per_action": clips, "frames": frames, "fps": 15,
                           "resolution": [64, 48], "engine": "workbench", "samples": 1, "body": body, **extra}, "t")
    return plan(config, [find_template(a) for a in actions])


@pytest.mark.slow
def test_templates_check_names_a_near_duplicate_and_a_knee_bent_backwards_and_passes_the_builtins(tmp_path):
    """One check of the whole library (a minute here) with five broken user templates beside it: exactly their
    four problems, so every built-in passes (valid, within joint limits, on the ground, no near-duplicates)."""
    wave = find_template("wave")
    rot = joint_noise(wave.rotation_array(), stream_for(3, "joint_noise"), 2.0)
    copy = wave.model_copy(update={"id": "wave_again", "label": "wave again", "performances": [],
                                   "rotations": {n: rot[:, i].tolist() for i, n in enumerate(JOINT_NAMES)}})
    save_template(copy, tmp_path / "wave_again.json")
    walk = find_template("walk")
    bent = walk.rotation_array()
    bent[:, JOINT_INDEX["left_knee"]] = quat.from_euler_xyz((-40.0, 0.0, 0.0))  # bent forwards: the wrong way
    broken = walk.model_copy(update={"id": "walk_broken", "label": "walk broken", "performances": [],
                                     "rotations": {n: bent[:, i].tolist() for i, n in enumerate(JOINT_NAMES)}})
    save_template(broken, tmp_path / "walk_broken.json")
    # Files that do not load are named with the rest (the check used to stop at the first), and a one-frame
    # pose is checked without numpy warnings.
    (tmp_path / "cut_short.json").write_text('{"id": "cut_short"')
    (tmp_path / "slow.json").write_text(json.dumps({**json.loads((tmp_path / "walk_broken.json").read_text()),
                                                    "id": "slow", "fps": 0}))
    held = wave.model_copy(update={"id": "held_pose", "label": "held pose", "frame_count": 1, "performances": [],
                                   "rotations": {n: f[:1] for n, f in wave.rotations.items()},
                                   "root_translation": wave.root_translation[:1]})
    save_template(held, tmp_path / "held_pose.json")
    done = run_cli("templates", "check", "--dir", str(tmp_path))
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if line.startswith("problem: ")]
    assert "problem: walk_broken: left knee bends backwards by 40 degrees at frame 0 (limit 15)" in problems
    assert any(line.startswith("problem: wave:main and wave_again are near-duplicates") for line in problems), problems
    assert f"problem: {tmp_path / 'cut_short.json'}: not valid JSON (line 1: Expecting ',' delimiter)" in problems
    assert f"problem: {tmp_path / 'slow.json'}: fps: Input should be greater than or equal to 1" in problems
    assert len(problems) == 4, problems
    assert "Warning" not in done.stderr, done.stderr
    library = load_library()
    assert len(library) >= 150 and min(t.performance_count for t in library) >= 9  # every class: its own and 8 more
    assert done.stderr.strip().splitlines()[-1] == f"error: 4 problem(s) in {len(library) + 5} templates"


def test_templates_list_json_shows_family_props_and_actors():
    done = run_cli("templates", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in json.loads(done.stdout)}
    assert rows["drink_from_cup"]["props"] == ["cup"] and rows["drink_from_cup"]["family"] == "object"
    assert rows["handshake"]["actors"] == 2 and rows["handshake"]["family"] == "interaction"
    assert rows["walk"]["loops"] is True and rows["walk"]["actors"] == 1 and rows["walk"]["props"] == []
    assert rows["walk"]["performances"] == ["main", "brisk", "gentle", "big", "small", "twice", "leaning", "wide",
                                            "crouched"]
    assert rows["hug"]["performances"] == ["main", "walk_in", "both_walk_in", "brisk", "gentle", "long", "high",
                                           "low", "walk_in_brisk", "meet_and_part", "walk_up_and_back",
                                           "both_walk_in_far", "step_in_and_back", "step_in_and_back_long"]
    assert {r["family"] for r in rows.values()} == {"locomotion", "gesture", "posture", "exercise", "object",
                                                   "interaction"}


def _pair_gap(template, name: str) -> np.ndarray:
    """Pelvis-to-pelvis distance over a performance of a two-person class (the partner's root is stored as
    its place relative to the first actor's rest position)."""
    index = 0 if name == "main" else [p.name for p in template.performances].index(name) + 1
    performance = template.performance(index)
    mine, theirs = performance.translation_array(), performance.partner.translation_array()
    return np.linalg.norm(theirs[:, :2] - mine[:, :2], axis=1)


@pytest.mark.parametrize("action", ["handshake", "hug", "push_person", "kick_person"])
def test_meeting_performances_walk_up_from_metres_away_and_part_afterwards(action):
    template = find_template(action)
    own = _pair_gap(template, "main")
    # (name, metres both walk up together, metres they part by): the styles in tools/families/interactions.py
    for name, approach, part in (("meet_and_part", 1.4, 1.4), ("walk_up_and_back", 1.4, 1.0), ("walk_in", 1.0, 0.0),
                                 ("step_in_and_back", 0.84, 0.84)):
        gap = _pair_gap(template, name)
        assert gap[0] == pytest.approx(own[0] + approach, abs=0.01), name  # they walk up
        assert gap.min() == pytest.approx(own.min(), abs=0.02), name  # to the action's own contact
        assert gap[-1] == pytest.approx(own[-1] + part, abs=0.01), name  # and move apart again, or stay


def _hand_frame(spec, actor: int, hand: str):
    track = spec if actor == 0 else spec.partner
    from render_farm.core.geometry import kinematics

    rest = REFERENCE_REST_JOINTS
    joints, glob = kinematics.forward_kinematics(rest, track.rotations, track.root_translation)
    j = JOINT_INDEX[hand]
    return joints[:, j], glob[:, j]


@pytest.mark.parametrize("mirror", [False, True])
def test_a_held_prop_follows_the_hand_it_is_in(mirror):
    job = _jobs(["drink_from_cup"], frames=48, motion={"mirror_probability": 1.0 if mirror else 0.0})[0]
    assert job.motion.mirror is mirror and set(job.prop_colors) == {"cup"}
    template = find_template("drink_from_cup")
    spec = resolve(job, template, REFERENCE_REST_JOINTS)
    (cup,) = spec.props
    hold = template.props[0].holds[0]
    hand = "left_hand" if mirror else "right_hand"  # a mirrored drinker holds the cup in the other hand
    pos, rot = _hand_frame(spec, 0, hand)
    offset = np.array(hold.offset_m) * ([-1, 1, 1] if mirror else 1)
    expected = pos + quat.rotate(rot, np.broadcast_to(offset, pos.shape))
    assert np.all(cup.held_by == 0)
    assert np.abs(cup.positions - expected).max() < 1e-9
    # The cup goes up to the mouth: it rises more than 20 cm over the clip.
    assert np.ptp(cup.positions[:, 2]) > 0.2


def test_a_passed_object_changes_hands_without_jumping():
    job = _jobs(["pass_object"], frames=30)[0]
    template = find_template("pass_object")
    spec = resolve(job, template, REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
    (parcel,) = spec.props
    assert parcel.held_by[0] == 0 and parcel.held_by[-1] == 1 and set(parcel.held_by) == {0, 1}
    steps = np.linalg.norm(np.diff(parcel.positions, axis=0), axis=1)
    assert steps.max() < 0.12, steps.max()  # at 15 fps: no teleport at the handover
    switch = int(np.argmax(parcel.held_by == 1))
    giver, _ = _hand_frame(spec, 0, "left_hand" if job.motion.mirror else "right_hand")
    taker, _ = _hand_frame(spec, 1, "left_hand" if job.motion.mirror else "right_hand")
    assert np.linalg.norm(giver[switch] - taker[switch]) < 0.12  # both hands are at the parcel when it changes


def test_two_person_actions_keep_their_actors_apart_and_in_frame():
    for action in ("handshake", "hug", "push_person", "pat_on_back"):
        job = _jobs([action])[0]
        assert job.partner is not None and job.partner.body.phenotype == job.body.phenotype
        spec = resolve(job, find_template(action), REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
        gap = np.linalg.norm(spec.joints_3d[:, 0, :2] - spec.partner.joints_3d[:, 0, :2], axis=1)
        assert gap.min() > 0.25, (action, gap.min())  # two bodies, not one inside the other
        for joints in (spec.joints_3d, spec.partner.joints_3d):
            uv = np.stack([cam.project(j)[0] for cam, j in zip(spec.cameras, joints, strict=True)])
            assert np.all((uv >= 0) & (uv <= [64, 48])), action
    # Shaking hands: the right hands meet, in every performance (6 s clips: each whole performance).
    handshake = find_template("handshake")
    job = _jobs(["handshake"], frames=90, motion={"joint_noise": {"uniform": [0, 0]}})[0]
    for k in range(handshake.performance_count):
        played = job.model_copy(update={"motion": job.motion.model_copy(update={"performance": k})})
        spec = resolve(played, handshake, REFERENCE_REST_JOINTS, REFERENCE_REST_JOINTS)
        side = "left_hand" if job.motion.mirror else "right_hand"
        mine, _ = _hand_frame(spec, 0, side)
        theirs, _ = _hand_frame(spec, 1, side)
        assert np.linalg.norm(mine - theirs, axis=1).min() < 0.1, handshake.performance_name(k)


def test_one_person_jobs_sample_as_before_partner_streams_are_their_own():
    solo, pair = _jobs(["wave", "handshake"])
    assert solo.partner is None and solo.prop_colors == {}
    assert pair.partner is not None and pair.partner.appearance != pair.appearance


@pytest.mark.blender
def test_blender_props_follow_the_posed_hand_bone(tmp_path, default_body, body_dir):
    import bpy

    from render_farm.blender import worker
    from render_farm.blender.render import apply_frame

    (tmp_path / "templates").mkdir()
    for action, hand in (("drink_from_cup", "right_hand"), ("pass_object", None)):
        (tmp_path / "templates" / f"{action}.json").write_text(template_json(find_template(action)))
        job = _jobs([action], frames=20, motion={"mirror_probability": 0.0})[0]
        scene, cast, spec, *_ = worker.build_scene(job, tmp_path, body_dir, threads=1)
        (prop,) = cast.props
        template = find_template(action)
        for k in range(0, 20, 3):
            apply_frame(scene, cast, spec, k)
            bpy.context.view_layer.update()
            depsgraph = bpy.context.evaluated_depsgraph_get()
            at = np.array(prop.evaluated_get(depsgraph).matrix_world.translation)
            holder = cast.actor if spec.props[0].held_by[k] != 1 else cast.partner
            hold = template.props[0].holds[int(spec.props[0].held_by[k] == 1)]
            bone = holder.armature.pose.bones[hand or hold.hand]
            head = np.array(holder.armature.matrix_world @ bone.head)
            turn = quat.multiply(np.array(bone.matrix.to_quaternion()),
                                 quat.conjugate(holder.rest_rotations[JOINT_INDEX[hand or hold.hand]]))
            expected = head + quat.rotate(turn, np.array(hold.offset_m))
            if spec.props[0].held_by[k] >= 0:
                assert np.linalg.norm(at - expected) < 0.02, (action, k, at, expected)


@pytest.mark.slow
def test_a_sample_of_every_family_renders_through_the_farm(tmp_path):
    import av

    from render_farm.core.label.labels import load_label

    actions = ["jog", "salute", "kneel_down", "golf_swing", "drink_from_cup", "handshake"]
    config = {"seed": 2, "actions": actions, "clips_per_action": 1, "frames": 6, "fps": 10,
              "resolution": [64, 48], "engine": "workbench", "samples": 1, "val_fraction": 0.0,
              "body": {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()}}
    (tmp_path / "sample.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    done = run_cli("render", str(tmp_path / "sample.yaml"), "--out", str(out), "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    for action in actions:
        (clip,) = (out / "clips" / action).glob("*.mp4")
        with av.open(str(clip)) as c:
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
        assert len(frames) == 6 and frames[0].shape == (48, 64, 3) and np.stack(frames).std() > 5
        label = load_label(out / "labels" / action / clip.name.replace(".mp4", ".json"))
        assert label.schema_version == 4 and label.action_id == action
        if action == "handshake":
            p = label.partner
            assert np.array(p.joints_3d).shape == (6, 24, 3) and np.array(p.joints_2d).shape == (6, 24, 2)
            for boxes in (np.array(label.bbox), np.array(p.bbox)):
                assert np.all(boxes[:, 2] - boxes[:, 0] > 3) and np.all(boxes[:, 3] - boxes[:, 1] > 8)
            # Two people side by side in the picture: their boxes' centres differ.
            centres = [(b[:, 0] + b[:, 2]) / 2 for b in (np.array(label.bbox), np.array(p.bbox))]
            assert np.abs(centres[0] - centres[1]).mean() > 2
            assert label.params["partner"]["body"]["phenotype"] == DEFAULT_PHENOTYPE
        else:
            assert label.partner is None
        props = {p.name: p for p in label.props}
        assert set(props) == {"golf_swing": {"club"}, "drink_from_cup": {"cup"}}.get(action, set())
        for p in props.values():
            assert np.array(p.positions_3d).shape == (6, 3) and p.held_by == [0] * 6


@pytest.mark.blender
def test_bulk_bvh_import_writes_a_template_per_labelled_segment_and_reports_bad_rows(tmp_path):
    from render_farm.core.template.model import load_template
    from tests.addon.test_addon import CMU_NAMES, canonical_bvh

    (tmp_path / "walk01.bvh").write_text(canonical_bvh(frames=40))
    strange = {k: f"Bone{i:02d}" for i, k in enumerate(CMU_NAMES)}  # a skeleton no joint map knows
    (tmp_path / "robot.bvh").write_text(canonical_bvh(strange, frames=30))
    (tmp_path / "labels.csv").write_text("file,start_frame,end_frame,label\n"
                                         "walk01.bvh,1,20,reach up\n"          # 2: imported
                                         "walk01.bvh,,,reach and step\n"       # 3: imported (whole file)
                                         "nowhere.bvh,1,10,ghost\n"            # 4: missing file
                                         "walk01.bvh,30,10,backwards\n"        # 5: end before start
                                         "robot.bvh,1,30,robot dance\n"        # 6: unknown skeleton
                                         "walk01.bvh,1,5,blink\n")             # 7: too short
    done = run_cli("templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "labels.csv"),
                   "--max-skate", "1.0")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "templates"
    assert sorted(p.name for p in out.glob("*.json")) == ["reach_and_step_walk01.json", "reach_up_walk01_1.json"]
    part, whole = load_template(out / "reach_up_walk01_1.json"), load_template(out / "reach_and_step_walk01.json")
    assert (part.frame_count, whole.frame_count) == (20, 40)
    assert part.label == "reach up" and part.family == "mocap" and part.fps == pytest.approx(30.0, abs=0.01)
    np.testing.assert_allclose(part.rotation_array(), whole.rotation_array()[:20], atol=1e-5)
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped row")]
    assert skipped[0] == f"skipped row 4 ({tmp_path / 'nowhere.bvh'}): file not found"
    assert skipped[1] == f"skipped row 5 ({tmp_path / 'walk01.bvh'}): end_frame 10 is before start_frame 30"
    assert skipped[2].startswith(f"skipped row 6 ({tmp_path / 'robot.bvh'}): unmapped skeleton: ")
    assert skipped[3] == f"skipped row 7 ({tmp_path / 'walk01.bvh'}): too short: 5 frames (at least 12)"
    assert len(skipped) == 4
    assert done.stderr.strip().splitlines()[-1] == f"imported 2 template(s) into {out}; skipped 4 row(s)"
    # The imported templates are a library the farm can use.
    assert run_cli("templates", "validate", *map(str, out.glob("*.json"))).returncode == 0
    # A segment whose foot slides along the floor (the test motion steps while the root glides) is skipped
    # at the default limit, with the slide measured.
    (tmp_path / "skate.csv").write_text("file,start_frame,end_frame,label\nwalk01.bvh,21,40,glide\n")
    done = run_cli("templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "skate.csv"),
                   "--out", str(tmp_path / "skated"))
    assert done.returncode == 1
    assert "skipped row 2 (" in done.stderr and "): foot skating: right_foot slides 0.15 m while on the ground " \
        "(frames 0-19; the limit is 0.1 m)" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "error: no template imported from 1 row(s)"


def test_bulk_bvh_import_adds_segments_as_performances_of_existing_classes(tmp_path):
    from render_farm.core.template.model import load_template
    from tests.addon.test_addon import canonical_bvh

    (tmp_path / "take01.bvh").write_text(canonical_bvh(frames=40))
    (tmp_path / "labels.csv").write_text("file,start_frame,end_frame,label\n"
                                         "take01.bvh,1,20,wave\n"        # 2: another performance of wave
                                         "take01.bvh,21,40,wave\n"       # 3: and another
                                         "take01.bvh,1,30,new move\n"    # 4: a new template
                                         "take01.bvh,1,25,handshake\n")  # 5: a two-person class: refused
    out = tmp_path / "mine"
    done = run_cli("templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "labels.csv"),
                   "--out", str(out), "--by-label", "--max-skate", "1.0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.glob("*.json")) == ["handshake.json", "new_move_take01_1.json", "wave.json"]
    wave, builtin = load_template(out / "wave.json"), find_template("wave")
    kept = builtin.performance_count
    assert [p.name for p in wave.performances] == [p.name for p in builtin.performances] + ["take01_1", "take01_21"]
    assert wave.performance(0) == builtin.performance(0) and wave.label == builtin.label  # the class kept
    assert all(wave.performance(k) == builtin.performance(k) for k in range(kept))
    assert (wave.performance(kept).frame_count, wave.performance(kept + 1).frame_count) == (20, 20)
    assert find_template("handshake", [out]).performance_count == find_template("handshake").performance_count
    assert f"skipped row 5 ({tmp_path / 'take01.bvh'}): handshake: every performance of a two-person action has " \
        "a partner" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        f"imported 1 template(s) and 2 performance(s) into {out}; skipped 1 row(s)"
    # --add-to: every segment to one class; a class that exists nowhere is refused before Blender starts.
    done = run_cli("templates", "import-bvh", str(tmp_path), "--labels", str(tmp_path / "labels.csv"),
                   "--out", str(tmp_path / "other"), "--add-to", "no_such_class")
    assert done.returncode == 2 and done.stderr.strip() == \
        f"error: --add-to: no class 'no_such_class' in {tmp_path / 'other'} or the built-in library"


def test_actions_doc_and_class_mappings_are_in_sync_with_the_library():
    import importlib.util

    from render_farm.templates import MAPPED_DATASETS, MAPPINGS_DIR, class_mappings

    spec = importlib.util.spec_from_file_location("actions_doc", REPO / "scripts" / "actions_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "docs" / "actions.md").read_text() == module.actions_markdown(), \
        "docs/actions.md is stale: run `make templates`"
    ids = {t.id for t in load_library()}
    mappings = class_mappings()
    assert set(mappings) == set(MAPPED_DATASETS) == {p.stem for p in MAPPINGS_DIR.glob("*.csv")}
    for dataset, table in mappings.items():
        assert set(table) <= ids, (dataset, set(table) - ids)
        assert all(classes and all(c.strip() == c and c for c in classes) for classes in table.values())
    # Spot checks, spelled as the datasets spell them.
    assert mappings["ntu_rgbd_120"]["handshake"] == ["handshaking"]
    assert mappings["kinetics_400"]["handshake"] == ["shaking hands"]
    assert mappings["ucf101"]["jumping_jacks"] == ["JumpingJack"]
    assert mappings["hmdb51"]["fall_sideways"] == ["fall_floor"]


def test_config_action_selectors_expand_to_the_library():
    library = load_library()
    config = parse_config({"actions": ["all"]}, "c")
    assert config.actions == sorted(t.id for t in library)
    config = parse_config({"actions": ["walk", "family:interaction"]}, "c")
    assert config.actions == ["walk"] + sorted(t.id for t in library if t.family == "interaction")
    with pytest.raises(Exception, match=r"c: actions\[1\]: no template of family 'dance' \(families: exercise, "):
        parse_config({"actions": ["walk", "family:dance"]}, "c")
    with pytest.raises(Exception, match=r"action 'walk' is listed twice \(after expanding 'all' and 'family:'\)"):
        parse_config({"actions": ["all", "walk"]}, "c")
    assert len(parse_config(yaml.safe_load((REPO / "examples" / "synapt150.yaml").read_text()), "x").actions) >= 150


@pytest.mark.blender
def test_the_addon_loads_and_reexports_a_two_person_template_with_props(tmp_path):
    """Load Template builds the partner rig and the prop list; exporting again gives the same file."""
    import bpy

    import blender_addon
    from render_farm.core.template.model import load_template
    from render_farm.templates import BUILTIN_DIR

    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    try:
        bpy.ops.synthact.add_rig()
        for action in ("pass_object", "drink_from_cup"):
            # Exported back into a library holding the template (here a copy of the built-in one).
            (tmp_path / f"{action}.json").write_text((BUILTIN_DIR / f"{action}.json").read_text())
            bpy.ops.synthact.load_template(filepath=str(tmp_path / f"{action}.json"))
            rig = bpy.context.active_object
            props = rig.animation_data.action.synthact
            assert [p.prop_name for p in props.props] == [p.name for p in find_template(action).props]
            assert (props.partner is not None) == (action == "pass_object")
            bpy.ops.synthact.export_template(directory=str(tmp_path))
            again, stored = load_template(tmp_path / f"{action}.json"), find_template(action)
            motion = {"rotations", "root_translation", "partner"}
            # Family, props, and the class's other performances, kept as they were.
            assert again.model_dump(exclude=motion) == stored.model_dump(exclude=motion)
            assert np.abs(again.rotation_array() - stored.rotation_array()).max() < 2e-6
            if stored.partner is not None:
                assert np.abs(again.partner.rotation_array() - stored.partner.rotation_array()).max() < 2e-6
                assert np.abs(again.partner.translation_array() - stored.partner.translation_array()).max() < 2e-6
        # Performance 3 of a class, loaded, edited and exported, replaces that performance and no other.
        (tmp_path / "hug.json").write_text((BUILTIN_DIR / "hug.json").read_text())
        bpy.ops.synthact.load_template(filepath=str(tmp_path / "hug.json"), performance=3)
        rig = bpy.context.active_object
        assert rig.animation_data.action.synthact.performance == "brisk"
        rig.animation_data.action.synthact.description = "edited"  # a class setting: not the performance's
        bpy.ops.synthact.export_template(directory=str(tmp_path))
        again, stored = load_template(tmp_path / "hug.json"), find_template("hug")
        assert [p.name for p in again.performances] == [p.name for p in stored.performances]
        assert again.description == stored.description
        for k in range(stored.performance_count):
            assert np.abs(again.performance(k).rotation_array() - stored.performance(k).rotation_array()).max() \
                < 2e-6, k
    finally:
        blender_addon.unregister()


def test_cmu_style_descriptions_label_whole_files(tmp_path):
    from render_farm.templates.mocap import read_descriptions

    for name in ("01_01", "01_02"):
        (tmp_path / f"{name}.bvh").write_text("HIERARCHY\n")
    (tmp_path / "descriptions.txt").write_text("# subject 1\n01_01\tplayground - forward jumps\n"
                                               "01_02 climb, step over\n01_03\twalk\n01_02\n")
    segments, skipped = read_descriptions(tmp_path, tmp_path / "descriptions.txt")
    assert [(s.row, s.label, s.template_id, s.start_frame) for s in segments] == [
        (2, "playground - forward jumps", "playground_forward_jumps_m_01_01", None),
        (3, "climb, step over", "climb_step_over_m_01_02", None)]
    assert [(s.row, s.reason) for s in skipped] == [(4, "file not found"), (5, "no description")]


def test_each_motion_check_fires_past_its_limit_and_not_before():
    from render_farm.core.template import checks

    wave = find_template("wave")

    def with_joint(name, euler, id_="bent"):
        rot = wave.rotation_array()
        rot[:, JOINT_INDEX[name]] = quat.from_euler_xyz(euler)
        return wave.model_copy(update={"id": id_, "rotations": {n: rot[:, i].tolist()
                                                                for i, n in enumerate(JOINT_NAMES)}})

    def messages(t):
        return [f.message for f in checks.joint_limit_findings(t) + checks.ground_findings(t)]

    assert messages(wave) == []
    # Elbow: the left forearm swung backwards (+Y) in the upper arm's frame: about -Z for the left arm.
    assert messages(with_joint("left_elbow", (0.0, 0.0, 20.0))) == []
    assert messages(with_joint("left_elbow", (0.0, 0.0, 40.0))) == [
        "left elbow bends backwards by 40 degrees at frame 0 (limit 25)"]
    assert messages(with_joint("right_knee", (-10.0, 0.0, 0.0))) == []
    # The head pitched far back into the trunk (neck and head together).
    assert messages(with_joint("head", (-120.0, 0.0, 0.0)))[0].startswith("head turns 120 degrees off the trunk")
    # Ground: sinking 5 cm is within the limit, 10 cm is not; floating longer than a jump is reported.
    sunk = wave.model_copy(update={"root_translation": (wave.translation_array() - [0, 0, 0.05]).tolist()})
    assert messages(sunk) == []
    deep = wave.model_copy(update={"root_translation": (wave.translation_array() - [0, 0, 0.12]).tolist()})
    assert messages(deep)[0].startswith("sinks 0.") and "into the floor" in messages(deep)[0]
    lifted = wave.model_copy(update={"root_translation": (wave.translation_array() + [0, 0, 0.3]).tolist()})
    assert messages(lifted) == [f"floats above the floor for {wave.frame_count / wave.fps:.1f} s (lowest point "
                                "over 0.15 m; a jump takes at most 0.8 s)"]


def test_props_and_partners_are_validated_naming_the_field(tmp_path):
    from render_farm.core.template.model import TemplateError, load_template

    data = json.loads(template_json(find_template("pass_object")))

    def broken(change) -> str:
        d = json.loads(json.dumps(data))
        change(d)
        (tmp_path / "pass_object.json").write_text(json.dumps(d))
        with pytest.raises(TemplateError) as err:
            load_template(tmp_path / "pass_object.json")
        return str(err.value)

    assert "holds[1] starts before holds[0] ends" in broken(
        lambda d: d["props"][0]["holds"][1].__setitem__("from_frame", 10))
    assert "props[0].holds[1].to_frame: frame 500 is past the last frame (89)" in broken(
        lambda d: d["props"][0]["holds"][1].__setitem__("to_frame", 500))
    assert "actor 1 is the partner, and the template has none" in broken(lambda d: d.__setitem__("partner", None))
    assert "prop sizes must lie in (0, 3] metres" in broken(lambda d: d["props"][0].__setitem__("size_m", [4, 1, 1]))
    assert "two props are named 'parcel'" in broken(lambda d: d["props"].append(d["props"][0]))
    assert "partner.rotations.head has 3 frames, frame_count is 90" in broken(
        lambda d: d["partner"]["rotations"].__setitem__("head", [[1, 0, 0, 0]] * 3))
