"""The Blender worker, in-process with the real bpy module."""

import dataclasses
import shutil

import av
import bpy
import numpy as np
import pytest

from render_farm.blender import body as body_module
from render_farm.blender import clip as clip_module
from render_farm.blender import scene as scene_module
from render_farm.blender import worker
from render_farm.blender.render import apply_frame
from render_farm.core.geometry.skeleton import JOINT_NAMES
from render_farm.core.label.labels import ClipLabel, label_job, load_label
from render_farm.core.plan.config import parse_config
from render_farm.core.plan.planner import plan
from render_farm.core.template.model import template_json
from render_farm.templates import find_template
from render_farm.video import read_bmp
from tests.conftest import DEFAULT_PHENOTYPE

pytestmark = pytest.mark.blender


def make_jobs(out, actions, engine="workbench", frames=8, size=(128, 96), samples=4, clips=1, **extra):
    body = {k: [v, v] for k, v in DEFAULT_PHENOTYPE.items()}  # the session's baked body
    config = parse_config(
        {"seed": 5, "actions": actions, "clips_per_action": clips, "frames": frames, "fps": 16,
         "resolution": list(size), "engine": engine, "samples": samples, "body": body, **extra}, "test")
    templates = [find_template(a) for a in actions]
    (out / "templates").mkdir(parents=True, exist_ok=True)
    for t in templates:
        (out / "templates" / f"{t.id}.json").write_text(template_json(t))
    return plan(config, templates)


def decode(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, float(stream.average_rate), stream.codec_context.pix_fmt


def box_blur(img, r=2):
    """Mean over a (2r+1)^2 window: Cycles noise differs between renders, a person does not."""
    pad = np.pad(img.astype(np.float64), ((r, r), (r, r), (0, 0)), mode="edge")
    c = pad.cumsum(0).cumsum(1)
    c = np.pad(c, ((1, 0), (1, 0), (0, 0)))
    n = 2 * r + 1
    return (c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]) / n**2


def render_still(path):
    bpy.context.scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return read_bmp(path).astype(np.int16)


def test_render_job_writes_clip_and_label(tmp_path, default_body, body_dir):
    job = make_jobs(tmp_path, ["jumping_jacks"])[0]
    stats = worker.render_job(job, tmp_path, body_dir)
    frames, fps, pix_fmt = decode(tmp_path / job.clip_path)
    assert len(frames) == 8 and frames[0].shape == (96, 128, 3)
    assert fps == 16.0 and pix_fmt == "yuv420p"
    label = load_label(tmp_path / job.label_path)
    assert isinstance(label, ClipLabel)
    assert label.seed == job.seed and label.params["motion"] == job.motion.model_dump(mode="json")
    assert label_job(label) == job  # each job field once, the whole job back
    assert not {"seed", "job_id", "clip_path", "action_id"} & set(label.params) and "fps" not in label.params["render"]
    assert np.array(label.joints_3d).shape == (8, 24, 3) and np.array(label.joints_2d).shape == (8, 24, 2)
    uv = np.array(label.joints_2d)
    assert np.all((uv >= 0) & (uv <= [128, 96]))
    assert stats["render_s"] > 0 and stats["total_s"] >= stats["render_s"]
    # The motion is visible: frames differ from each other.
    assert np.abs(frames[0].astype(int) - frames[4].astype(int)).mean() > 0.5
    # Nothing else is left in the clip folder.
    assert sorted(p.name for p in (tmp_path / job.clip_path).parent.iterdir()) == [f"{job.job_id}.mp4"]


def test_eevee_renders_a_clip(tmp_path, default_body, body_dir):
    job = make_jobs(tmp_path, ["wave"], engine="eevee", frames=2, size=(48, 48), samples=1)[0]
    worker.render_job(job, tmp_path, body_dir)
    frames, _, _ = decode(tmp_path / job.clip_path)
    assert len(frames) == 2 and frames[0].shape == (48, 48, 3)
    assert frames[0].std() > 5  # a lit scene, not a blank frame
    assert bpy.context.scene.render.engine in {"BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"}


