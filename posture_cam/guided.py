"""Guided webcam capture that checks itself: each phase waits until the pose it asks for is held.

:class:`CheckedCapture` is a pure state machine driven by one :class:`Observation` per camera frame
(from :func:`observe`: the live per-frame view label of :func:`posture_cam.posture.live_angles`,
whether the feet and the head are in the picture, the mid-hip position and the trunk angle). A
phase ends when its pose has been held for ``hold_s`` seconds (short flickers of the per-frame view
label up to ``grace_s`` are tolerated); while it is not held the capture says what is wrong
("Turn further: not quite side-on yet", "Step back: feet not in view"). A phase that is not
achieved within ``timeout_s`` ends the capture with a clear message (:attr:`CheckedCapture.failed`);
an optional phase that times out is skipped instead, so the required part is still analysed.

It has the duck interface of :class:`posture_cam.live.GuidedCapture` (``start``, ``state``,
``finished``, ``segments``, ``t0_s``) plus :meth:`CheckedCapture.observe` and
:meth:`CheckedCapture.snapshot`, so :class:`posture_cam.live.LiveAnalyzer` records and analyses it
the same way. The visible strings are listed in /work/team/UI_STRINGS.md (browser tests use them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .landmarks import Landmark

FRONT_VIEWS = ("front",)
SIDE_VIEWS = ("left_side", "right_side")

# Hints (kept stable: browser tests assert on some of them).
NOBODY = "Nobody in view: stand where the camera can see your whole body"
FEET = "Step back: feet not in view"
HEAD = "Step back: head not in view"
FACE = "Face the camera"
TURN_ROUND = "Turn round: face the camera"
TURN_SIDEWAYS = "Turn sideways: the camera should see your left or right side"
TURN_FURTHER = "Turn further: not quite side-on yet"
TURN_BACK = "Turn a little back towards the camera"
HOLD = "Hold still"
WALK = "Walk across the view, side-on to the camera"
BEND = "Bend further forward"


@dataclass(frozen=True)
class CheckedPhase:
    """One phase: what to do, which pose counts, how long to hold it, how long to wait for it (s)."""

    name: str  # "front" | "side" | "walk" | "bend" (the pose it checks)
    title: str
    instruction: str
    hold_s: float
    timeout_s: float
    optional: bool = False


CHECKED_PHASES: tuple[CheckedPhase, ...] = (
    CheckedPhase(
        "front",
        "Face the camera",
        "Stand facing the camera, whole body in view, arms a hand's width away from your hips. Hold still.",
        4.0,
        30.0,
    ),
    CheckedPhase(
        "side",
        "Turn sideways",
        "Turn so that your left or right side faces the camera. Hold still.",
        4.0,
        30.0,
    ),
    CheckedPhase(
        "walk",
        "Walk across the view",
        "Walk across the view from one side to the other and back, at your usual pace.",
        3.0,
        40.0,
        optional=True,
    ),
    CheckedPhase(
        "bend",
        "Bend forward slowly",
        "Side-on to the camera, bend forward slowly as if to touch your toes, then come back up.",
        1.0,
        30.0,
        optional=True,
    ),
)


@dataclass(frozen=True)
class Observation:
    """What one frame shows. ``view`` None = nobody found."""

    t_s: float
    view: str | None
    feet_in_view: bool = False
    head_in_view: bool = False
    hip_x: float = float("nan")  # mid-hip x in pixels
    body_height_px: float = float("nan")  # nose-to-ankle height in pixels (NaN unknown)
    trunk_from_vertical_deg: float = float("nan")  # 0 upright, 90 horizontal (either direction)


def _pt(px: np.ndarray, vis: np.ndarray, lm: Landmark, min_vis: float) -> np.ndarray | None:
    p = px[int(lm)]
    if vis[int(lm)] < min_vis or not np.all(np.isfinite(p[:2])):
        return None
    return np.asarray(p[:2], np.float64)


def observe(
    t_s: float,
    image_px: np.ndarray | None,
    visibility: np.ndarray | None,
    frame_size: tuple[int, int],
    view: str | None,
    *,
    min_visibility: float = 0.5,
    margin_frac: float = 0.01,
) -> Observation:
    """One frame's :class:`Observation` from its landmarks (pixels, (33, 2|3)) and live view label."""
    if image_px is None or visibility is None or view is None:
        return Observation(float(t_s), None)
    px = np.asarray(image_px, np.float64)
    vis = np.asarray(visibility, np.float64)
    w, h = frame_size
    mx, my = margin_frac * w, margin_frac * h

    def inside(lm: Landmark) -> bool:
        p = _pt(px, vis, lm, min_visibility)
        return p is not None and mx <= p[0] <= w - mx and my <= p[1] <= h - my

    feet = any(inside(a) or inside(b) for a, b in ((Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
                                                    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL)))  # fmt: skip
    head = inside(Landmark.NOSE) or inside(Landmark.LEFT_EAR) or inside(Landmark.RIGHT_EAR)
    hips = [p for lm in (Landmark.LEFT_HIP, Landmark.RIGHT_HIP) if (p := _pt(px, vis, lm, 0.3)) is not None]
    shoulders = [
        p
        for lm in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
        if (p := _pt(px, vis, lm, 0.3)) is not None
    ]
    hip = np.mean(hips, axis=0) if hips else None
    sh = np.mean(shoulders, axis=0) if shoulders else None
    trunk = float("nan")
    if hip is not None and sh is not None:
        dx, dy = sh[0] - hip[0], hip[1] - sh[1]
        trunk = math.degrees(math.atan2(abs(dx), dy))
    nose = _pt(px, vis, Landmark.NOSE, 0.3)
    ankles = [
        p for lm in (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE) if (p := _pt(px, vis, lm, 0.3)) is not None
    ]
    height = float("nan")
    if nose is not None and ankles:
        height = float(max(a[1] for a in ankles) - nose[1])
    return Observation(
        float(t_s),
        str(view),
        feet_in_view=feet,
        head_in_view=head,
        hip_x=float("nan") if hip is None else float(hip[0]),
        body_height_px=height if height > 0 else float("nan"),
        trunk_from_vertical_deg=trunk,
    )


