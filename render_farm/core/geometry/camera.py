"""Camera placement and projection (numpy only).

Blender's camera looks down its local -Z with +Y up; labels use the OpenCV
convention (x right, y down, z forward, pixel origin at the top-left corner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SENSOR_WIDTH_MM = 36.0
# Joints are points; the body around them is not. Pad each joint by this much when framing.
BODY_PADDING_M = 0.13
BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CameraPose:
    location: np.ndarray  # (3,) world
    rotation: np.ndarray  # (3, 3) Blender camera-to-world rotation
    focal_mm: float
    width: int
    height: int

    @property
    def intrinsics(self) -> np.ndarray:
        """3x3 K in pixels (sensor fitted to the image width)."""
        f = self.focal_mm / SENSOR_WIDTH_MM * self.width
        return np.array([[f, 0.0, self.width / 2.0], [0.0, f, self.height / 2.0], [0.0, 0.0, 1.0]])

    @property
    def world_to_camera(self) -> np.ndarray:
        """4x4 world -> OpenCV camera transform."""
        r = BLENDER_TO_OPENCV @ self.rotation.T
        m = np.eye(4)
        m[:3, :3] = r
        m[:3, 3] = -r @ self.location
        return m

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) in OpenCV camera coordinates (x right, y down, z forward)."""
        w2c = self.world_to_camera
        return points @ w2c[:3, :3].T + w2c[:3, 3]

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (..., 2) and camera depth (...,) of world points (..., 3)."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        k = self.intrinsics
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = cam[..., :2] / depth[..., None]
        return uv * np.array([k[0, 0], k[1, 1]]) + k[:2, 2], depth


def look_at(location: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world rotation of a Blender camera at location looking at target, Z up."""
    forward = target - location
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    if np.linalg.norm(right) < 1e-6:  # looking straight down or up
        right = np.array([1.0, 0.0, 0.0])
    right = right / np.linalg.norm(right)
    up = np.cross(right, forward)
    # Columns: camera +X (right), +Y (up), +Z (backwards).
    return np.stack([right, up, -forward], axis=1)


def padded(points: np.ndarray, padding: float = BODY_PADDING_M) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    offsets = np.concatenate([np.eye(3), -np.eye(3)]) * padding
    return (pts[:, None, :] + offsets[None]).reshape(-1, 3)


def frame_points(
    points: np.ndarray,
    azimuth_deg: float,
    elevation_deg: float,
    focal_mm: float,
    width: int,
    height: int,
    fill: float = 0.85,
) -> CameraPose:
    """Place a camera that sees every point, the set filling `fill` of the tighter image side.

    Azimuth 0 looks at the actor's front (the camera on the -Y side), positive azimuth
    moves the camera round to the actor's left; elevation lifts it above the target.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    target = (pts.min(axis=0) + pts.max(axis=0)) / 2.0
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    direction = np.array([np.sin(az) * np.cos(el), -np.cos(az) * np.cos(el), np.sin(el)])
    rotation = look_at(target + direction, target)

    def fits(distance: float) -> bool:
        pose = CameraPose(target + direction * distance, rotation, focal_mm, width, height)
        uv, depth = pose.project(pts)
        if np.any(depth < 0.1):
            return False
        half = np.array([width, height]) / 2.0
        return bool(np.all(np.abs(uv - half) <= half * fill))

    lo, hi = 0.1, 1.0
    while not fits(hi):
        hi *= 2.0
        if hi > 1e4:
            raise ValueError("cannot frame the actor: points do not fit at any distance")
    for _ in range(40):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return CameraPose(target + direction * hi, rotation, focal_mm, width, height)


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_xyz(rx: float, ry: float, rz: float) -> np.ndarray:
    cx, sx, cy, sy = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return _rot_z(rz) @ my @ mx


def moving_camera(base: CameraPose, target: np.ndarray, motion: str, degrees: float, frames: int,
                  shake: np.ndarray | None = None) -> list[CameraPose]:
    """Per-frame poses of a camera that pans, orbits or shakes around its base pose.

    pan: turns about the vertical through its own centre, from -degrees/2 to +degrees/2;
    orbit: circles the target on the vertical axis through it, over the same angles, looking at it;
    shake: small smooth rotations, `shake` (frames, 3) in [-1, 1] scaled by degrees.
    """
    u = np.linspace(-0.5, 0.5, frames) if frames > 1 else np.zeros(1)
    poses = []
    for k in range(frames):
        loc, rot = base.location, base.rotation
        if motion == "pan":
            rot = _rot_z(np.radians(degrees * u[k])) @ base.rotation
        elif motion == "orbit":
            loc = target + _rot_z(np.radians(degrees * u[k])) @ (base.location - target)
            rot = look_at(loc, target)
        elif motion == "shake" and shake is not None:
            rx, ry, rz = np.radians(degrees * shake[k])
            rot = base.rotation @ _rot_xyz(rx, ry, rz)
        poses.append(CameraPose(loc, rot, base.focal_mm, base.width, base.height))
    return poses


def in_frame(pose: CameraPose, points: np.ndarray, fill: float = 0.95) -> bool:
    uv, depth = pose.project(points)
    half = np.array([pose.width, pose.height]) / 2.0
    return bool(np.all(depth > 0.1) and np.all(np.abs(uv - half) <= half * fill))
