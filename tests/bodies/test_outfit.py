"""Outfits: garments, hair and accessories as meshes skinned to the body (render_farm/outfits/),
from their geometry to Blender's evaluated scene and the rendered person mask."""

import av
import numpy as np
import pytest

from render_farm import outfits as o
from render_farm.core.geometry import mesh
from render_farm.core.plan.config import ConfigError, parse_config
from render_farm.core.plan.jobs import OutfitParams
from render_farm.core.plan.planner import plan
from render_farm.outfits import garments, hairstyles
from render_farm.outfits.pieces import THICKNESS, dominated_by
from render_farm.templates import find_template

GARMENTS = ("tshirt", "longsleeve", "trousers", "shorts", "skirt", "dress", "jacket", "shoes")


def test_every_piece_is_a_skinned_mesh_standing_off_the_skin(default_body):
    body = default_body
    for kind in GARMENTS:
        for piece in o.garment(body, kind):
            assert len(piece.faces) > 100 and piece.faces.max() < len(piece.vertices), kind
            np.testing.assert_allclose(piece.weights.sum(axis=1), 1.0, atol=1e-5)
    for style in o.HAIR_STYLES:
        pieces = o.hair(body, style)
        assert (pieces == []) == (style == "none")
        assert {p.name for p in pieces} == {"none": set(), "short": {"hair"}, "curly": {"hair"},
                                            "long": {"hair", "hair_long"}, "ponytail": {"hair", "hair_tail"}}[style]
    head = body.rest_joints[15]
    for kind in o.ACCESSORIES:
        piece = o.accessory(body, kind)
        centre = piece.vertices.mean(axis=0)
        near_head = np.linalg.norm(centre - head) < 0.25
        assert near_head == (kind in ("glasses", "hat")), kind
    # A shell lies on the skin it covers (its thickness is added after skinning, in Blender) and keeps the
    # skin's weights; a jacket stands further off than the shirt under it.
    (shirt,) = o.garment(body, "tshirt")
    np.testing.assert_array_equal(shirt.vertices, body.vertices[shirt.source])
    np.testing.assert_array_equal(shirt.weights, body.joint_weights[shirt.source])
    assert shirt.thickness == THICKNESS["tshirt"] < o.garment(body, "jacket")[0].thickness
    # Longer sleeves reach further down the arm; shorts stop above the knee, trousers near the ankle.
    (long,) = o.garment(body, "longsleeve")
    assert np.abs(long.vertices[:, 0]).max() > np.abs(shirt.vertices[:, 0]).max() + 0.15
    (shorts,), (trousers,) = o.garment(body, "shorts"), o.garment(body, "trousers")
    assert shorts.vertices[:, 2].min() > body.rest_joints[4, 2] + 0.05 > trousers.vertices[:, 2].min() + 0.3


def test_strand_hair_guides_lie_outside_the_head_at_their_style_length(default_body):
    body = default_body
    head = dominated_by(body, "head", "neck")
    skin, normals = body.vertices[head].astype(np.float64), mesh.vertex_normals(body.vertices, body.faces)[head]
    neck = body.rest_joints[12]
    for style, base in hairstyles.STRAND_LENGTH_M.items():
        g = o.hair_guides(body, style, length=1.2, strands=2000, guides=100, seed=3)
        assert g.points.shape == (100, o.GUIDE_POINTS, 3) and g.children == 19
        # Roots on the scalp: the top and back of the head.
        roots = g.points[:, 0].astype(np.float64)
        nearest = np.argmin(((roots[:, None] - skin[None]) ** 2).sum(axis=2), axis=1)
        assert np.linalg.norm(roots - skin[nearest], axis=1).max() < 0.03, style  # the scalp's mesh is coarse
        assert np.abs(((roots - skin[nearest]) * normals[nearest]).sum(axis=1)).max() < 0.004, style
        assert roots[:, 2].min() > body.rest_joints[15, 2] + 0.05, style
        # Every other point stands off the skin (the push-out leaves 8 mm, less a little for the curvature).
        rest = g.points[:, 1:].reshape(-1, 3).astype(np.float64)
        nearest = np.argmin(((rest[:, None] - skin[None]) ** 2).sum(axis=2), axis=1)
        depth = ((rest - skin[nearest]) * normals[nearest]).sum(axis=1)
        assert depth.min() > 0.004, (style, depth.min())
        # Length: the style's base length times the factor, within the per-strand jitter (and the push-out).
        # (A ponytail's length is its tail's: from the tie, the fourth point, on.)
        strand = g.points[:, 3:] if style == "ponytail" else g.points
        length = np.linalg.norm(np.diff(strand, axis=1), axis=2).sum(axis=1)
        assert 0.8 * 1.2 * base < np.median(length) < 1.35 * 1.2 * base, (style, np.median(length))
        if style in ("long", "ponytail"):  # they fall below the skull, behind the neck
            tips = g.points[:, -1]
            assert np.median(tips[:, 2]) < neck[2] + 0.1 and (tips[:, 1] > neck[1] + 0.06).all(), style
    # Seeded: the same seed gives the same strands, another seed others.
    a, b = o.hair_guides(body, "long", seed=1), o.hair_guides(body, "long", seed=2)
    np.testing.assert_array_equal(a.points, o.hair_guides(body, "long", seed=1).points)
    assert not np.allclose(a.points, b.points)
    with pytest.raises(ValueError, match="no strands for hair style 'none'"):
        o.hair_guides(body, "none")