def test_the_fast_preset_denoises_its_few_samples(tmp_path, default_body, body_dir):
    """Denoised 4-sample frames are smoother than raw ones: less energy in pixel-to-pixel differences."""
    roughness = {}
    for name, extra in {"raw": {"denoise": False}, "fast": {"preset": "fast"}}.items():
        job = make_jobs(tmp_path / name, ["wave"], engine="cycles", frames=2, size=(96, 96), **extra)[0]
        worker.render_job(job, tmp_path / name, body_dir)
        assert (bpy.context.scene.cycles.use_denoising, job.render.samples) == (name == "fast", 4)
        if name == "fast":
            assert bpy.context.scene.cycles.denoising_prefilter == "FAST"
            assert bpy.context.scene.cycles.denoising_quality == "FAST"
        # fast: a manual importance map for the world light (Blender's automatic one costs 0.7 s a clip)
        world = bpy.context.scene.world.cycles
        if name == "fast":
            assert (job.render.world_map, world.sampling_method, world.sample_map_resolution) == (1024, "MANUAL", 1024)
        else:  # not denoised: Blender's automatic map, sharper
            assert (job.render.world_map, world.sampling_method) == (0, "AUTOMATIC")
        frames, _, _ = decode(tmp_path / name / job.clip_path)
        assert len(frames) == 2
        img = frames[0].astype(np.float64)
        roughness[name] = np.abs(np.diff(img, axis=1)).mean() + np.abs(np.diff(img, axis=0)).mean()
    assert roughness["fast"] < 0.85 * roughness["raw"], roughness


def test_a_gpu_render_denoises_on_the_gpu():
    """What select_device does when it picks a GPU (no GPU here to pick): the factory setting would leave
    OpenImageDenoise on the CPU, 48 ms of a 224x224 frame on one thread (benchmarks/frame_overhead.py)."""
    from render_farm.blender.devices import denoise_on_gpu

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    assert scene.cycles.denoising_use_gpu is False
    denoise_on_gpu(scene)
    assert scene.cycles.denoising_use_gpu is True


@pytest.mark.parametrize("request_", ["cpu", "auto", "cuda", "optix"])
def test_gpu_devices_fall_back_to_the_cpu_with_a_note(tmp_path, default_body, body_dir, request_):
    from render_farm.blender.devices import select_device

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    used, note = select_device(scene, request_, slot=1)
    # This machine has no NVIDIA GPU: every request ends on the CPU, and only GPU requests say why.
    assert used == "CPU" and scene.cycles.device == "CPU"
    assert scene.cycles.denoising_use_gpu is False  # a CPU render denoises on the CPU
    assert (note == "") == (request_ == "cpu")
    if request_ != "cpu":
        assert note.startswith("no usable ") and note.endswith("GPU: rendering on the CPU")
    with pytest.raises(ValueError, match="device: unknown 'metal'"):
        select_device(scene, "metal")
    if request_ == "optix":  # the whole job: rendered, and the label says where
        job = make_jobs(tmp_path, ["wave"], engine="cycles", frames=2, size=(32, 32), samples=1)[0]
        stats = worker.render_job(job, tmp_path, body_dir, device="optix", slot=0)
        assert stats["device"] == "CPU" and load_label(tmp_path / job.label_path).render_device == "CPU"


@pytest.mark.parametrize("action,camera_motion", [("kick", "static"), ("run", "static"), ("wave", "orbit"),
                                                  ("clap", "shake")])
def test_blender_pose_and_projection_match_the_label_maths(tmp_path, default_body, body_dir, action, camera_motion):
    from bpy_extras.object_utils import world_to_camera_view

    job = make_jobs(tmp_path, [action], frames=6, camera={"motion": {"choice": [camera_motion]}})[0]
    scene, cast, spec, *_ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    actor = cast.actor
    w, h = job.render.width, job.render.height
    for k in range(6):
        apply_frame(scene, actor, spec, k)
        bpy.context.view_layer.update()
        np.testing.assert_allclose(actor.posed_joints(), spec.joints_3d[k], atol=1e-4)
        ndc = np.array([tuple(world_to_camera_view(scene, scene.camera, bpy_vec(p))) for p in spec.joints_3d[k]])
        blender_px = np.stack([ndc[:, 0] * w, (1.0 - ndc[:, 1]) * h], axis=1)
        np.testing.assert_allclose(blender_px, spec.joints_2d[k], atol=1e-3)


def bpy_vec(p):
    from mathutils import Vector

    return Vector(tuple(float(x) for x in p))