@dataclass(frozen=True)
class CheckedState:
    """The duck twin of ``live.PhaseState`` plus what the page shows."""

    index: int
    phase: CheckedPhase
    elapsed_s: float
    remaining_s: float  # until the phase times out
    held_s: float
    hint: str


class CheckedCapture:
    """Phases that advance only when their pose is held (pure; driven by observations)."""

    def __init__(
        self,
        phases: Sequence[CheckedPhase] = CHECKED_PHASES,
        *,
        include_optional: bool = True,
        grace_s: float = 0.5,
        walk_speed_heights_per_s: float = 0.15,
        bend_deg: float = 45.0,
    ) -> None:
        chosen = tuple(p for p in phases if include_optional or not p.optional)
        if not chosen:
            raise ValueError("CheckedCapture: expected at least one phase")
        for p in chosen:
            if not (p.hold_s > 0 and p.timeout_s > p.hold_s):
                raise ValueError(f"CheckedCapture: phase {p.name!r} needs 0 < hold_s < timeout_s")
        self.phases = chosen
        self.grace_s = float(grace_s)
        self.walk_speed = float(walk_speed_heights_per_s)
        self.bend_deg = float(bend_deg)
        self.t0_s: float | None = None
        self.failed: str | None = None
        self.skipped: list[str] = []
        self._i = 0
        self._phase_t0 = 0.0
        self._held_s = 0.0
        self._last_ok_t: float | None = None
        self._last_t: float | None = None
        self._prev: Observation | None = None
        self._hint = ""
        self._done = False
        self._log: list[dict[str, Any]] = []

    # -------------------------------------------------------------- duck interface of GuidedCapture
    @property
    def total_s(self) -> float:
        return float(sum(p.timeout_s for p in self.phases))

    def start(self, t_s: float) -> None:
        self.t0_s = float(t_s)
        self._phase_t0 = float(t_s)

    def state(self, t_s: float) -> CheckedState | None:
        if self.t0_s is None or self._done or self.failed is not None:
            return None
        p = self.phases[self._i]
        el = float(t_s) - self._phase_t0
        return CheckedState(self._i, p, el, max(0.0, p.timeout_s - el), self._held_s, self._hint)

    def finished(self, t_s: float | None = None) -> bool:
        """All phases done (a failed capture is not finished: see :attr:`failed`)."""
        return self._done and self.failed is None

    def segments(self) -> list[dict[str, Any]]:
        """Phase time ranges relative to the capture start: [{name, start_s, end_s, achieved}]."""
        return [dict(s) for s in self._log]

    # -------------------------------------------------------------- checking
    def _problem(self, p: CheckedPhase, o: Observation) -> str | None:
        """What is wrong with this frame for phase ``p`` (None = the pose is right)."""
        if o.view is None:
            return NOBODY
        if p.name != "bend":
            if not o.feet_in_view:
                return FEET
            if not o.head_in_view:
                return HEAD
        v = o.view
        if p.name == "front":
            if v in FRONT_VIEWS:
                return None
            if v == "back":
                return TURN_ROUND
            if v == "oblique":
                return TURN_BACK
            return FACE
        if p.name in ("side", "bend"):
            if v in SIDE_VIEWS:
                if p.name == "bend":
                    t = o.trunk_from_vertical_deg
                    if not (math.isfinite(t) and t >= self.bend_deg):
                        return BEND
                return None
            return TURN_FURTHER if v == "oblique" else TURN_SIDEWAYS
        if p.name == "walk":
            prev = self._prev
            if (
                prev is None
                or prev.view is None
                or not math.isfinite(o.hip_x)
                or not math.isfinite(prev.hip_x)
            ):
                return WALK
            dt = o.t_s - prev.t_s
            h = o.body_height_px if math.isfinite(o.body_height_px) else prev.body_height_px
            if dt <= 0 or not math.isfinite(h) or h <= 0:
                return WALK
            speed = abs(o.hip_x - prev.hip_x) / dt / h
            return None if speed >= self.walk_speed else WALK
        return None

    def observe(self, o: Observation) -> None:
        """Advance the state machine with one frame (call in time order)."""
        if self.t0_s is None:
            self.start(o.t_s)
        if self._done or self.failed is not None:
            return
        p = self.phases[self._i]
        dt = 0.0 if self._last_t is None else max(0.0, o.t_s - self._last_t)
        self._last_t = o.t_s
        problem = self._problem(p, o)
        self._prev = o
        if problem is None:
            self._last_ok_t = o.t_s
            self._held_s += dt
            self._hint = HOLD if p.name in ("front", "side") else "Good: keep going"
        else:
            self._hint = problem
            # the walk counts walking time, not a continuous hold; the others restart after a lapse
            # a single mislabelled frame is forgiven even at a low frame rate (grace >= 1.5 frames)
            grace = max(self.grace_s, 1.5 * dt)
            if p.name != "walk" and (self._last_ok_t is None or o.t_s - self._last_ok_t > grace):
                self._held_s = 0.0
        if self._held_s >= p.hold_s:
            self._end_phase(o.t_s, achieved=True)
        elif o.t_s - self._phase_t0 >= p.timeout_s:
            if p.optional:
                self.skipped.append(p.title)
                self._end_phase(o.t_s, achieved=False)
            else:
                self.failed = (
                    f'Timed out at "{p.title}": the pose was not held for {p.hold_s:.0f} s within '
                    f'{p.timeout_s:.0f} s (last problem: {self._hint}). Press "Start guided capture" '
                    "to try again."
                )

    def _end_phase(self, t_s: float, *, achieved: bool) -> None:
        assert self.t0_s is not None
        p = self.phases[self._i]
        self._log.append(
            {
                "name": p.name,
                "title": p.title,
                "start_s": self._phase_t0 - self.t0_s,
                "end_s": float(t_s) - self.t0_s,
                "achieved": achieved,
            }
        )
        self._i += 1
        self._phase_t0 = float(t_s)
        self._held_s = 0.0
        self._last_ok_t = None
        self._prev = None
        self._hint = ""
        if self._i >= len(self.phases):
            self._done = True
            self._i = len(self.phases) - 1

    def snapshot(self, t_s: float) -> dict[str, Any]:
        """What the page shows: step number and title, instruction, hint, progress, failure, done."""
        st = self.state(t_s)
        p = self.phases[self._i]
        return {
            "step": self._i + 1,
            "n_steps": len(self.phases),
            "name": p.name,
            "title": p.title,
            "instruction": p.instruction,
            "hint": "" if st is None else st.hint,
            "held_s": 0.0 if st is None else st.held_s,
            "hold_s": p.hold_s,
            "remaining_s": None if st is None else st.remaining_s,
            "failed": self.failed,
            "done": self.finished(),
            "skipped": list(self.skipped),
        }
