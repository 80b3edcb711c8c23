import numpy as np
import pytest

from render_farm.core.geometry import kinematics
from render_farm.core.geometry import quaternion as quat
from render_farm.core.geometry.skeleton import (
    JOINT_INDEX,
    JOINT_NAMES,
    MIRROR_INDEX,
    NUM_JOINTS,
    PARENTS,
    REFERENCE_REST_JOINTS,
)

rng = np.random.default_rng(0)


def random_quats(n):
    return quat.normalize(rng.normal(size=(n, 4)))


def test_multiply_matches_matrix_product():
    a, b = random_quats(20), random_quats(20)
    np.testing.assert_allclose(quat.to_matrix(quat.multiply(a, b)), quat.to_matrix(a) @ quat.to_matrix(b), atol=1e-12)


def test_rotate_matches_matrix_and_matrix_round_trip():
    q = random_quats(50)
    v = rng.normal(size=(50, 3))
    np.testing.assert_allclose(quat.rotate(q, v), np.einsum("nab,nb->na", quat.to_matrix(q), v), atol=1e-12)
    for qi in q:
        back = quat.from_matrix(quat.to_matrix(qi))
        assert min(np.abs(back - qi).max(), np.abs(back + qi).max()) < 1e-9


def test_between_maps_direction_and_handles_opposites():
    for a, b in [((1, 0, 0), (0, 0, 1)), ((0, 0, -1), (0.3, -0.2, 0.9)), ((1, 0, 0), (-1, 0, 0))]:
        q = quat.between(np.array(a, float), np.array(b, float))
        np.testing.assert_allclose(quat.rotate(q, np.array(a, float)), np.array(b) / np.linalg.norm(b), atol=1e-9)