def test_pushing_guides_out_again_only_where_they_moved_gives_the_same_strands(default_body, monkeypatch):
    """_push_out looks again only at the points its last pass moved (a point left in place keeps its nearest
    scalp vertex), and finds the nearest vertices a few rows of distances at a time (mesh.nearest): the guides
    are bit for bit those of one whole distance matrix of every point each pass (measured: 240 of 240 over 6
    bodies, 4 styles, 10 seeds, in a quarter of the time)."""
    def every_point_each_pass(points, skin, normals, margin):
        flat = points.reshape(-1, 3).astype(np.float64)
        for _ in range(3):
            nearest = np.argmin(mesh.squared_distances(flat, skin), axis=1)
            depth = ((flat - skin[nearest]) * normals[nearest]).sum(axis=1)
            under = depth < margin
            flat[under] += normals[nearest[under]] * (margin - depth[under])[:, None]
        return flat.reshape(points.shape)

    for style in ("long", "short", "ponytail"):
        for seed in (1, 2):
            now = o.hair_guides(default_body, style, seed=seed)
            with monkeypatch.context() as m:
                m.setattr(hairstyles, "_push_out", every_point_each_pass)
                before = o.hair_guides(default_body, style, seed=seed)
            np.testing.assert_array_equal(now.points, before.points)


def test_nearest_ranks_each_row_as_the_whole_distance_matrix_does():
    """mesh.nearest works through the distance matrix a few rows at a time; its picks and distances are those
    of ranking each row of the whole matrix, ties (repeated vertices) included, across chunk boundaries."""
    rng = np.random.default_rng(4)
    others = rng.normal(size=(700, 3))
    others[350:] = others[:350]  # every vertex twice: ties at every rank
    points = rng.normal(size=(3 * mesh.NEAREST_ROWS + 5, 3))
    d2 = mesh.squared_distances(points, others)
    index, value = mesh.nearest(points, others)
    np.testing.assert_array_equal(index[:, 0], np.argmin(d2, axis=1))
    np.testing.assert_array_equal(value[:, 0], d2.min(axis=1))
    assert (index[:, 0] < 350).all()  # the first of two equals, as argmin picks
    index6, value6 = mesh.nearest(points, others, k=6)
    np.testing.assert_array_equal(index6, np.argsort(d2, axis=1)[:, :6])
    np.testing.assert_array_equal(value6, np.take_along_axis(d2, index6, axis=1))
    assert (np.diff(value6, axis=1) >= 0).all() and len(index6) == len(points)