@pytest.mark.parametrize("engine", ["workbench", "cycles"])
def test_body_pixels_differ_from_background_where_the_joints_are(tmp_path, default_body, body_dir, engine):
    job = make_jobs(tmp_path, ["wave"], engine=engine, size=(160, 160), samples=16)[0]
    scene, cast, spec, *_ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    actor = cast.actor
    scene.render.image_settings.file_format = "BMP"
    scene.render.image_settings.color_mode = "RGB"
    k = 4
    apply_frame(scene, actor, spec, k)
    with_actor = render_still(tmp_path / "with.bmp")
    for part in (actor.mesh, *actor.pieces):  # the person: body, garments, hair, accessories
        part.hide_render = True
    without = render_still(tmp_path / "without.bmp")
    mask = np.abs(box_blur(with_actor) - box_blur(without)).max(axis=2) > 12
    assert 0.02 < mask.mean() < 0.6, mask.mean()  # a person-sized region, not the whole frame
    # Most projected joints fall on the person (mask grown by 2 px for joints at the silhouette).
    grown = mask.copy()
    for dy in (-2, 0, 2):
        for dx in (-2, 0, 2):
            grown |= np.roll(np.roll(mask, dy, 0), dx, 1)
    u, v = spec.joints_2d[k].round().astype(int).T
    inside = grown[np.clip(v, 0, 159), np.clip(u, 0, 159)]
    assert inside.mean() >= 0.85, inside.mean()


def test_failed_render_leaves_no_clip_or_label(tmp_path, default_body, body_dir, monkeypatch):
    job = make_jobs(tmp_path, ["clap"])[0]
    real = clip_module.render_frames

    def dies_mid_clip(scene, actor, spec, deliver, scratch, annotate=None):
        short = dataclasses.replace(spec, rotations=spec.rotations[:3])
        real(scene, actor, short, deliver, scratch, annotate)
        raise RuntimeError("renderer crashed on frame 4")

    monkeypatch.setattr(clip_module, "render_frames", dies_mid_clip)
    with pytest.raises(RuntimeError, match="frame 4"):
        worker.render_job(job, tmp_path, body_dir)
    clip_dir = (tmp_path / job.clip_path).parent
    assert list(clip_dir.iterdir()) == []
    assert not (tmp_path / job.label_path).exists()


def test_missing_template_in_output_is_reported(tmp_path, default_body, body_dir):
    job = make_jobs(tmp_path, ["squat"])[0]
    shutil.rmtree(tmp_path / "templates")
    with pytest.raises(Exception, match=r"templates/squat.json: template file not found"):
        worker.render_job(job, tmp_path, body_dir)
    assert not (tmp_path / "clips").exists() or not any((tmp_path / "clips").rglob("*.mp4"))


def test_missing_hdri_names_the_file(tmp_path, default_body, body_dir, monkeypatch):
    from render_farm import asset_check
    from render_farm.blender import lighting

    job = make_jobs(tmp_path, ["clap"])[0]
    job = job.model_copy(update={"scene": job.scene.model_copy(update={"background": "hdri"})})  # lit by the HDRI
    # A Blender whose datafiles lack the HDRI: the asset source finds it missing, naming the asset and the file.
    monkeypatch.setattr(asset_check, "blender_datafiles", lambda: tmp_path / "gone")
    asset_check.vetted_path.cache_clear()
    hdri = job.lighting.hdri
    with pytest.raises(lighting.AssetError, match=rf"^hdri-{hdri}: {tmp_path}/gone/studiolights/world/{hdri}.exr does "
                                                  rf"not exist \(Blender .*\) \(HDRI '{hdri}', Blender [\d.]+\)$"):
        worker.render_job(job, tmp_path, body_dir)
    assert not any(tmp_path.rglob("*.mp4"))