def test_slerp_endpoints_and_midpoint_angle():
    a = quat.IDENTITY
    b = quat.from_axis_angle([0, 0, 1], np.radians(90))
    np.testing.assert_allclose(quat.slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(quat.slerp(a, b, 1.0), b, atol=1e-12)
    assert quat.angle(quat.slerp(a, b, 0.5)) == pytest.approx(np.radians(45))


def test_euler_xyz_order():
    q = quat.from_euler_xyz((90, 0, 90))  # X first, then Z
    np.testing.assert_allclose(quat.rotate(q, [0, 1, 0]), [0, 0, 1], atol=1e-12)  # y->z by X; z stays under Z


def test_skeleton_tree_is_well_formed():
    assert NUM_JOINTS == 24 and len(PARENTS) == 24 and len(set(JOINT_NAMES)) == 24
    assert PARENTS[0] == -1
    assert all(0 <= p < j for j, p in enumerate(PARENTS) if j)
    assert [MIRROR_INDEX[i] for i in MIRROR_INDEX] == list(range(24))
    assert JOINT_NAMES[MIRROR_INDEX[JOINT_INDEX["left_wrist"]]] == "right_wrist"
    # The reference body is left/right symmetric (mirroring relies on it).
    np.testing.assert_allclose(REFERENCE_REST_JOINTS[list(MIRROR_INDEX)] * [-1, 1, 1], REFERENCE_REST_JOINTS,
                               atol=1e-9)


def test_forward_kinematics_rest_and_elbow_bend():
    rest = REFERENCE_REST_JOINTS
    rot = np.tile(quat.IDENTITY, (1, NUM_JOINTS, 1))
    pos, _ = kinematics.forward_kinematics(rest, rot, np.zeros((1, 3)))
    np.testing.assert_allclose(pos[0], rest, atol=1e-12)
    # Bend the left elbow 90 degrees about Z: the forearm turns from +X to +Y, the shoulder stays.
    rot[0, JOINT_INDEX["left_elbow"]] = quat.from_axis_angle([0, 0, 1], np.pi / 2)
    pos, _ = kinematics.forward_kinematics(rest, rot, np.array([[0.0, 0.0, 0.5]]))
    e, w = JOINT_INDEX["left_elbow"], JOINT_INDEX["left_wrist"]
    forearm = np.linalg.norm(rest[w] - rest[e])
    np.testing.assert_allclose(pos[0, w] - pos[0, e], [0, forearm, 0], atol=1e-9)
    np.testing.assert_allclose(pos[0, JOINT_INDEX["left_shoulder"]], rest[JOINT_INDEX["left_shoulder"]] + [0, 0, 0.5])


def test_skinning_follows_the_joint():
    rest = REFERENCE_REST_JOINTS
    w = np.zeros((2, NUM_JOINTS))
    w[0, JOINT_INDEX["left_elbow"]] = 1.0  # a vertex on the forearm
    w[1, JOINT_INDEX["pelvis"]] = 1.0
    verts = np.array([rest[JOINT_INDEX["left_elbow"]] + [0.1, 0, 0], rest[0] + [0, 0, 0.05]])
    rot = np.tile(quat.IDENTITY, (1, NUM_JOINTS, 1))
    rot[0, JOINT_INDEX["left_elbow"]] = quat.from_axis_angle([0, 0, 1], np.pi / 2)
    pos, glob = kinematics.forward_kinematics(rest, rot, np.zeros((1, 3)))
    out = kinematics.skin(verts, w, rest, pos[0], glob[0])
    np.testing.assert_allclose(out[0], rest[JOINT_INDEX["left_elbow"]] + [0, 0.1, 0], atol=1e-9)
    np.testing.assert_allclose(out[1], verts[1], atol=1e-12)


def test_dual_quaternion_skinning_keeps_a_blended_point_off_the_bone():
    """Half knee, half hip, at a right-angled knee: linear blending pulls a point 10 cm out from the knee in to
    cos(45 deg) of that; dual quaternions keep it 10 cm out, turned half way. One joint alone: both agree."""
    rest = REFERENCE_REST_JOINTS
    knee, hip = JOINT_INDEX["left_knee"], JOINT_INDEX["left_hip"]
    verts = np.array([rest[knee] + [0.0, -0.1, 0.0], rest[knee] + [0.0, -0.1, 0.0]])
    w = np.zeros((2, NUM_JOINTS))
    w[0, knee] = w[0, hip] = 0.5
    w[1, knee] = 1.0
    rot = np.tile(quat.IDENTITY, (1, NUM_JOINTS, 1))
    rot[0, knee] = quat.from_axis_angle([1, 0, 0], np.pi / 2)
    rot[0, 0] = quat.from_axis_angle([0, 0, 1], 0.7)  # the whole body turned as well
    pos, glob = kinematics.forward_kinematics(rest, rot, np.array([[0.1, -0.2, 0.05]]))
    linear = kinematics.skin(verts, w, rest, pos[0], glob[0])
    dual = kinematics.skin_dual_quaternion(verts, w, rest, pos[0], glob[0])
    np.testing.assert_allclose(dual[1], linear[1], atol=1e-9)
    assert np.linalg.norm(linear[0] - pos[0, knee]) == pytest.approx(0.1 * np.cos(np.pi / 4), abs=1e-6)
    assert np.linalg.norm(dual[0] - pos[0, knee]) == pytest.approx(0.1, abs=1e-6)
    # Half way between the thigh's frame and the shin's: 45 degrees from each.
    thigh = quat.rotate(glob[0, hip], np.array([0.0, -0.1, 0.0]))
    turned = dual[0] - pos[0, knee]
    assert np.degrees(np.arccos(turned @ thigh / 0.01)) == pytest.approx(45.0, abs=1e-4)


def test_dual_quaternion_skinning_takes_the_short_way_between_opposite_signs():
    """q and -q are one rotation: a joint's quaternion of the other sign must not cancel the blend."""
    rest = REFERENCE_REST_JOINTS
    knee, hip = JOINT_INDEX["left_knee"], JOINT_INDEX["left_hip"]
    verts = rest[knee][None] + [[0.0, -0.1, 0.0]]
    w = np.zeros((1, NUM_JOINTS))
    w[0, knee] = w[0, hip] = 0.5
    rot = np.tile(quat.IDENTITY, (1, NUM_JOINTS, 1))
    rot[0, knee] = quat.from_axis_angle([1, 0, 0], np.pi / 3)
    pos, glob = kinematics.forward_kinematics(rest, rot, np.zeros((1, 3)))
    flipped = glob.copy()
    flipped[0, knee] *= -1
    np.testing.assert_allclose(kinematics.skin_dual_quaternion(verts, w, rest, pos[0], flipped[0]),
                               kinematics.skin_dual_quaternion(verts, w, rest, pos[0], glob[0]), atol=1e-12)