def test_open_edges_are_the_edges_of_one_triangle_only_in_row_order(default_body):
    """open_edges counts each edge as one integer key; the result is, row for row, that of counting the sorted
    edge rows themselves: for every garment of a full outfit, a surface with a hole, and no faces at all."""

    def by_rows(faces):
        edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
        unique, counts = np.unique(edges, axis=0, return_counts=True)
        return unique[counts == 1]

    pieces = o.outfit_pieces(default_body, OutfitParams(top="longsleeve", bottom="skirt", shoes=True))
    holed = default_body.faces[np.arange(len(default_body.faces)) % 50 != 0]
    for faces in [p.faces for p in pieces] + [default_body.faces, holed]:
        got = mesh.open_edges(faces)
        np.testing.assert_array_equal(got, by_rows(faces))
        assert got.dtype == faces.dtype
    assert len(mesh.open_edges(holed)) > len(mesh.open_edges(default_body.faces)) + 100  # the holes' rims
    assert all(len(mesh.open_edges(p.faces)) > 20 for p in pieces)  # every garment has openings
    assert mesh.open_edges(np.zeros((0, 3), dtype=np.int32)).shape == (0, 2)


@pytest.mark.blender
def test_strand_hair_follows_the_head_through_a_clip(tmp_path, default_body, body_dir):
    """Grown in Blender from the node assets, the strands keep their roots on the posed scalp in every frame
    of a clip that turns the head, and their number is what the job asked for."""
    import bpy

    from render_farm.blender import worker
    from render_farm.blender.annotate import _evaluated
    from render_farm.blender.render import apply_frame
    from tests.blender.test_blender_worker import make_jobs

    job = make_jobs(tmp_path, ["shake_head"], frames=6, size=(64, 64), samples=1)[0]
    outfit = OutfitParams(hair="long", hair_geometry="curves", hair_strands=800, hair_seed=11)
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    scene, cast, spec, body, _ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    cap, strands = cast.actor.pieces
    assert strands.type == "CURVES" and cap.type == "MESH"
    guides = o.strand_guides(body, outfit)
    grown = len(guides.points) * (guides.children + 1)
    assert abs(grown - 800) <= len(guides.points) / 2
    def in_rest(points):  # world positions taken back through the head's own skinning transform
        rig = cast.actor.armature
        deform = rig.matrix_world @ rig.pose.bones["head"].matrix @ rig.data.bones["head"].matrix_local.inverted()
        m = np.linalg.inv(np.array(deform))
        return points @ m[:3, :3].T + m[:3, 3]

    rest_roots = None
    heads = []
    for k in range(6):
        apply_frame(scene, cast, spec, k)
        bpy.context.view_layer.update()
        points = _evaluated(strands).reshape(-1, o.GUIDE_POINTS, 3)
        assert len(points) == grown
        # In the head's frame the roots do not move (rigid with the head), and they lie on the scalp cap,
        # which is where the rest-pose guides put them.
        roots = in_rest(points[:, 0])
        rest_roots = roots if rest_roots is None else rest_roots
        assert np.abs(roots - rest_roots).max() < 1e-4, k
        cap_rest = in_rest(_evaluated(cap))
        np.testing.assert_allclose(cap_rest[np.argsort(cap_rest[:, 2])[-50:]],
                                   o.hair(body, "long", strands=True)[0].vertices[np.argsort(cap_rest[:, 2])[-50:]],
                                   atol=0.006)  # the crown of the cap (its 4 mm stand-off included)
        heads.append(np.array(cast.actor.posed_joints()[15]))
    guide_roots = guides.points[:, 0].astype(np.float64)
    gap = np.sqrt(((rest_roots[:, None] - guide_roots[None]) ** 2).sum(axis=2)).min(axis=1)
    assert np.median(gap) < guides.spread_m + 0.002, np.median(gap)
    # The head did move: the roots were checked on a moving scalp.
    assert np.ptp(np.stack(heads), axis=0).max() > 0.005