def test_label_has_keypoints_boxes_and_visibility(tmp_path, default_body, body_dir):
    # Seen from the actor's side (azimuth 90), the far arm is hidden behind the body.
    job = make_jobs(tmp_path, ["clap"], frames=4, size=(160, 160),
                    camera={"azimuth_deg": 90, "elevation_deg": 0, "motion": {"choice": ["static"]}},
                    motion={"heading_deg": 0, "root_offset_m": 0})[0]
    worker.render_job(job, tmp_path, body_dir)
    label = load_label(tmp_path / job.label_path)
    assert label.keypoint_names[:5] == ["nose", "left_eye", "right_eye", "left_ear", "right_ear"]
    names = label.joint_names
    kp2d, j2d = np.array(label.keypoints_2d), np.array(label.joints_2d)
    assert kp2d.shape == (4, len(label.keypoint_names), 2)
    # COCO keypoints sit near the canonical joints they correspond to.
    for coco, joint in [("left_wrist", "left_wrist"), ("right_knee", "right_knee"), ("left_hip", "left_hip")]:
        d = np.linalg.norm(kp2d[:, label.keypoint_names.index(coco)] - j2d[:, names.index(joint)], axis=1)
        assert d.max() < 12, (coco, d)
    # The box holds every visible joint and lies inside the image.
    for f in range(4):
        x0, y0, x1, y1 = label.bbox[f]
        assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 160
        vis = np.array(label.joint_visibility[f])
        pts = j2d[f][vis]
        assert np.all((pts[:, 0] >= x0 - 1) & (pts[:, 0] <= x1 + 1) & (pts[:, 1] >= y0 - 1) & (pts[:, 1] <= y1 + 1))
    vis = np.array(label.joint_visibility)
    assert vis[:, names.index("head")].all() and vis[:, names.index("pelvis")].any()
    near, far = "left", "right"
    # The camera is on the actor's left (+X side): right-side joints are behind the body.
    assert (~vis).sum() > 0, "a side view hides some joints"
    assert vis[:, names.index(f"{near}_shoulder")].all()
    assert not vis[:, names.index(f"{far}_hip")].all() or not vis[:, names.index(f"{far}_shoulder")].all()
    kvis = np.array(label.keypoint_visibility)
    assert kvis[:, label.keypoint_names.index("left_ear")].all()
    assert not kvis[:, label.keypoint_names.index("right_ear")].any()
    assert label.render_stats["annotate_s"] >= 0


@pytest.mark.parametrize("engine", ["workbench", "cycles"])
def test_mask_and_depth_passes_agree_with_the_joints(tmp_path, default_body, body_dir, engine):
    job = make_jobs(tmp_path, ["wave"], engine=engine, frames=3, size=(128, 96),
                    annotations={"mask": True, "depth": True}, scene={"distractors": 0})[0]
    worker.render_job(job, tmp_path, body_dir)
    label = load_label(tmp_path / job.label_path)
    assert label.passes == job.passes_path
    with np.load(tmp_path / job.passes_path) as data:
        mask, depth = data["mask"], data["depth"].astype(np.float32)
    assert mask.shape == (3, 96, 128) and depth.shape == (3, 96, 128) and mask.dtype == np.uint8
    cams = label.camera.world_to_camera
    for f in range(3):
        m = mask[f].astype(bool)
        assert 0.02 < m.mean() < 0.6
        grown = m.copy()
        for dy in (-2, 0, 2):
            for dx in (-2, 0, 2):
                grown |= np.roll(np.roll(m, dy, 0), dx, 1)
        vis = np.array(label.joint_visibility[f])
        u, v = np.array(label.joints_2d[f])[vis].round().astype(int).T
        u, v = np.clip(u, 0, 127), np.clip(v, 0, 95)
        assert grown[v, u].mean() >= 0.85
        # Depth at a visible joint's pixel is the body's surface, a little in front of the joint.
        w2c = np.array(cams[f])
        joints = np.array(label.joints_3d[f])[vis]
        joint_depth = (joints @ w2c[:3, :3].T + w2c[:3, 3])[:, 2]
        surface = depth[f][v, u]
        on_body = m[v, u]
        gap = joint_depth[on_body] - surface[on_body]
        assert np.median(gap) > -0.05 and np.median(gap) < 0.3, gap
        # The ground behind the actor has depth too; the mask is the person alone.
        assert (depth[f][~m] > 0).mean() > 0.3
    # The main render is unchanged by the pass: colours, not the pass's flat emission.
    frames, _, _ = decode(tmp_path / job.clip_path)
    assert frames[0].std() > 10


