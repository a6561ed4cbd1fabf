"""Offscreen rendering of a posed :class:`~posture_cam.synth.skeleton.Skeleton` (pyrender + trimesh).

Needs the optional ``[synth]`` extra and Mesa's EGL (``PYOPENGL_PLATFORM=egl``, set here unless the
caller chose a platform). CPU rendering: about 1-2 s per 640x480 frame with 2x supersampling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .camera import Camera
from .skeleton import Skeleton

SKIN = (0.87, 0.68, 0.56)
HAIR = (0.22, 0.15, 0.10)
SHOE = (0.18, 0.18, 0.2)
STYLES: dict[str, dict[str, tuple[float, float, float]]] = {
    "blue": {"shirt": (0.20, 0.35, 0.70), "shorts": (0.15, 0.15, 0.18)},
    "red": {"shirt": (0.72, 0.18, 0.18), "shorts": (0.25, 0.28, 0.40)},
    "green": {"shirt": (0.25, 0.55, 0.30), "shorts": (0.45, 0.38, 0.30)},
}


class RenderUnavailableError(RuntimeError):
    """pyrender/trimesh or an EGL OpenGL context is not available on this machine."""


def _import() -> tuple[Any, Any]:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    try:
        import pyrender
        import trimesh
    except Exception as exc:  # ImportError, or OpenGL raising on a missing EGL library
        raise RenderUnavailableError(f"synthetic rendering needs the [synth] extra and EGL: {exc}") from exc
    return pyrender, trimesh


def _frame_from_axis(axis: np.ndarray) -> np.ndarray:
    """A rotation whose z column is ``axis`` (unit)."""
    z = axis / np.linalg.norm(axis)
    helper = np.array([1.0, 0, 0]) if abs(z[0]) < 0.9 else np.array([0.0, 1, 0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=1)


class _Builder:
    """Collects coloured trimesh parts and merges them into one mesh."""

    def __init__(self, trimesh: Any) -> None:
        self.tm = trimesh
        self.parts: list[Any] = []

    def add(self, mesh: Any, color: tuple[float, float, float]) -> None:
        rgba = np.array([*(int(c * 255) for c in color), 255], dtype=np.uint8)
        mesh.visual.vertex_colors = np.tile(rgba, (len(mesh.vertices), 1))
        self.parts.append(mesh)

    def ellipsoid(
        self,
        centre: np.ndarray,
        rot: np.ndarray,
        radii: tuple[float, float, float],
        color: tuple[float, float, float],
        subdiv: int = 2,
        keep: Any = None,
    ) -> None:
        m = self.tm.creation.icosphere(subdivisions=subdiv)
        if keep is not None:  # keep only faces whose centre (unit sphere coords) passes the test
            m.update_faces(keep(m.triangles_center))
            m.remove_unreferenced_vertices()
        m.vertices = (m.vertices * np.asarray(radii)) @ rot.T + centre
        self.add(m, color)

    def limb(
        self,
        a: np.ndarray,
        b: np.ndarray,
        ra: float,
        rb: float,
        color: tuple[float, float, float],
        caps: bool = True,
        sections: int = 14,
    ) -> None:
        """Tapered capsule from ``a`` (radius ``ra``) to ``b`` (radius ``rb``)."""
        axis = b - a
        length = float(np.linalg.norm(axis))
        rot = _frame_from_axis(axis)
        ang = np.linspace(0, 2 * np.pi, sections, endpoint=False)
        ring = np.stack([np.cos(ang), np.sin(ang), np.zeros_like(ang)], axis=1)
        v = np.concatenate([ring * ra, ring * rb + [0, 0, length]]) @ rot.T + a
        n = sections
        faces = []
        for i in range(n):
            k = (i + 1) % n
            faces += [[i, k, n + k], [i, n + k, n + i]]
        self.add(self.tm.Trimesh(v, np.array(faces), process=False), color)
        if caps:
            for c, r in ((a, ra), (b, rb)):
                self.ellipsoid(c, np.eye(3), (r, r, r), color, subdiv=1)

    def loft(
        self,
        rings: list[tuple[np.ndarray, np.ndarray, float, float]],
        color: tuple[float, float, float],
        sections: int = 20,
    ) -> None:
        """Tube through elliptic cross-sections (centre, frame, half-width x, half-depth z), capped."""
        ang = np.linspace(0, 2 * np.pi, sections, endpoint=False)
        verts = []
        for c, r, a, d in rings:
            local = np.stack([a * np.cos(ang), np.zeros_like(ang), d * np.sin(ang)], axis=1)
            verts.append(local @ r.T + c)
        v = np.concatenate(verts + [rings[0][0][None], rings[-1][0][None]])
        n, faces = sections, []
        for j in range(len(rings) - 1):
            for i in range(n):
                k = (i + 1) % n
                a0, a1, b0, b1 = j * n + i, j * n + k, (j + 1) * n + i, (j + 1) * n + k
                faces += [[a0, b0, b1], [a0, b1, a1]]
        bottom, top = len(v) - 2, len(v) - 1
        last = (len(rings) - 1) * n
        for i in range(n):
            k = (i + 1) % n
            faces += [[bottom, k, i], [top, last + i, last + k]]
        mesh = self.tm.Trimesh(v, np.array(faces), process=False)
        mesh.fix_normals()
        self.add(mesh, color)

    def merged(self) -> Any:
        return self.tm.util.concatenate(self.parts)


def body_mesh(sk: Skeleton, style: str = "blue") -> Any:
    """One trimesh (vertex colours) of the dressed figure in the world frame."""
    _, trimesh = _import()
    colors = STYLES.get(style)
    if colors is None:
        raise ValueError(f"style: expected one of {sorted(STYLES)}, got {style!r}")
    j, f, H = sk.joints, sk.frames, sk.height_m
    b = _Builder(trimesh)
    shirt, shorts = colors["shirt"], colors["shorts"]

    # torso: shorts part (hips -> waist) and shirt part (waist -> neck base)
    pel, lum, thl, tho = f["pelvis"], f["lumbar"], f["thorax_lower"], f["thorax"]
    hip_c = j["pelvis"]
    low = hip_c + pel @ np.array([0, -0.045 * H, -0.012 * H])
    waist = j["sacrum"] + lum @ np.array([0, 0.045 * H, 0.035 * H])
    b.loft(
        [
            (low, pel, 0.085 * H, 0.055 * H),
            (hip_c + pel @ np.array([0, 0.0, -0.012 * H]), pel, 0.098 * H, 0.062 * H),
            (waist, lum, 0.085 * H, 0.056 * H),
        ],
        shorts,
    )
    chest = j["t7"] + thl @ np.array([0, 0.0, 0.05 * H])
    upper = j["c7"] + tho @ np.array([0, -0.03 * H, 0.04 * H])
    top = j["c7"] + tho @ np.array([0, 0.004 * H, 0.03 * H])
    b.loft(
        [
            (waist - lum @ np.array([0, 0.01 * H, 0]), lum, 0.087 * H, 0.058 * H),
            (j["t12"] + lum @ np.array([0, 0, 0.045 * H]), lum, 0.086 * H, 0.060 * H),
            (chest, thl, 0.094 * H, 0.063 * H),
            (upper, tho, 0.100 * H, 0.055 * H),
            (top, tho, 0.060 * H, 0.035 * H),
        ],
        shirt,
    )
    # neck and head
    b.limb(
        j["c7"] + tho @ np.array([0, 0, 0.03 * H]),
        j["c1"] + f["neck"] @ np.array([0, 0, 0.012 * H]),
        0.032 * H,
        0.030 * H,
        SKIN,
    )
    hr = f["head"]
    radii = (0.046 * H, 0.065 * H, 0.056 * H)
    b.ellipsoid(j["head"], hr, radii, SKIN, subdiv=3)
    # hair: a slightly larger shell over the top and back, leaving the face and ears clear
    b.ellipsoid(
        j["head"] + hr @ np.array([0, 0.004 * H, -0.003 * H]),
        hr,
        (0.049 * H, 0.067 * H, 0.059 * H),
        HAIR,
        subdiv=3,
        keep=lambda c: (c[:, 1] > 0.45) | ((c[:, 2] < -0.25) & (c[:, 1] > -0.35)),
    )
    for sx in (1.0, -1.0):
        ear = j["ear_l" if sx > 0 else "ear_r"]
        b.ellipsoid(
            ear + hr @ np.array([sx * 0.002 * H, 0, 0]), hr, (0.007 * H, 0.017 * H, 0.011 * H), SKIN, 1
        )
        eye = j["eye_l" if sx > 0 else "eye_r"]
        b.ellipsoid(eye, hr, (0.0075 * H, 0.0048 * H, 0.004 * H), (0.95, 0.95, 0.95), 1)
        b.ellipsoid(eye + hr @ np.array([0, 0, 0.0025 * H]), hr, (0.0033 * H,) * 3, (0.12, 0.08, 0.05), 1)
        brow = eye + hr @ np.array([0, 0.012 * H, 0.0])
        b.ellipsoid(brow, hr, (0.010 * H, 0.0018 * H, 0.003 * H), HAIR, 1)
    b.ellipsoid(j["nose"] - hr @ np.array([0, 0, 0.006 * H]), hr, (0.0065 * H, 0.012 * H, 0.008 * H), SKIN, 1)
    mouth = (j["mouth_l"] + j["mouth_r"]) / 2
    b.ellipsoid(mouth, hr, (0.013 * H, 0.0035 * H, 0.004 * H), (0.70, 0.30, 0.30), 1)

    # arms with sleeves, hands
    for s in ("l", "r"):
        sh, el, wr = j["shoulder_" + s], j["elbow_" + s], j["wrist_" + s]
        b.limb(sh, el, 0.030 * H, 0.023 * H, SKIN)
        b.limb(el, wr, 0.022 * H, 0.017 * H, SKIN)
        b.limb(sh - (el - sh) * 0.08, sh + (el - sh) * 0.45, 0.040 * H, 0.032 * H, shirt)
        hand_c = (j["index_" + s] + j["pinky_" + s]) / 2 * 0.6 + wr * 0.4
        b.ellipsoid(hand_c, f["forearm_" + s], (0.012 * H, 0.045 * H, 0.026 * H), SKIN, 2)
        b.limb(wr + (hand_c - wr) * 0.3, j["thumb_" + s], 0.007 * H, 0.006 * H, SKIN)
    # legs with shorts, shoes
    for s in ("l", "r"):
        hp, kn, an = j["hip_" + s], j["knee_" + s], j["ankle_" + s]
        b.limb(hp, kn, 0.055 * H, 0.033 * H, SKIN)
        b.limb(kn, an, 0.032 * H, 0.020 * H, SKIN)
        b.limb(hp + (hp - kn) * 0.05, hp + (kn - hp) * 0.45, 0.062 * H, 0.050 * H, shorts)
        fr = f["foot_" + s]
        heel, toe = j["heel_" + s], j["toe_" + s]
        centre = (heel + toe) / 2 + fr @ np.array([0, -0.004 * H, 0])
        half_len = float(np.linalg.norm(toe - heel)) / 2 + 0.006 * H
        b.ellipsoid(centre, fr, (0.028 * H, 0.024 * H, half_len), SHOE, 2)
    return b.merged()


@dataclass
class Room:
    """Floor and walls (metres, world frame) around the capture area."""

    centre_xz: tuple[float, float] = (0.0, 0.0)
    half_size_m: float = 7.0
    wall_height_m: float = 3.0
    # vertical posts (door frames, pillars) standing on the floor at these (x, z) world positions,
    # 0.1 m square, wall height: the scene's verticals for camera-roll tests (posture_cam.scene)
    posts_xz: tuple[tuple[float, float], ...] = ()


class Renderer:
    """Renders skeletons through a :class:`Camera`; reuse one instance for a whole clip."""

    def __init__(
        self,
        camera: Camera,
        *,
        supersample: int = 2,
        room: Room | None = None,
        style: str = "blue",
        light_dir: tuple[float, float, float] = (-0.4, -1.0, -0.6),
    ) -> None:
        pyrender, trimesh = _import()
        self._pr, self._tm = pyrender, trimesh
        self.camera, self.ss, self.style = camera, int(supersample), style
        self.scene = pyrender.Scene(bg_color=[0.8, 0.82, 0.85, 1.0], ambient_light=[0.45, 0.45, 0.45])
        room = room or Room()
        self._add_room(room)
        cam = pyrender.PerspectiveCamera(
            yfov=np.radians(camera.yfov_deg), aspectRatio=camera.width / camera.height, znear=0.05, zfar=60.0
        )
        self.scene.add(cam, pose=camera.pose_matrix())
        light = pyrender.DirectionalLight(color=[1.0, 0.97, 0.92], intensity=3.0)
        self.scene.add(
            light,
            pose=np.vstack(
                [
                    np.column_stack([_frame_from_axis(-np.asarray(light_dir, float)), np.zeros(3)]),
                    [0, 0, 0, 1],
                ]
            ),
        )
        self._body_node: Any = None
        try:
            self._r = pyrender.OffscreenRenderer(camera.width * self.ss, camera.height * self.ss)
        except Exception as exc:
            raise RenderUnavailableError(f"cannot create an offscreen OpenGL context: {exc}") from exc

    def _add_room(self, room: Room) -> None:
        tm, pr = self._tm, self._pr
        cx, cz, hs, wh = room.centre_xz[0], room.centre_xz[1], room.half_size_m, room.wall_height_m
        parts = []
        floor = tm.creation.box(extents=[2 * hs, 0.02, 2 * hs])
        floor.apply_translation([cx, -0.01, cz])
        floor.visual.vertex_colors = [150, 135, 115, 255]
        parts.append(floor)
        for dx, dz, ex in (
            (hs, 0, (0.05, wh, 2 * hs)),
            (-hs, 0, (0.05, wh, 2 * hs)),
            (0, hs, (2 * hs, wh, 0.05)),
            (0, -hs, (2 * hs, wh, 0.05)),
        ):
            w = tm.creation.box(extents=ex)
            w.apply_translation([cx + dx, wh / 2, cz + dz])
            w.visual.vertex_colors = [205, 200, 190, 255]
            parts.append(w)
        for px, pz in room.posts_xz:
            post = tm.creation.box(extents=[0.1, wh, 0.1])
            post.apply_translation([px, wh / 2, pz])
            post.visual.vertex_colors = [95, 75, 60, 255]
            parts.append(post)
        for p in parts:
            self.scene.add(pr.Mesh.from_trimesh(p, smooth=False))

    def render(self, sk: Skeleton) -> np.ndarray:
        """RGB uint8 (height, width, 3) of the figure in the room."""
        if self._body_node is not None:
            self.scene.remove_node(self._body_node)
        mesh = self._pr.Mesh.from_trimesh(body_mesh(sk, self.style), smooth=False)
        self._body_node = self.scene.add(mesh)
        color, _ = self._r.render(self.scene, flags=self._pr.RenderFlags.SHADOWS_DIRECTIONAL)
        img = color[..., :3].astype(np.float32)
        if self.ss > 1:
            h, w = self.camera.height, self.camera.width
            img = img.reshape(h, self.ss, w, self.ss, 3).mean(axis=(1, 3))
        return np.clip(img + 0.5, 0, 255).astype(np.uint8)

    def close(self) -> None:
        self._r.delete()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