@pytest.mark.blender
@pytest.mark.parametrize("style", ["long", "curly"])  # curly adds the curl node group
def test_styled_strands_are_the_ones_blender_applies(tmp_path, body_dir, monkeypatch, style):
    """keep_still copies the styled strands out of the depsgraph instead of applying the node modifiers by
    operator (which evaluated them a second time): the curves, every named attribute and the material are
    what Blender's own conversion (`object.convert`) gives, value for value. (The conversion also keeps
    hidden leftovers of the node groups' anonymous fields, named by a hash of the modifier; they are not
    copied, and nothing renders them.)"""
    import bpy

    from render_farm.blender import hair, worker
    from tests.blender.test_blender_worker import make_jobs

    def snapshot(curves):
        out = {"offsets": np.array([c.points[0].index for c in curves.curves] + [len(curves.points)])}
        for attr in curves.attributes:
            if attr.name.startswith("."):
                continue
            key, width, dtype = hair._ATTRIBUTE_BUFFERS[attr.data_type]
            values = np.empty(len(attr.data) * width, dtype=dtype)
            attr.data.foreach_get(key, values)
            out[f"{attr.domain}:{attr.name}"] = values
        return out

    converted = {}
    keep_still = hair.keep_still

    def both_ways(obj, name):
        twin = obj.copy()  # the same curves and modifiers, applied by Blender's conversion
        copied = twin.data = obj.data.copy()
        bpy.context.scene.collection.objects.link(twin)
        with bpy.context.temp_override(object=twin, active_object=twin, selected_objects=[twin],
                                       selected_editable_objects=[twin]):
            assert bpy.ops.object.convert(target="CURVES") == {"FINISHED"}
        converted.update(snapshot(twin.data), materials=[m.name for m in twin.data.materials])
        applied = twin.data
        bpy.data.objects.remove(twin)
        for data in {copied, applied}:
            bpy.data.hair_curves.remove(data)
        keep_still(obj, name)

    monkeypatch.setattr(hair, "keep_still", both_ways)
    job = make_jobs(tmp_path, ["wave"], engine="cycles", frames=2, size=(32, 32), samples=1)[0]
    outfit = OutfitParams(hair=style, hair_geometry="curves", hair_strands=600, hair_seed=5)
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    _, cast, *_ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    strands = cast.actor.pieces[-1]
    assert strands.type == "CURVES" and not strands.modifiers
    kept = snapshot(strands.data)
    kept["materials"] = [m.name for m in strands.data.materials]
    assert kept.keys() == converted.keys() and "POINT:radius" in kept and kept["materials"] == ["hair"]
    for key, values in kept.items():
        np.testing.assert_array_equal(values, converted[key], err_msg=key)
    assert len(kept["offsets"]) > 500 and np.ptp(kept["POINT:radius"]) > 0
    assert [c.name for c in bpy.data.hair_curves] == [strands.data.name]  # the unstyled guides are gone


@pytest.mark.blender
def test_no_skin_shows_through_the_garments_in_an_extreme_pose(tmp_path, default_body, body_dir):
    """In Blender's evaluated scene, a test-made extreme pose (an arm overhead, the other across, a high knee,
    the trunk bent and twisted), at sampled points of the skin a garment covers: either the skin is not
    rendered there (the body's faces under a garment are left out, away from its edge), or a ray out along
    the skin's normal meets the garment over it within its thickness and a margin (or the skin folded onto
    itself). No point may show skin through cloth."""
    import bpy
    from mathutils import Vector

    from render_farm.blender import worker
    from render_farm.blender.annotate import _evaluated
    from tests.blender.test_blender_worker import make_jobs
    from tools.authoring import Dir, Euler, arm, leg, merge, solve_pose

    job = make_jobs(tmp_path, ["wave"], frames=2, size=(64, 64), samples=1)[0]
    outfit = OutfitParams(top="longsleeve", bottom="trousers", jacket=False, shoes=True)
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    scene, cast, spec, body, _ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    pose = merge(arm("left", (0.2, 0.3, 1.0), (0.5, 0.9, 0.2)), arm("right", (-0.3, 0.9, 0.3), (-0.6, 0.3, 0.6)),
                 leg("left", 85, 100), leg("right", -25, 40), {"spine2": Euler(25, 10, 30), "neck": Dir(0, -0.3, 1)})
    local, root = solve_pose(pose)
    cast.actor.set_pose(local, root)
    bpy.context.view_layer.update()
    depsgraph = bpy.context.evaluated_depsgraph_get()
    skin = _evaluated(cast.actor.mesh)
    normals = mesh.vertex_normals(skin, body.faces)
    pieces = o.outfit_pieces(body, outfit)
    hidden = o.hidden_body_faces(body, pieces)
    assert len(cast.actor.mesh.data.polygons) == (~hidden).sum() and len(skin) == len(body.vertices)
    rendered = np.zeros(len(body.vertices), dtype=bool)
    rendered[body.faces[~hidden]] = True
    checked = left_out = missed = folds = 0
    body_inverse = cast.actor.mesh.matrix_world.inverted()
    for piece, obj in zip(pieces, cast.actor.pieces, strict=True):
        inverse = obj.matrix_world.inverted()
        for i in piece.source[~garments.hem_vertices(piece)][::9]:  # the covered skin: not the hem's own edge
            checked += 1
            if not rendered[i]:
                left_out += 1
                continue
            start = Vector(skin[i] + normals[i] * 0.0005)
            hit, *_ = obj.ray_cast(inverse @ start, (inverse.to_3x3() @ Vector(normals[i])).normalized(),
                                   distance=piece.thickness + 0.01, depsgraph=depsgraph)
            if not hit:  # unless the skin is folded onto itself there (then skin covers it, not cloth)
                folded, *_ = cast.actor.mesh.ray_cast(
                    body_inverse @ start, (body_inverse.to_3x3() @ Vector(normals[i])).normalized(),
                    distance=piece.thickness + 0.01, depsgraph=depsgraph)
                folds += folded
                missed += not folded
    # Before the skin under garments was left out (measured 2026-11-29), 2 of 606 points showed through at
    # the top of the shoulders with an arm overhead, where linear blend skinning collapses skin and cloth alike.
    assert checked > 500 and left_out > 0.6 * checked, (left_out, checked)
    assert missed == 0 and folds <= 0.02 * checked, (missed, folds, checked)