@pytest.mark.slow
def test_a_worker_rendering_100_jobs_keeps_its_memory_bounded(tmp_path, default_body, body_dir):
    """One process, 100 small jobs in a row: resident memory after job 100 stays within 30 MB of what it was
    after job 20, so a leak of 0.4 MB a job or more fails (measured with 200 jobs: 458 MB after the first, 467
    after 20, 469 after 200; 200 jobs cost the suite 145 s)."""

    def rss_mb() -> float:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    jobs = make_jobs(tmp_path, ["wave"], frames=1, size=(16, 16), clips=100, val_fraction=0)
    rss = []
    for job in jobs:
        worker.render_job(job, tmp_path, body_dir)
        rss.append(rss_mb())
    assert len(list(tmp_path.rglob("*.mp4"))) == 100
    assert rss[-1] - rss[19] < 30, (rss[0], rss[19], rss[59], rss[-1])


def test_workbench_renders_with_the_anti_aliasing_its_samples_ask_for(tmp_path, default_body, body_dir):
    import bpy

    for samples, expected in ((1, "FXAA"), (8, "8")):
        job = make_jobs(tmp_path, ["wave"], frames=1, size=(32, 32), samples=samples)[0]
        worker.build_scene(job, tmp_path, body_dir, threads=1)
        assert bpy.context.scene.display.render_aa == expected


def test_workbench_shows_the_clothing_colours(tmp_path, default_body, body_dir):
    """The body and every piece it wears show their 'clothing' colour in Workbench (previews, contact sheets);
    before 2026-11-29 no colour was active and people came out nearly black."""
    job = make_jobs(tmp_path, ["wave"], frames=2, size=(128, 128), clothing={"pattern": {"choice": ["solid"]}})[0]
    shirt = (0.05, 0.6, 0.05)  # a green no background has
    colors = {**job.appearance.colors, "shirt": shirt}
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"colors": colors, "outfit": None})})
    scene, cast, spec, *_ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    assert cast.actor.mesh.data.color_attributes.active_color.name == "clothing"
    scene.render.image_settings.file_format = "BMP"
    apply_frame(scene, cast, spec, 1)
    img = render_still(tmp_path / "wb.bmp")
    u, v = spec.joints_2d[1][9].round().astype(int)  # spine3: the chest, in the shirt
    r, g, b = img[v, u]
    assert g > 50 and g > 1.5 * max(r, b), (r, g, b)


def test_numpy_visibility_gives_the_labels_the_scene_ray_casts_gave(tmp_path, default_body, body_dir, monkeypatch):
    """Issue 15: the labels' visibility is cast in numpy over the frame's evaluated triangles
    (core.geometry.occlusion) instead of one Blender scene.ray_cast per point. Over a fixed small plan (a side
    view that hides the far arm, a two-person action with a held prop, distractors) the labels are identical."""
    import json

    from render_farm.blender import annotate

    jobs = make_jobs(tmp_path, ["clap"], frames=4, size=(96, 96),
                     camera={"azimuth_deg": 90, "elevation_deg": 0, "motion": {"choice": ["static"]}},
                     motion={"heading_deg": 0, "root_offset_m": 0})
    jobs += make_jobs(tmp_path, ["pass_object", "handshake"], frames=4, size=(96, 96), scene={"distractors": 3})

    def label_of(job, name):
        job = job.model_copy(update={"clip_path": f"clips/{name}.mp4", "label_path": f"labels/{name}.json"})
        worker.render_job(job, tmp_path, body_dir)
        label = json.loads((tmp_path / job.label_path).read_text())
        del label["render_stats"], label["clip"], label["params"]["label_path"]
        del label["clip_file"]["mtime_ns"]  # when it was written; its size and digest must agree
        return label

    hidden = 0
    for i, job in enumerate(jobs):
        numpy_label = label_of(job, f"numpy{i}")
        with monkeypatch.context() as m:
            m.setattr(annotate, "visible",
                      lambda frame, camera, points, tol: annotate.ray_cast_visible(frame.scene, camera, points, tol))
            ray_cast_label = label_of(job, f"ray_cast{i}")
        assert numpy_label == ray_cast_label, job.template_id
        flags = [numpy_label["joint_visibility"], numpy_label["keypoint_visibility"]]
        if numpy_label.get("partner"):
            flags += [numpy_label["partner"]["joint_visibility"], numpy_label["partner"]["keypoint_visibility"]]
        hidden += int((~np.concatenate([np.array(f).ravel() for f in flags])).sum())
    assert hidden > 20, "the plan hides some joints and keypoints: the test can tell the two apart"


