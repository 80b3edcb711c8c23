import os
import subprocess
import sys

import numpy as np
import pytest

from render_farm.bodies.baked.body import REGIONS, BodyFileError, load_body
from render_farm.core.geometry.skeleton import JOINT_INDEX as J
from render_farm.core.geometry.skeleton import MIRROR_INDEX


def test_baked_body_is_in_canonical_t_pose(default_body):
    b = default_body
    assert b.vertices.shape == (13718, 3) and b.faces.shape == (27420, 3)
    assert b.vertices[:, 2].min() == pytest.approx(0.0, abs=1e-6)  # feet on the ground
    assert 1.4 < b.height < 1.9
    np.testing.assert_allclose(b.rest_joints[0, :2], 0.0, atol=1e-9)  # pelvis above the origin
    r = b.rest_joints
    for side in ("left", "right"):
        arm = [J[f"{side}_{n}"] for n in ("shoulder", "elbow", "wrist", "hand")]
        np.testing.assert_allclose(r[arm, 1:], np.broadcast_to(r[arm[0], 1:], (4, 2)), atol=1e-6)
        leg = [J[f"{side}_{n}"] for n in ("hip", "knee", "ankle")]
        np.testing.assert_allclose(r[leg, :2], np.broadcast_to(r[leg[0], :2], (3, 2)), atol=1e-6)
    assert r[J["left_hand"], 0] > 0.5 and r[J["right_hand"], 0] < -0.5  # left is +X
    # The body is left/right symmetric.
    np.testing.assert_allclose(r[list(MIRROR_INDEX)] * [-1, 1, 1], r, atol=2e-3)


def test_skin_weights_and_regions(default_body):
    b = default_body
    np.testing.assert_allclose(b.joint_weights.sum(axis=1), 1.0, atol=1e-5)
    assert (b.joint_weights >= 0).all()
    # Every joint moves some of the mesh.
    assert (b.joint_weights.max(axis=0) > 0.4).all()
    z = b.vertices[:, 2]
    mean_z = {name: z[b.regions == i].mean() for i, name in enumerate(REGIONS)}
    assert set(np.unique(b.regions)) == set(range(len(REGIONS)))
    assert mean_z["shoes"] < 0.15 < mean_z["trousers"] < mean_z["shirt"] < mean_z["hair"]
    assert np.all((b.corner_uvs >= -1e-6) & (b.corner_uvs <= 1 + 1e-6))


def test_baking_uses_a_process_per_core_when_the_bodies_warrant_it():
    from render_farm.bodies.baking.bake import BODIES_PER_PROCESS, baking_processes

    cores = len(os.sched_getaffinity(0))
    assert baking_processes(1) == 1
    assert baking_processes(BODIES_PER_PROCESS + 1) == min(2, cores)
    assert baking_processes(1000) == cores
    assert baking_processes(3, processes=16) == 3 and baking_processes(1000, processes=4) == 4


@pytest.mark.slow
def test_bake_is_deterministic_and_shape_varies(tmp_path):
    from render_farm.bodies.baked.cache import body_path
    from render_farm.bodies.baking.bake import bake_bodies
    from render_farm.core.plan.jobs import BodyParams

    adult = BodyParams(phenotype={"gender": 1.0, "age": 0.7, "muscle": 0.5, "weight": 0.5, "height": 0.9,
                                  "proportions": 0.5})
    child = BodyParams(phenotype={**adult.phenotype, "age": 0.25})
    bake_bodies(tmp_path / "a", [adult, child], processes=2)  # one body each in two baking processes
    bake_bodies(tmp_path / "b", [adult])
    a, b = load_body(body_path(tmp_path / "a", adult)), load_body(body_path(tmp_path / "b", adult))
    np.testing.assert_array_equal(a.vertices, b.vertices)
    assert load_body(body_path(tmp_path / "a", child)).height < a.height - 0.3
    assert a.keypoint_names[:3] == ("nose", "left_eye", "right_eye") and a.keypoint_weights.shape[1] == 13718
    from synthact.errors import SynthActError

    # One line naming the body file and the baker's reason, raised in the caller.
    with pytest.raises(SynthActError, match=r"\.npz: cannot bake the body \(ValueError: unknown anny phenotype "
                                            r"parameter 'shoe_size'"):
        bake_bodies(tmp_path / "c", [BodyParams(phenotype={"shoe_size": 0.5})])


def test_corrupt_or_missing_body_file_names_the_file(tmp_path, default_body):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BodyFileError, match=r"broken.npz: not a readable baked body"):
        load_body(bad)
    with pytest.raises(BodyFileError, match=r"nope.npz: baked body file not found"):
        load_body(tmp_path / "nope.npz")
    good = tmp_path / "good.npz"
    default_body.save(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BodyFileError, match="truncated.npz"):
        load_body(truncated)
    assert not list(tmp_path.glob("*.tmp"))


def test_cache_reuses_baked_bodies(body_dir, default_body):
    from render_farm.bodies.baked.cache import missing_bodies
    from render_farm.core.plan.jobs import BodyParams

    assert missing_bodies(body_dir, [BodyParams(phenotype=default_body.phenotype)]) == []
    odd = BodyParams(phenotype={**default_body.phenotype, "weight": 0.123})
    assert missing_bodies(body_dir, [odd, odd]) == [odd]


def test_blender_worker_does_not_import_torch():
    code = "import sys, render_farm.blender.worker; print(sorted(m for m in ('torch', 'anny') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