@pytest.mark.blender
def test_blender_skins_a_skirt_as_the_numpy_check_does(tmp_path, default_body, body_dir):
    """Blender's Armature modifier with Preserve Volume moves a skirt's vertices where
    kinematics.skin_dual_quaternion puts them (so the numpy check judges what renders), in a deep squat where
    linear blending would put them centimetres elsewhere."""
    import bpy

    from render_farm.blender import worker
    from render_farm.blender.annotate import _evaluated
    from render_farm.core.geometry import kinematics
    from render_farm.outfits.fit import posed_piece
    from tests.blender.test_blender_worker import make_jobs
    from tools.authoring import leg, merge, solve_pose

    job = make_jobs(tmp_path, ["wave"], frames=2, size=(64, 64), samples=1)[0]
    outfit = OutfitParams(top="none", bottom="skirt", jacket=False, shoes=False, hair_geometry="mesh")
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    scene, cast, spec, body, _ = worker.build_scene(job, tmp_path, body_dir, threads=1)
    local, root = solve_pose(merge(leg("left", 110, 120), leg("right", 60, 30)))
    cast.actor.set_pose(local, root)
    bpy.context.view_layer.update()
    pieces = o.outfit_pieces(body, outfit)
    (k,) = [i for i, p in enumerate(pieces) if p.kind == "skirt"]
    obj = cast.actor.pieces[k]
    assert obj.modifiers["rig"].use_deform_preserve_volume
    # The skin deep under the skirt is not rendered; every vertex is kept (keypoints, boxes).
    hidden = o.hidden_body_faces(body, pieces)
    assert len(cast.actor.mesh.data.polygons) == (~hidden).sum() < len(body.faces) - 500
    assert len(cast.actor.mesh.data.vertices) == len(body.vertices)
    inverse = np.linalg.inv(np.array(cast.actor.armature.matrix_world))
    blender = _evaluated(obj) @ inverse[:3, :3].T + inverse[:3, 3]
    rest = body.rest_joints.astype(np.float64)
    joints, glob = kinematics.forward_kinematics(rest, local[None], np.asarray(root)[None])
    numpy_dual = posed_piece(pieces[k], joints[0], glob[0], rest)
    numpy_linear = kinematics.skin(pieces[k].vertices.astype(np.float64), pieces[k].weights, rest, joints[0], glob[0])
    # Blender stores the weights in steps of 1/512 and in single precision: a fraction of a millimetre.
    assert np.abs(blender - numpy_dual).max() < 0.001
    assert np.linalg.norm(blender - numpy_linear, axis=1).max() > 0.02