def _reset_by_factory_settings():
    """scene.reset as it was before issue 15: the factory settings, preferences and add-ons included."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def _keep_still_by_conversion(obj, name):
    """hair.keep_still as it was before issue 15's copy out of the depsgraph: Blender's own conversion applies
    the node modifiers (evaluating them a second time), then the same hidden second user."""
    from render_farm.blender import hair

    with bpy.context.temp_override(object=obj, active_object=obj, selected_objects=[obj],
                                   selected_editable_objects=[obj]):
        assert bpy.ops.object.convert(target="CURVES") == {"FINISHED"}
    twin = bpy.data.objects.new(f"{name}_hair_strands_instance", obj.data)
    bpy.context.scene.collection.objects.link(twin)
    for ray in hair._RAYS:
        setattr(twin, ray, False)
    twin.hide_set(True)


def _weights_value_by_value(obj, weights):
    """body._add_weights as it was before issue 15 moved the groups in through attributes: the vertices of each
    distinct rounded weight added with one `group.add`, weights that round to 0 added as members of weight 0."""
    from render_farm.blender.body import WEIGHT_STEP

    for j, name in enumerate(JOINT_NAMES):
        group = obj.vertex_groups.new(name=name)
        idx = np.nonzero(weights[:, j] > 1e-4)[0]
        steps = np.round(weights[idx, j] / WEIGHT_STEP).astype(np.int64)
        for step in np.unique(steps):
            group.add(idx[steps == step].tolist(), float(step * WEIGHT_STEP), "REPLACE")


def _stored_groups(obj) -> list[list[tuple[int, float]]]:
    """Each vertex's group memberships, in the order Blender stores (and the armature sums) them."""
    return [[(g.group, g.weight) for g in v.groups] for v in obj.data.vertices]


def test_vertex_groups_hold_the_rounded_weights_in_the_order_they_were_added_by_value(default_body):
    """The body's and a garment's skin weights go in through attributes: per vertex the same groups, in the
    same stored order, with the same weights as added value by value; only the members of weight 0 (weights
    under half a step) are gone, and the armature ignores those."""
    from render_farm.core.plan.jobs import OutfitParams
    from render_farm.outfits import outfit_pieces

    scene_module.reset()
    piece = outfit_pieces(default_body, OutfitParams(top="longsleeve", bottom="skirt", hair="none"))[1]
    for vertices, faces, weights in ((default_body.vertices, default_body.faces, default_body.joint_weights),
                                     (piece.vertices, piece.faces, piece.weights)):
        made = {}
        for way, add in (("now", body_module._add_weights), ("by_value", _weights_value_by_value)):
            obj = bpy.data.objects.new(way, body_module._triangles(way, vertices, faces, None))
            bpy.context.scene.collection.objects.link(obj)
            add(obj, weights)
            assert [g.name for g in obj.vertex_groups] == list(JOINT_NAMES)
            made[way] = _stored_groups(obj)
        by_value_nonzero = [[m for m in v if m[1] > 0] for v in made["by_value"]]
        assert made["now"] == by_value_nonzero
        assert all(w > 0 for v in made["now"] for _, w in v)
        assert sum(map(len, made["now"])) > len(vertices)  # most vertices blend two or more joints
        assert sum(map(len, made["by_value"])) > sum(map(len, made["now"]))  # there were zero members to drop


def _triangles_per_element(name, vertices, faces, corner_uvs):
    """body._triangles as it was before issue 15 wrote the attributes straight: per-element RNA properties."""
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", vertices.astype(np.float32).ravel())
    mesh.loops.add(len(faces) * 3)
    mesh.loops.foreach_set("vertex_index", faces.astype(np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, len(faces) * 3, 3, dtype=np.int32))
    uv = mesh.uv_layers.new(name="UVMap")
    if corner_uvs is not None:
        uv.data.foreach_set("uv", corner_uvs.astype(np.float32).ravel())
    mesh.update(calc_edges=True)
    mesh.validate(clean_customdata=False)
    mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), dtype=bool))
    return mesh


