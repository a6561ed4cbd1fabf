"""Pinhole cameras for the synthetic scenes (pure numpy; the same model pyrender uses).

Pixel coordinates: x to the right, y DOWN, origin at the top-left corner of the image, in pixels
(continuous: the centre of the top-left pixel is (0.5, 0.5)), as in ``PoseSequence.image_px``.

``roll_deg``: positive = the camera is rotated CLOCKWISE about its optical axis as seen from behind
it (the convention of ``CalibrationConfig.camera_roll_deg``), so a level line in the scene appears
rotated counter-clockwise in the image (its right end higher) by ``roll_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .skeleton import rot_y

# Camera direction from the subject, degrees about the vertical from the subject's forward
# direction towards the subject's left. Keys are posture_cam.measurement.VIEWS labels.
VIEW_AZIMUTH_DEG: dict[str, float] = {
    "front": 0.0,
    "left_side": 90.0,
    "back": 180.0,
    "right_side": -90.0,
    "oblique": 45.0,
}


@dataclass(frozen=True)
class Camera:
    """A perspective camera looking from ``position`` at ``target`` (world metres, y up)."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    yfov_deg: float = 40.0
    width: int = 480
    height: int = 360
    roll_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(
                f"camera size: expected positive width and height, got {self.width}x{self.height}"
            )
        if not 1.0 < self.yfov_deg < 170.0:
            raise ValueError(f"yfov_deg: expected 1..170 degrees, got {self.yfov_deg}")

    @property
    def focal_px(self) -> float:
        return (self.height / 2.0) / np.tan(np.radians(self.yfov_deg) / 2.0)

    def pose_matrix(self) -> np.ndarray:
        """4x4 camera-to-world transform, OpenGL convention (camera looks along its -z, y up)."""
        pos = np.asarray(self.position, float)
        back = pos - np.asarray(self.target, float)
        back /= np.linalg.norm(back)
        right = np.cross([0.0, 1.0, 0.0], back)
        right /= np.linalg.norm(right)
        up = np.cross(back, right)
        r = np.stack([right, up, back], axis=1)
        a = np.radians(-self.roll_deg)  # clockwise seen from behind = negative about the camera z
        c, s = np.cos(a), np.sin(a)
        r = r @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = r, pos
        return m

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points (..., 3) to pixels (..., 3): x, y (down) and depth in metres."""
        pts = np.asarray(points, float)
        m = self.pose_matrix()
        cam = (pts - m[:3, 3]) @ m[:3, :3]  # world -> camera coordinates
        depth = -cam[..., 2]
        if np.any(depth <= 1e-6):
            raise ValueError("a point lies behind the camera")
        f = self.focal_px
        x = self.width / 2.0 + f * cam[..., 0] / depth
        y = self.height / 2.0 - f * cam[..., 1] / depth
        return np.stack([x, y, depth], axis=-1)


def camera_for_view(
    view: str,
    *,
    subject_height_m: float = 1.75,
    heading_deg: float = 0.0,
    target_xz: tuple[float, float] = (0.0, 0.0),
    distance_m: float = 4.0,
    width: int = 480,
    height: int = 360,
    roll_deg: float = 0.0,
    fill: float = 0.8,
    camera_height_m: float | None = None,
) -> Camera:
    """A camera placed ``distance_m`` from ``target_xz`` in the direction of ``view`` relative to a
    subject facing ``heading_deg``, with a vertical field of view such that the subject's height
    fills about ``fill`` of the frame height at that distance."""
    if view not in VIEW_AZIMUTH_DEG:
        raise ValueError(f"view: expected one of {sorted(VIEW_AZIMUTH_DEG)}, got {view!r}")
    az = heading_deg + VIEW_AZIMUTH_DEG[view]
    d = rot_y(az) @ np.array([0.0, 0.0, distance_m])
    cam_y = camera_height_m if camera_height_m is not None else 0.52 * subject_height_m
    tgt_y = 0.52 * subject_height_m
    yfov = 2.0 * np.degrees(np.arctan((subject_height_m / fill) / 2.0 / distance_m))
    return Camera(
        position=(target_xz[0] + d[0], cam_y, target_xz[1] + d[2]),
        target=(target_xz[0], tgt_y, target_xz[1]),
        yfov_deg=float(yfov),
        width=width,
        height=height,
        roll_deg=roll_deg,
    )