def test_outfits_are_sampled_from_their_own_stream_never_from_the_action():
    config = parse_config({"actions": ["walk", "wave"], "clips_per_action": 20, "seed": 4}, "c")
    jobs = plan(config, [find_template("walk"), find_template("wave")])
    outfits = [j.appearance.outfit for j in jobs]
    assert all(isinstance(x, OutfitParams) for x in outfits)
    assert {x.hair for x in outfits} >= {"short", "long"} and any(x.jacket for x in outfits)
    # Strand hair by default, its length and density drawn per job within the configured ranges.
    assert {x.hair_geometry for x in outfits} == {"curves"}  # Cycles, the default engine
    preview = parse_config({"actions": ["walk"], "clips_per_action": 3, "preset": "preview"}, "c")
    assert {j.appearance.outfit.hair_geometry for j in plan(preview, [find_template("walk")])} == {"mesh"}
    forced = parse_config({"actions": ["walk"], "preset": "preview", "outfit": {"hair_geometry": "curves"}}, "c")
    assert plan(forced, [find_template("walk")])[0].appearance.outfit.hair_geometry == "curves"
    assert all(0.7 <= x.hair_length <= 1.3 and 1500 <= x.hair_strands <= 5000 for x in outfits)
    assert len({x.hair_strands for x in outfits}) > 30 and len({x.hair_seed for x in outfits}) == 40
    from render_farm.core.plan.planner import summarize

    summary = summarize(jobs)["parameters"]  # what `synthact report` plots
    assert 1500 <= summary["appearance.outfit.hair_strands"]["min"] < summary["appearance.outfit.hair_strands"]["max"]
    assert summary["appearance.outfit.hair_length"]["max"] <= 1.3
    with pytest.raises(ConfigError, match=r"outfit.hair_length: .*must be positive"):
        parse_config({"actions": ["walk"], "outfit": {"hair_length": [-0.5, 1.0]}}, "c")
    # Same seed and clip index, another action: another job seed, so compare the stream directly.
    from render_farm.core.plan.planner import sample_outfit

    assert sample_outfit(config, 123) == sample_outfit(config, 123)
    off = parse_config({"actions": ["walk"], "outfit": {"enabled": False}}, "c")
    assert plan(off, [find_template("walk")])[0].appearance.outfit is None