def _mesh_arrays(mesh) -> dict[str, np.ndarray]:
    """What a render reads of a mesh: positions, corners, edges, UVs, smoothness (selection flags left out)."""
    n_vert, n_corner, n_edge, n_face = len(mesh.vertices), len(mesh.loops), len(mesh.edges), len(mesh.polygons)
    out = {"co": np.empty(n_vert * 3, np.float32), "vertex_index": np.empty(n_corner, np.int32),
           "edge_index": np.empty(n_corner, np.int32), "edges": np.empty(n_edge * 2, np.int32),
           "loop_start": np.empty(n_face, np.int32), "use_smooth": np.empty(n_face, bool),
           "uv": np.empty(n_corner * 2, np.float32)}
    mesh.vertices.foreach_get("co", out["co"])
    mesh.loops.foreach_get("vertex_index", out["vertex_index"])
    mesh.loops.foreach_get("edge_index", out["edge_index"])
    mesh.edges.foreach_get("vertices", out["edges"])
    mesh.polygons.foreach_get("loop_start", out["loop_start"])
    mesh.polygons.foreach_get("use_smooth", out["use_smooth"])
    mesh.uv_layers["UVMap"].data.foreach_get("uv", out["uv"])
    return out


def test_meshes_written_through_their_attributes_are_the_meshes_built_element_by_element(default_body):
    scene_module.reset()
    faces = default_body.faces[::3]  # some vertices unused, as under garments
    uvs = default_body.corner_uvs.reshape(-1, 3, 2)[::3].reshape(-1, 2)
    now = _mesh_arrays(body_module._triangles("now", default_body.vertices, faces, uvs))
    before = _mesh_arrays(_triangles_per_element("before", default_body.vertices, faces, uvs))
    assert now.keys() == before.keys()
    for key in now:
        np.testing.assert_array_equal(now[key], before[key], err_msg=key)
    assert now["use_smooth"].all() and len(now["edges"]) > len(faces) * 2
    assert np.abs(now["uv"]).max() > 0.1


def test_the_quicker_scene_build_renders_the_frames_and_labels_it_did_before(tmp_path, default_body, body_dir,
                                                                             monkeypatch):
    """Issue 15: the scene is reset from the factory startup file without resetting the preferences (which
    registered every add-on again), the strands' styling is copied out of the depsgraph instead of applied
    by operator, and the meshes and skin weights go in through attributes. Over a fixed small plan in Cycles
    (strand hair that curls, two people, distractors) the labels are identical and so are the frames, byte for
    byte."""
    import json

    from render_farm.blender import hair
    from render_farm.core.plan.jobs import OutfitParams

    curly = OutfitParams(top="tshirt", bottom="shorts", hair="curly", hair_geometry="curves", hair_strands=500)
    jobs = make_jobs(tmp_path, ["wave"], engine="cycles", frames=3, size=(48, 48), samples=2)
    jobs = [jobs[0].model_copy(update={"appearance": jobs[0].appearance.model_copy(update={"outfit": curly})})]
    jobs += make_jobs(tmp_path, ["handshake"], engine="cycles", frames=3, size=(48, 48), samples=2,
                      scene={"distractors": 2})

    def rendered(job, name):
        job = job.model_copy(update={"clip_path": f"clips/{name}.mp4", "label_path": f"labels/{name}.json"})
        worker.render_job(job, tmp_path, body_dir)
        label = json.loads((tmp_path / job.label_path).read_text())
        del label["render_stats"], label["clip"], label["params"]["label_path"]
        del label["clip_file"]["mtime_ns"]  # when it was written; its size and digest must agree
        return np.stack(decode(tmp_path / job.clip_path)[0]), label

    strands = 0
    for i, job in enumerate(jobs):
        frames, label = rendered(job, f"now{i}")
        strands += sum(len(c.curves) for c in bpy.data.hair_curves)
        with monkeypatch.context() as m:
            m.setattr(scene_module, "reset", _reset_by_factory_settings)
            m.setattr(hair, "keep_still", _keep_still_by_conversion)
            m.setattr(body_module, "_add_weights", _weights_value_by_value)
            m.setattr(body_module, "_triangles", _triangles_per_element)
            before, label_before = rendered(job, f"before{i}")
        assert label == label_before, job.template_id
        assert frames.shape == (3, 48, 48, 3) and frames.std() > 5
        np.testing.assert_array_equal(frames, before, err_msg=job.template_id)
    assert strands > 400  # the plan did grow strand hair