def _mask_frames(tmp_path, name, job, body_dir, engine):
    from render_farm.blender import worker

    job = job.model_copy(update={"render": job.render.model_copy(update={"engine": engine, "passes": ["mask"]}),
                                 "passes_path": f"passes/{name}.npz", "clip_path": f"clips/{name}.mp4",
                                 "label_path": f"labels/{name}.json"})
    worker.render_job(job, tmp_path, body_dir)
    with av.open(str(tmp_path / job.clip_path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    return np.load(tmp_path / job.passes_path)["mask"].astype(bool), frames


CURVES = {"hair_geometry": "curves", "hair_strands": 1200, "hair_seed": 7}
OUTFITS = {
    "everyday": OutfitParams(top="tshirt", bottom="trousers", shoes=True, hair="short", accessories=["glasses"],
                             **CURVES),
    "layered": OutfitParams(top="longsleeve", bottom="shorts", jacket=True, hair="long",
                            accessories=["hat", "bag", "watch"], **CURVES),
    "dress": OutfitParams(dress=True, hair="ponytail", shoes=True, **CURVES),
    "skirt": OutfitParams(top="tshirt", bottom="skirt", hair="curly", **CURVES),
    "mesh_hair": OutfitParams(top="tshirt", bottom="shorts", hair="long", hair_geometry="mesh"),
}


@pytest.mark.blender
@pytest.mark.parametrize("name", list(OUTFITS))
def test_each_garment_and_hair_style_renders_and_the_person_mask_covers_it(tmp_path, default_body, body_dir, name):
    from tests.blender.test_blender_worker import make_jobs

    job = make_jobs(tmp_path, ["wave"], frames=3, size=(96, 96), samples=1)[0]
    outfit = OUTFITS[name].model_copy(update={"colors": {k: (0.8, 0.1, 0.1) for k in o.ACCESSORIES + ("dress",
                                                                                                     "jacket")}})
    dressed = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": outfit})})
    bare = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": None})})
    for engine in ("workbench", "cycles"):
        mask, frames = _mask_frames(tmp_path, f"{name}-{engine}", dressed, body_dir, engine)
        bare_mask, bare_frames = _mask_frames(tmp_path, f"{name}-{engine}-bare", bare, body_dir, engine)
        assert len(frames) == 3 and frames[0].std() > 5
        # The mask is the person in its clothes: it holds the bare body's pixels and more around them.
        assert mask.sum() > bare_mask.sum() * 1.03, (name, engine, mask.sum(), bare_mask.sum())
        assert (mask & bare_mask).sum() >= 0.97 * bare_mask.sum()
        # And the clothes show: the frames differ from the bare person's where the mask grew.
        grown = mask & ~bare_mask
        diff = np.abs(np.stack(frames).astype(int) - np.stack(bare_frames).astype(int)).max(axis=3)
        assert diff[grown].mean() > 10, (name, engine)


@pytest.mark.blender
def test_the_same_dressed_job_renders_the_same_frames_twice(tmp_path, default_body, body_dir):
    from tests.blender.test_blender_worker import make_jobs

    job = make_jobs(tmp_path, ["kick"], frames=3, size=(64, 64), samples=1)[0]
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": OUTFITS["layered"]})})
    _, first = _mask_frames(tmp_path, "a", job, body_dir, "cycles")
    _, second = _mask_frames(tmp_path, "b", job, body_dir, "cycles")
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def _clip_and_label(tmp_path, name, job, body_dir):
    import json

    from render_farm.blender import worker

    job = job.model_copy(update={"clip_path": f"clips/{name}.mp4", "label_path": f"labels/{name}.json"})
    worker.render_job(job, tmp_path, body_dir)
    with av.open(str(tmp_path / job.clip_path)) as c:
        frames = np.array([f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])], dtype=np.float64)
    label = json.loads((tmp_path / job.label_path).read_text())
    del label["render_stats"], label["clip"]  # how long it took and where it went differ
    del label["clip_file"]  # the clip's bytes: the frames are compared within the path tracer's noise below
    del label["params"]["label_path"]
    return frames, label


def _psnr(a, b):
    return 10 * np.log10(255.0**2 / ((a - b) ** 2).mean())


@pytest.mark.blender
def test_hair_kept_still_renders_the_frames_and_labels_it_did_before(tmp_path, default_body, body_dir, monkeypatch):
    """hair.keep_still (the strands' styling applied once, the curves kept an instance in Cycles, which takes
    them out of every frame's BVH build) leaves the labels identical and the frames the same within the path
    tracer's noise: they differ from frames without it by under a quarter of what two seeds of one render
    differ by (measured 39.2 dB against 29.3 dB, about a tenth)."""
    from render_farm.blender import hair
    from render_farm.blender import scene as scene_module
    from tests.blender.test_blender_worker import make_jobs

    job = make_jobs(tmp_path, ["shake_head"], engine="cycles", frames=4, size=(64, 64), samples=4)[0]
    job = job.model_copy(update={"appearance": job.appearance.model_copy(update={"outfit": OUTFITS["layered"]})})
    kept, kept_label = _clip_and_label(tmp_path, "kept", job, body_dir)
    configure = scene_module.configure

    def other_seed(sc, *args, **kwargs):
        configure(sc, *args, **kwargs)
        sc.cycles.seed = 1

    with monkeypatch.context() as m:
        m.setattr(scene_module, "configure", other_seed)
        reseeded, reseeded_label = _clip_and_label(tmp_path, "reseeded", job, body_dir)
    with monkeypatch.context() as m:
        m.setattr(hair, "keep_still", lambda obj, name: None)
        moving, moving_label = _clip_and_label(tmp_path, "moving", job, body_dir)
    assert kept_label == moving_label == reseeded_label
    noise = _psnr(kept, reseeded)
    assert _psnr(kept, moving) > noise + 6, (_psnr(kept, moving), noise)
    assert kept.shape[0] == 4 and kept.std() > 5  # frames with something in them
