"""Long synthetic recordings of healthy and pathological walkers, with exact truth (no video).

Where :mod:`posture_cam.simulate.gait` walks a straight walkway past a fixed side or frontal camera,
this module composes a *recording* out of phases, the way a clinic corridor clip looks: quiet
standing, standing while talking (arms gesture, head turns, weight shifts, feet stay), walking bouts,
180-degree turns, hesitation before the first step, seen by a pinhole camera above hip height (e.g.
1.6 m, looking down) from the side, obliquely or from the front. The walker is kinematic, built from
a footstep plan:

* every step is a footprint (ground position, heading, landing kind) with a foot-contact and a
  foot-off time; a foot in stance is still on its footprint (it only rolls about the heel or toe at
  landing and about the toe before foot off); a swinging foot moves on a minimum-jerk path to its
  next footprint, lifted by ``foot_lift_*_m`` and, when circumducting, swung outwards by
  ``circumduction_*_m``;
* the pelvis passes through the midpoint of the two footprints at every contact (monotone cubic
  interpolation), shifts towards the stance foot, drops or hikes per side, and is as high as the
  stance leg(s) allow (two segments of fixed length: a stiff leg makes the pelvis vault);
* the knee follows from two-link inverse kinematics; a stiff swing leg keeps its knee flexion at
  ``knee_flexion_max_*_deg`` by lifting the ankle only as far as the straightened leg allows;
* trunk flexion, lateral lean towards the stance leg (lurch), head posture and the arm mode per side
  (``swing``, ``flexed_held``, ``held_front``, ``out``, ``hands_on_hips``) complete the figure.

Conventions: world X, Z on the floor, Y up, metres; heading 0 deg faces +X, 90 deg faces +Z; the
subject's left is ``up x forward``. Times in seconds, angles in degrees. A contact event is the first
instant the foot touches the floor (``landing``: heel-first, flat or toe-first); a foot-off event is
the last instant it touches it. Step time of a side = the other foot's contact -> this foot's
contact; step length = how far this foot lands ahead of the other along the heading.

Pose-model faults (off by default, ``recording(..., realistic=True)`` turns on the measured ones):
the landmarks above are exact; :class:`RecordingSpec` can add what MediaPipe does to them, measured by
running ``posture_cam.extract`` on renders of these recordings (:func:`posture_cam.synth.gait.
render_recording`): both legs pulled towards each other, temporally correlated errors per landmark
kind (much smaller while standing still), far-side noise, leg-label swaps, dropped frames, tracker
lag (:data:`MEASURED_FAULTS`). The truth marks swapped and dropped frames.

Gait presets (:func:`walker`) follow the descriptions in issue 13 of this project (recordings of
people demonstrating these gaits, hand-counted cadences): the documents in ``shared/literature``
describe the limp / pelvic-tilt chains but give no gait-pathology numbers, so each number below says
where it comes from. This is a development aid: none of these walkers is a clinical model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.interpolate import PchipInterpolator

from ..landmarks import MIRROR_PAIRS, N_LANDMARKS, Landmark
from ..sequence import PoseSequence
from .gait import LEG_CHAINS

L: type[Landmark] = Landmark
Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
LANDINGS = ("heel", "flat", "toe")
ARM_MODES = ("swing", "flexed_held", "held_front", "out", "hands_on_hips")
GAIT_TYPES = ("healthy", "hemiplegic", "parkinsonian", "ataxic", "waddling")
#: per-frame truth labels (``phase_per_frame``) and the prepare-stage activity each maps to
PHASES = {
    "standing": "standing",
    "standing_active": "standing",  # talking, gesturing, weight shifting; feet still
    "hesitation": "standing",  # start hesitation: trembling in place, feet still
    "walking": "walking",
    "turn": "turn",
}

# body proportions (fractions of the standing height)
_THIGH, _SHANK = 0.245, 0.245
_ANKLE_H_M = 0.075  # ankle above the floor, foot flat
_HEEL = np.array([-0.065, -0.065])  # (forward, up) from the ankle; the heel landmark touches the floor
_TOE = np.array([0.17, -0.065])
_HIP_HALF_M = 0.10
_SHOULDER_HALF_M = 0.18
_UPPER_ARM, _FOREARM = 0.19, 0.14
_REACH = 0.998  # a stance leg is at most this fraction of its full length (knee ~7 deg)


# ------------------------------------------------------------------ specifications
@dataclass(frozen=True)
class WalkerSpec:
    """How one person walks, turns and stands. Per-side values name the moving foot."""

    gait_type: str = "healthy"
    height_m: float = 1.75
    step_time_left_s: float = 0.55  # right contact -> left contact
    step_time_right_s: float = 0.55
    swing_time_left_s: float = 0.42  # left foot off -> left contact
    swing_time_right_s: float = 0.42
    step_length_left_m: float = 0.65  # left foot lands this far ahead of the right
    step_length_right_m: float = 0.65
    step_width_m: float = 0.12  # lateral distance between the footprints' centres while walking
    stance_width_m: float = 0.18  # feet apart when standing
    step_time_cv_pct: float = 0.0  # random step-to-step variation (ataxia)
    step_length_cv_pct: float = 0.0
    step_width_sd_m: float = 0.0
    heading_sd_deg: float = 0.0  # path wander (AR(1) per step, coefficient 0.7)
    landing_left: str = "heel"  # which part touches first: heel, flat, toe
    landing_right: str = "heel"
    heel_strike_pitch_deg: float = 15.0  # toe-up angle at a heel-first contact
    toe_strike_pitch_deg: float = 12.0  # toe-down angle at a toe-first contact
    toe_off_pitch_left_deg: float = 30.0  # toe-down angle at foot off (heel rise)
    toe_off_pitch_right_deg: float = 30.0
    foot_lift_left_m: float = 0.10  # peak rise of the ankle above its standing height in swing
    foot_lift_right_m: float = 0.10
    knee_flexion_max_left_deg: float | None = None  # stiff swing leg: knee kept at this flexion
    knee_flexion_max_right_deg: float | None = None
    circumduction_left_m: float = 0.0  # peak outward excursion of the swinging foot
    circumduction_right_m: float = 0.0
    hip_hike_left_deg: float = 0.0  # pelvis raised on the left while the left leg swings
    hip_hike_right_deg: float = 0.0
    pelvic_drop_left_stance_deg: float = 2.0  # right hip drops while standing on the left leg
    pelvic_drop_right_stance_deg: float = 2.0
    trunk_lean_toward_stance_deg: float = 1.0  # peak lateral trunk lean towards the stance leg
    pelvis_shift_toward_stance_m: float = 0.02
    trunk_flexion_deg: float = 3.0  # forward lean of the trunk (hip centre -> shoulder centre)
    head_flexion_deg: float = 0.0  # extra forward tilt of the head relative to the trunk
    arm_left: str = "swing"
    arm_right: str = "swing"
    arm_swing_left_deg: float = 20.0  # peak shoulder flexion/extension in "swing" mode
    arm_swing_right_deg: float = 20.0
    first_step_side: Side = "right"
    turn_steps_per_180: int = 4  # steps for a 180-degree turn (the last one closes the feet)
    turn_step_time_s: float = 0.55
    hesitation_s: float = 0.0  # trembling in place before each walking bout
    hesitation_tremble_hz: float = 4.5
    gait_initiation_s: float = 0.15  # standing -> first foot off (weight shift)

    def __post_init__(self) -> None:
        if self.gait_type not in GAIT_TYPES:
            raise ValueError(f"gait_type: expected one of {GAIT_TYPES}, got {self.gait_type!r}")
        for side in SIDES:
            step, swing = self.step_time(side), self.swing_time(side)
            if not 0.05 < swing < step:
                raise ValueError(
                    f"expected 0.05 < swing_time_{side}_s < step_time_{side}_s (double support), "
                    f"got {swing} and {step}"
                )
            if self.landing(side) not in LANDINGS:
                raise ValueError(f"landing_{side}: expected one of {LANDINGS}, got {self.landing(side)!r}")
            if self.arm(side) not in ARM_MODES:
                raise ValueError(f"arm_{side}: expected one of {ARM_MODES}, got {self.arm(side)!r}")
        if self.turn_steps_per_180 < 2:
            raise ValueError(f"turn_steps_per_180: expected >= 2, got {self.turn_steps_per_180}")

    def step_time(self, side: str) -> float:
        return self.step_time_left_s if side == "left" else self.step_time_right_s

    def swing_time(self, side: str) -> float:
        return self.swing_time_left_s if side == "left" else self.swing_time_right_s

    def step_length(self, side: str) -> float:
        return self.step_length_left_m if side == "left" else self.step_length_right_m

    def landing(self, side: str) -> str:
        return self.landing_left if side == "left" else self.landing_right

    def arm(self, side: str) -> str:
        return self.arm_left if side == "left" else self.arm_right

    def side_value(self, name: str, side: str) -> Any:
        """``name`` with ``{side}`` replaced, e.g. ``side_value("foot_lift_{side}_m", "left")``."""
        return getattr(self, name.format(side=side))

    @property
    def stride_time_s(self) -> float:
        return self.step_time_left_s + self.step_time_right_s

    @property
    def cadence_steps_per_min(self) -> float:
        return 120.0 / self.stride_time_s


def walker(gait_type: str = "healthy", *, affected_side: Side = "right", **overrides: Any) -> WalkerSpec:
    """A preset walker; ``overrides`` replace any :class:`WalkerSpec` field.

    Numbers and their sources (issue 13 = the project's description of real clinic recordings):

    * healthy: cadence 109 steps/min, step 0.65 m, heel-first, arm swing 20 deg (the existing
      simulator's defaults, typical adult free walking).
    * hemiplegic (``affected_side``): cadence 65 steps/min (issue 13: 60-70); the affected step is
      slower (1.0 s vs 0.85 s) with a long swing (0.75 s), so the sound side stands longer
      (1.40 s vs 1.10 s); stiff knee (<= 15 deg flexion in swing), circumduction 0.12 m outwards
      with a 4 deg hip hike, flat landing on the affected side, affected arm held flexed.
    * parkinsonian: cadence 135 steps/min (issue 13: 125-145), stride 0.30 m (0.2-0.4), ankle lift
      0.015 m (clearance 1-2 cm), flat landing, trunk flexion 25 deg (20-30) with the head forward,
      arms held in front without swing, 1.5 s start hesitation, 180-degree turn in 10 small steps.
    * ataxic: step width 0.32 m (0.25-0.4), step-time CV 20 % (15-25), step length CV 15 %,
      heading wander 6 deg/step, cadence about 100 steps/min, flat landing, arms held out.
    * waddling: cadence 60 steps/min, trunk lurch 12 deg towards the stance leg (10-15), pelvis
      dropping 4 deg on the swing side (bilateral Trendelenburg), hands on hips, step 0.40 m.
    """
    if affected_side not in SIDES:
        raise ValueError(f"affected_side: expected 'left' or 'right', got {affected_side!r}")
    a, s = affected_side, ("left" if affected_side == "right" else "right")
    presets: dict[str, dict[str, Any]] = {
        "healthy": {},
        "hemiplegic": {
            f"step_time_{a}_s": 1.0,
            f"step_time_{s}_s": 0.85,
            f"swing_time_{a}_s": 0.75,
            f"swing_time_{s}_s": 0.45,
            f"step_length_{a}_m": 0.40,
            f"step_length_{s}_m": 0.30,
            "step_width_m": 0.16,
            f"landing_{a}": "flat",
            f"toe_off_pitch_{a}_deg": 8.0,
            f"foot_lift_{a}_m": 0.02,
            f"knee_flexion_max_{a}_deg": 15.0,
            f"circumduction_{a}_m": 0.12,
            f"hip_hike_{a}_deg": 4.0,
            f"arm_{a}": "flexed_held",
            f"arm_swing_{s}_deg": 15.0,
            "trunk_lean_toward_stance_deg": 3.0,
            "first_step_side": a,
            "turn_steps_per_180": 5,
            "turn_step_time_s": 0.9,
        },
        "parkinsonian": {
            "step_time_left_s": 0.444,
            "step_time_right_s": 0.444,
            "swing_time_left_s": 0.30,
            "swing_time_right_s": 0.30,
            "step_length_left_m": 0.15,
            "step_length_right_m": 0.15,
            "step_width_m": 0.12,
            "landing_left": "flat",
            "landing_right": "flat",
            "toe_off_pitch_left_deg": 4.0,
            "toe_off_pitch_right_deg": 4.0,
            "foot_lift_left_m": 0.015,
            "foot_lift_right_m": 0.015,
            "trunk_flexion_deg": 25.0,
            "head_flexion_deg": 15.0,
            "arm_left": "held_front",
            "arm_right": "held_front",
            "trunk_lean_toward_stance_deg": 0.5,
            "pelvic_drop_left_stance_deg": 1.0,
            "pelvic_drop_right_stance_deg": 1.0,
            "hesitation_s": 1.5,
            "turn_steps_per_180": 10,
            "turn_step_time_s": 0.5,
        },
        "ataxic": {
            "step_time_left_s": 0.60,
            "step_time_right_s": 0.60,
            "swing_time_left_s": 0.40,
            "swing_time_right_s": 0.40,
            "step_length_left_m": 0.45,
            "step_length_right_m": 0.45,
            "step_width_m": 0.32,
            "stance_width_m": 0.28,
            "step_time_cv_pct": 20.0,
            "step_length_cv_pct": 15.0,
            "step_width_sd_m": 0.04,
            "heading_sd_deg": 6.0,
            "landing_left": "flat",
            "landing_right": "flat",
            "foot_lift_left_m": 0.08,
            "foot_lift_right_m": 0.08,
            "arm_left": "out",
            "arm_right": "out",
            "trunk_lean_toward_stance_deg": 3.0,
            "pelvis_shift_toward_stance_m": 0.05,
            "turn_steps_per_180": 6,
            "turn_step_time_s": 0.7,
        },
        "waddling": {
            "step_time_left_s": 1.0,
            "step_time_right_s": 1.0,
            "swing_time_left_s": 0.65,
            "swing_time_right_s": 0.65,
            "step_length_left_m": 0.40,
            "step_length_right_m": 0.40,
            "step_width_m": 0.20,
            "stance_width_m": 0.22,
            "foot_lift_left_m": 0.06,
            "foot_lift_right_m": 0.06,
            "pelvic_drop_left_stance_deg": 4.0,
            "pelvic_drop_right_stance_deg": 4.0,
            "trunk_lean_toward_stance_deg": 12.0,
            "pelvis_shift_toward_stance_m": 0.06,
            "arm_left": "hands_on_hips",
            "arm_right": "hands_on_hips",
            "turn_steps_per_180": 6,
            "turn_step_time_s": 0.9,
        },
    }
    if gait_type not in presets:
        raise ValueError(f"gait_type: expected one of {GAIT_TYPES}, got {gait_type!r}")
    return WalkerSpec(gait_type=gait_type, **{**presets[gait_type], **overrides})


@dataclass(frozen=True)
class Stand:
    """Standing still (``active=False``) or talking: arms gesture, head turns, weight shifts."""

    duration_s: float
    active: bool = False


@dataclass(frozen=True)
class Walk:
    """A walking bout of ``n_steps`` contacts from standing to standing (the first step starts from
    feet together, the last one closes the feet); ``turn_deg`` bends the path evenly over the bout."""

    n_steps: int
    turn_deg: float = 0.0


@dataclass(frozen=True)
class Turn:
    """Turning on the spot by ``angle_deg`` (positive = to the walker's left) in small steps."""

    angle_deg: float = 180.0
    n_steps: int | None = None  # default: walker.turn_steps_per_180 scaled by the angle


Phase = Stand | Walk | Turn


@dataclass(frozen=True)
class CameraSpec:
    """A static pinhole camera at ``position_m`` looking at ``target_m`` (world metres, Y up)."""

    position_m: tuple[float, float, float] = (0.0, 1.6, 6.0)
    target_m: tuple[float, float, float] = (0.0, 0.9, 0.0)
    hfov_deg: float = 60.0


@dataclass(frozen=True)
class RecordingSpec:
    walker: WalkerSpec = field(default_factory=WalkerSpec)
    phases: tuple[Phase, ...] = (Stand(1.0), Walk(8), Stand(1.0))
    camera: CameraSpec = field(default_factory=CameraSpec)
    fps: float = 24.0
    frame_size: tuple[int, int] = (1280, 720)
    start_xz_m: tuple[float, float] = (-2.0, 0.0)
    start_heading_deg: float = 0.0
    noise_px: float = 0.0  # white image noise on every landmark (pixels, SD)
    # BlazePose-like faults (all off by default):
    far_side_noise_px: float = 0.0  # extra noise on the side turned away from the camera (x |sin bearing|)
    far_leg_collapse: float = 0.0  # 0..1: far leg drawn towards the near one in side-on frames
    leg_collapse: float = 0.0  # 0..0.5: both legs (knee..toe) drawn towards each other, every frame
    swap_rate_per_s: float = 0.0  # left/right leg labels exchanged, spans of 0.15-1.0 s, in side-on frames
    dropout_rate: float = 0.0  # fraction of frames with no detection (NaN), in runs of 1-3 frames
    smoothing_frames: float = 0.0  # tracker lag: causal exponential smoothing, time constant in frames
    correlated_noise_scale: float = 0.0  # x the pose-model error table (1 = as measured)
    model_error_pct: tuple[tuple[str, float, float], ...] | None = None  # (kind, x, y); None: MODEL_ERROR_PCT
    seed: int = 0

    def __post_init__(self) -> None:
        faults = (
            self.noise_px,
            self.far_side_noise_px,
            self.swap_rate_per_s,
            self.dropout_rate,
            self.smoothing_frames,
            self.correlated_noise_scale,
        )
        if min(faults) < 0:
            raise ValueError(
                "noise_px, far_side_noise_px, swap_rate_per_s, dropout_rate, smoothing_frames, "
                f"correlated_noise_scale: expected >= 0, got {faults}"
            )
        if not 0.0 <= self.leg_collapse <= 0.5:
            raise ValueError(f"leg_collapse: expected 0..0.5, got {self.leg_collapse}")
        if not 0.0 <= self.far_leg_collapse <= 1.0:
            raise ValueError(f"far_leg_collapse: expected 0..1, got {self.far_leg_collapse}")
        if self.dropout_rate >= 0.5:
            raise ValueError(f"dropout_rate: expected < 0.5, got {self.dropout_rate}")
        if not self.phases:
            raise ValueError("phases: expected at least one phase")
        for ph in self.phases:
            if isinstance(ph, Walk) and ph.n_steps < 2:
                raise ValueError(f"Walk.n_steps: expected >= 2, got {ph.n_steps}")
            if isinstance(ph, Stand) and ph.duration_s <= 0:
                raise ValueError(f"Stand.duration_s: expected > 0, got {ph.duration_s}")
        if self.fps <= 0:
            raise ValueError(f"fps: expected > 0, got {self.fps}")


# ------------------------------------------------------------------ truth
@dataclass(frozen=True)
class ContactEvent:
    time_s: float
    frame: int  # nearest frame
    foot: str  # "left" | "right"
    type: str  # "foot_contact" | "foot_off"
    landing: str  # contact: "heel" | "flat" | "toe"; foot off: "" (always rolls off the toe)
    phase: str  # "walking" | "turn"
    bout: int  # index into RecordingTruth.bouts, -1 in turns
    step_length_m: float = float("nan")  # contacts: along the heading, ahead of the other foot


@dataclass(frozen=True)
class TrueBout:
    start: int  # first frame (the first foot off)
    stop: int  # exclusive (one past the frame of the last contact)
    start_s: float
    end_s: float
    view: str  # most common view label over the bout
    direction: str  # "left_to_right" | "right_to_left" | "toward" | "away"
    heading_deg: float  # mean heading (world)
    n_contacts: int
    cadence_steps_per_min: float  # from the true contacts of the bout


@dataclass
class RecordingTruth:
    """Everything a perfect analysis of the recording would know."""

    events: list[ContactEvent]
    bouts: list[TrueBout]
    phases: list[tuple[str, int, int]]  # (label, start frame, stop frame exclusive), covering all
    phase_per_frame: np.ndarray  # (T,) str, keys of PHASES
    activity_per_frame: np.ndarray  # (T,) str, prepare.ACTIVITIES labels
    walking: np.ndarray  # (T,) bool
    turning: np.ndarray  # (T,) bool
    standing: np.ndarray  # (T,) bool (all standing phases, quiet or active)
    on_ground: dict[str, np.ndarray]  # per foot (T,) bool: touching the floor
    view_per_frame: np.ndarray  # (T,) str, posture_cam view labels from the true facing
    view_angle_deg: np.ndarray  # (T,) camera bearing from the walker: 0 front, +90 right side, 180 back
    body_height_px: np.ndarray  # (T,) standing height projected at the pelvis depth
    world_m: np.ndarray  # (T, 33, 3) floor frame (X, Z on the floor, Y up), noise free
    pelvis_heading_deg: np.ndarray  # (T,)
    swapped: np.ndarray  # (T,) bool: leg labels exchanged in the output (RecordingSpec.swap_rate_per_s)
    dropped: np.ndarray  # (T,) bool: frames without a detection (NaN)
    walker: WalkerSpec
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready truth (events, bouts, phases, per-frame labels, metrics); no landmarks."""
        return {
            "gait_type": self.walker.gait_type,
            "n_frames": int(self.walking.size),
            "events": [
                {
                    k: (round(v, 4) if isinstance(v, float) and np.isfinite(v) else v)
                    for k, v in asdict(e).items()
                }
                | ({"step_length_m": None} if not np.isfinite(e.step_length_m) else {})
                for e in self.events
            ],
            "bouts": [asdict(b) for b in self.bouts],
            "phases": [{"phase": p, "start": a, "stop": b} for p, a, b in self.phases],
            "phase_per_frame": [str(x) for x in self.phase_per_frame],
            "view_per_frame": [str(x) for x in self.view_per_frame],
            "swapped_frames": np.flatnonzero(self.swapped).tolist(),
            "dropped_frames": np.flatnonzero(self.dropped).tolist(),
            "metrics": {k: (round(v, 5) if np.isfinite(v) else None) for k, v in self.metrics.items()},
        }

    def contacts(self, foot: str | None = None, phase: str | None = "walking") -> list[ContactEvent]:
        return [
            e
            for e in self.events
            if e.type == "foot_contact"
            and (foot is None or e.foot == foot)
            and (phase is None or e.phase == phase)
        ]


# ------------------------------------------------------------------ footstep plan
@dataclass
class _Print:
    t_on: float
    t_off: float
    x: float
    z: float
    heading: float  # rad
    landing: str
    phase: str
    bout: int
    step_length_m: float = float("nan")


def _fwd(h: float | np.ndarray) -> np.ndarray:
    h = np.asarray(h, float)
    return np.stack([np.cos(h), np.zeros_like(h), np.sin(h)], axis=-1)


def _left(h: float | np.ndarray) -> np.ndarray:
    h = np.asarray(h, float)
    return np.stack([np.sin(h), np.zeros_like(h), -np.cos(h)], axis=-1)


def _side_sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def _other(side: str) -> Side:
    return "right" if side == "left" else "left"


@dataclass
class _Plan:
    prints: dict[str, list[_Print]]
    keys: list[tuple[float, float, float, float]]  # pelvis (t, x, z, heading rad)
    segments: list[tuple[str, float, float]]  # (phase label, t0, t1)
    bouts: list[tuple[float, float]]
    end_s: float


def _plan(spec: RecordingSpec) -> _Plan:
    w = spec.walker
    rng = np.random.default_rng(spec.seed)
    h0 = np.deg2rad(spec.start_heading_deg)
    c0 = np.array([spec.start_xz_m[0], 0.0, spec.start_xz_m[1]])
    prints: dict[str, list[_Print]] = {}
    side: str
    for side in SIDES:
        p = c0 + _side_sign(side) * w.stance_width_m / 2 * _left(h0)
        prints[side] = [_Print(-np.inf, np.inf, p[0], p[2], h0, "flat", "standing", -1)]
    half_w: dict[str, float] = {s: w.stance_width_m / 2 for s in SIDES}  # lateral offset per footprint
    keys: list[tuple[float, float, float, float]] = []
    segments: list[tuple[str, float, float]] = []
    bouts: list[tuple[float, float]] = []

    def key(tt: float) -> None:
        a, b = prints["left"][-1], prints["right"][-1]
        if keys and abs(keys[-1][0] - tt) < 1e-9:
            keys.pop()
        keys.append((tt, 0.5 * (a.x + b.x), 0.5 * (a.z + b.z), 0.5 * (a.heading + b.heading)))

    def put(side: str, t_off: float, t_on: float, pos: np.ndarray, hd: float, phase: str, bout: int) -> None:
        prints[side][-1].t_off = t_off
        other = prints[_other(side)][-1]
        along = float(np.dot(pos - np.array([other.x, 0.0, other.z]), _fwd(hd)))
        landing = w.landing(side) if phase == "walking" else "flat"
        prints[side].append(_Print(t_on, np.inf, pos[0], pos[2], hd, landing, phase, bout, along))
        key(t_on)

    def unit_noise() -> float:
        return float(np.clip(rng.normal(), -2.0, 2.0))

    t = 0.0
    heading = h0
    key(t)
    for ph in spec.phases:
        if isinstance(ph, Stand):
            key(t)
            segments.append(("standing_active" if ph.active else "standing", t, t + ph.duration_s))
            t += ph.duration_s
            key(t)
        elif isinstance(ph, Walk):
            if w.hesitation_s > 0:
                key(t)
                segments.append(("hesitation", t, t + w.hesitation_s))
                t += w.hesitation_s
                key(t)
            b_i = len(bouts)
            side = w.first_step_side
            t_start = t + w.gait_initiation_s
            t_prev_on = t_start
            base, wander = heading, 0.0
            for k in range(ph.n_steps):
                last = k == ph.n_steps - 1
                jitter = 1.0 + w.step_time_cv_pct / 100.0 * unit_noise()
                swing = w.swing_time(side) * jitter
                if k == 0:
                    t_off, t_on = t_start, t_start + swing
                else:
                    step_t = w.step_time(side) * jitter
                    t_on = t_prev_on + step_t
                    t_off = max(t_on - swing, t_prev_on + 0.04)
                base += np.deg2rad(ph.turn_deg) / (ph.n_steps - 1)  # the closing step keeps it
                wander = 0.7 * wander + np.deg2rad(w.heading_sd_deg) * rng.normal()
                other = prints[_other(side)][-1]
                o = np.array([other.x, 0.0, other.z])
                line = o - _side_sign(_other(side)) * half_w[_other(side)] * _left(other.heading)
                if last:  # close the feet beside the other foot
                    hd, s_len, width = other.heading, 0.0, w.stance_width_m
                else:
                    hd = base + wander
                    s_len = w.step_length(side) * (1.0 + w.step_length_cv_pct / 100.0 * unit_noise())
                    width = w.step_width_m + w.step_width_sd_m * unit_noise()
                pos = line + s_len * _fwd(hd) + _side_sign(side) * width / 2 * _left(hd)
                half_w[side] = width / 2
                put(side, t_off, t_on, pos, hd, "walking", b_i)
                t_prev_on = t_on
                side = _other(side)
            heading = 0.5 * (prints["left"][-1].heading + prints["right"][-1].heading)
            bouts.append((t_start, t_prev_on))
            segments.append(("walking", t_start, t_prev_on))
            t = t_prev_on
        elif isinstance(ph, Turn):
            n = ph.n_steps or max(2, int(round(w.turn_steps_per_180 * abs(ph.angle_deg) / 180.0)))
            if n < 2:
                raise ValueError(f"Turn.n_steps: expected >= 2, got {n}")
            dh = np.deg2rad(ph.angle_deg) / (n - 1)
            a, b = prints["left"][-1], prints["right"][-1]
            c = np.array([0.5 * (a.x + b.x), 0.0, 0.5 * (a.z + b.z)])
            side = "left" if ph.angle_deg > 0 else "right"
            swing = 0.6 * w.turn_step_time_s
            t0 = t + w.gait_initiation_s
            t_on = t0 + swing
            for k in range(n):
                if k > 0:
                    t_on += w.turn_step_time_s
                t_off = t0 if k == 0 else t_on - swing
                hd = heading + dh * min(k + 1, n - 1)
                pos = c + _side_sign(side) * w.stance_width_m / 2 * _left(hd)
                half_w[side] = w.stance_width_m / 2
                put(side, t_off, t_on, pos, hd, "turn", -1)
                side = _other(side)
            heading = heading + dh * (n - 1)
            segments.append(("turn", t0, t_on))
            t = t_on
    key(t)
    return _Plan(prints, keys, segments, bouts, t)


# ------------------------------------------------------------------ kinematics
def _minjerk(s: np.ndarray | float) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return np.asarray(s**3 * (10 - 15 * s + 6 * s**2))


def _rot_foot(v: np.ndarray, pitch: float, f: np.ndarray) -> np.ndarray:
    """Foot vector ``(forward, up)`` pitched toe-up by ``pitch`` rad, as a world vector."""
    up = np.array([0.0, 1.0, 0.0])
    c, s = np.cos(pitch), np.sin(pitch)
    return v[0] * (c * f + s * up) + v[1] * (c * up - s * f)


def _stance_pose(pr: _Print, t: float, w: WalkerSpec, side: str) -> tuple[np.ndarray, float]:
    """Ankle position and foot pitch (rad, toe up +) of a foot on footprint ``pr`` at time ``t``."""
    f = _fwd(pr.heading)
    up = np.array([0.0, 1.0, 0.0])
    ankle = np.array([pr.x, _ANKLE_H_M, pr.z])
    dur = pr.t_off - pr.t_on
    u = t - pr.t_on
    rocker = min(0.12, 0.3 * dur)
    rise = min(0.25, 0.3 * dur) if np.isfinite(dur) else 0.25
    pitch, pivot = 0.0, None
    if np.isfinite(pr.t_on) and u < rocker and pr.landing != "flat":
        a = 1.0 - float(_minjerk(u / rocker))
        if pr.landing == "heel":
            pitch, pivot = np.deg2rad(w.heel_strike_pitch_deg) * a, _HEEL
        else:
            pitch, pivot = -np.deg2rad(w.toe_strike_pitch_deg) * a, _TOE
    elif np.isfinite(pr.t_off) and t > pr.t_off - rise:
        to_deg = w.side_value("toe_off_pitch_{side}_deg", side) if pr.phase != "turn" else 5.0
        pitch, pivot = -np.deg2rad(to_deg) * float(_minjerk((t - (pr.t_off - rise)) / rise)), _TOE
    if pivot is not None:
        point = ankle + pivot[0] * f + pivot[1] * up
        ankle = point - _rot_foot(pivot, pitch, f)
    return ankle, pitch


def _foot_state(
    prints: list[_Print], t: float, w: WalkerSpec, side: str
) -> tuple[np.ndarray, float, float, float, bool]:
    """Ankle, pitch (rad), heading (rad), swing progress (NaN in stance) and whether on the floor."""
    for i, pr in enumerate(prints):
        if pr.t_on <= t <= pr.t_off:
            a, p = _stance_pose(pr, t, w, side)
            return a, p, pr.heading, float("nan"), True
        nxt = prints[i + 1] if i + 1 < len(prints) else None
        if nxt is not None and pr.t_off < t < nxt.t_on:
            s = (t - pr.t_off) / (nxt.t_on - pr.t_off)
            a0, p0 = _stance_pose(pr, pr.t_off, w, side)
            a1, p1 = _stance_pose(nxt, nxt.t_on, w, side)
            m = float(_minjerk(s))
            hd = pr.heading + (nxt.heading - pr.heading) * m
            walking = nxt.phase == "walking"
            lift = w.side_value("foot_lift_{side}_m", side)
            if not walking:
                lift = min(lift, 0.04)
            circ = w.side_value("circumduction_{side}_m", side) if walking else 0.0
            a = a0 + (a1 - a0) * m
            a[1] = a0[1] + (a1[1] - a0[1]) * s + lift * np.sin(np.pi * s) ** 1.5
            a += _side_sign(side) * circ * np.sin(np.pi * s) * _left(hd)
            pitch = p0 + (p1 - p0) * m
            # never through the floor: the lowest of heel and toe stays above it
            f = _fwd(hd)
            low = min((a + _rot_foot(v, pitch, f))[1] for v in (_HEEL, _TOE))
            floor = _ANKLE_H_M + _HEEL[1] + 0.5 * lift * np.sin(np.pi * s)
            if low < floor:
                a[1] += floor - low
            return a, pitch, hd, s, False
    raise AssertionError(f"no foot state at t={t}")  # the plan covers all times


def _two_link(a: np.ndarray, b: np.ndarray, bend: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Middle joint of a two-segment chain from ``a`` to ``b``, bending towards ``bend``."""
    d_vec = b - a
    d = max(float(np.linalg.norm(d_vec)), 1e-9)
    u = d_vec / d
    perp = bend - np.dot(bend, u) * u
    n = float(np.linalg.norm(perp))
    perp = perp / n if n > 1e-9 else np.array([0.0, 1.0, 0.0])
    x = float(np.clip((l1**2 - l2**2 + d**2) / (2 * d), -l1, l1))
    return a + x * u + np.sqrt(max(l1**2 - x**2, 0.0)) * perp


def _envelope(t: np.ndarray, spans: list[tuple[float, float]], ramp_s: float = 0.4) -> np.ndarray:
    out = np.zeros_like(t)
    for t0, t1 in spans:
        r = min(ramp_s, 0.5 * (t1 - t0))
        e = np.clip((t - t0) / r, 0, 1) * np.clip((t1 - t) / r, 0, 1)
        out = np.maximum(out, e * e * (3 - 2 * e))
    return out


def _smooth_noise(t: np.ndarray, rng: np.random.Generator, freqs_hz: Sequence[float]) -> np.ndarray:
    """Sum of sines with random phases, amplitude <= 1."""
    out = np.zeros_like(t)
    for fq in freqs_hz:
        out += np.sin(2 * np.pi * fq * t + rng.uniform(0, 2 * np.pi))
    return out / len(freqs_hz)


def _body(spec: RecordingSpec, plan: _Plan, t: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """(T, 33, 3) world landmarks and per-frame state for the plan."""
    w = spec.walker
    h = w.height_m
    leg = (_THIGH + _SHANK) * h
    n = t.size
    rng = np.random.default_rng(spec.seed + 1)
    up = np.array([0.0, 1.0, 0.0])
    feet: dict[str, dict[str, Any]] = {}
    for side in SIDES:
        st = [_foot_state(plan.prints[side], float(tt), w, side) for tt in t]
        feet[side] = {
            "ankle": np.array([s[0] for s in st]),
            "pitch": np.array([s[1] for s in st]),
            "heading": np.array([s[2] for s in st]),
            "swing": np.array([s[3] for s in st]),
            "ground": np.array([s[4] for s in st]),
        }
    kt = np.array([k[0] for k in plan.keys])
    kx, kz, kh = (np.array([k[i] for k in plan.keys]) for i in (1, 2, 3))
    cx, cz = PchipInterpolator(kt, kx)(t), PchipInterpolator(kt, kz)(t)
    heading = PchipInterpolator(kt, kh)(t)
    fp, lp = _fwd(heading), _left(heading)

    def single_support(side: str) -> np.ndarray:
        sw = feet[_other(side)]["swing"]
        return np.where(feet[side]["ground"] & np.isfinite(sw), np.sin(np.pi * np.nan_to_num(sw)), 0.0)

    ss_l, ss_r = single_support("left"), single_support("right")
    obliq = (
        w.pelvic_drop_left_stance_deg * ss_l
        - w.pelvic_drop_right_stance_deg * ss_r
        - w.hip_hike_right_deg * ss_l
        + w.hip_hike_left_deg * ss_r
    )
    lean = w.trunk_lean_toward_stance_deg * (ss_r - ss_l)
    shift = w.pelvis_shift_toward_stance_m * (ss_l - ss_r)
    active = _envelope(t, [(a, b) for lab, a, b in plan.segments if lab == "standing_active"])
    hesit = _envelope(t, [(a, b) for lab, a, b in plan.segments if lab == "hesitation"], 0.2)
    shift = shift + active * 0.04 * np.sin(2 * np.pi * 0.3 * t)
    lean = lean + active * 2.0 * np.sin(2 * np.pi * 0.3 * t)
    ap = hesit * 0.012 * np.sin(2 * np.pi * w.hesitation_tremble_hz * t)
    centre = np.stack([cx, np.zeros(n), cz], axis=1) + shift[:, None] * lp + ap[:, None] * fp
    phi = np.deg2rad(obliq)
    hip_dir = np.cos(phi)[:, None] * lp + np.sin(phi)[:, None] * up  # centre -> left hip
    # pelvis height: as high as standing allows, lower where a stance leg cannot reach
    y_nom = _ANKLE_H_M + _REACH * leg - hesit * 0.01 * np.abs(np.sin(2 * np.pi * w.hesitation_tremble_hz * t))
    y = y_nom.copy()
    for side in SIDES:
        sg = _side_sign(side)
        hip_h = centre + sg * _HIP_HALF_M * hip_dir
        a = feet[side]["ankle"]
        dh = np.hypot(hip_h[:, 0] - a[:, 0], hip_h[:, 2] - a[:, 2])
        reach = (
            a[:, 1]
            + np.sqrt(np.clip((_REACH * leg) ** 2 - dh**2, 0, None))
            - sg * _HIP_HALF_M * hip_dir[:, 1]
        )
        y = np.where(feet[side]["ground"], np.minimum(y, reach), y)
        # late swing: the pelvis already lowers so that the leg reaches its next footprint
        late = 1.0 - _minjerk((np.nan_to_num(feet[side]["swing"]) - 0.6) / 0.4)
        reaching = ~feet[side]["ground"]
        y = np.where(reaching, np.minimum(y, reach + late * 1.0), y)
    centre[:, 1] = y
    hips = {side: centre + _side_sign(side) * _HIP_HALF_M * hip_dir for side in SIDES}
    # swing ankles: within reach of the hip; a stiff knee keeps the leg long
    for side in SIDES:
        a = feet[side]["ankle"]
        hip_h = hips[side]
        dh = np.hypot(hip_h[:, 0] - a[:, 0], hip_h[:, 2] - a[:, 2])
        low = hip_h[:, 1] - np.sqrt(np.clip((0.995 * leg) ** 2 - dh**2, 0, None))
        kmax = w.side_value("knee_flexion_max_{side}_deg", side)
        if kmax is not None:
            low = np.maximum(
                low,
                hip_h[:, 1] - np.sqrt(np.clip((leg * np.cos(np.deg2rad(kmax) / 2)) ** 2 - dh**2, 0, None)),
            )
        swing = ~feet[side]["ground"]
        a[swing, 1] = np.maximum(a[swing, 1], low[swing])
    # trunk
    flex = np.deg2rad(w.trunk_flexion_deg + 4.0 * hesit)
    lam = np.deg2rad(lean)
    tu = np.cos(flex)[:, None] * up + np.sin(flex)[:, None] * fp
    tu = np.cos(lam)[:, None] * tu - np.sin(lam)[:, None] * lp
    lt = np.cos(lam)[:, None] * lp + np.sin(lam)[:, None] * up
    ft = np.cross(lt, tu)
    ft /= np.linalg.norm(ft, axis=1, keepdims=True)
    out = np.zeros((n, N_LANDMARKS, 3))
    sh_c = centre + 0.29 * h * tu
    out[:, L.LEFT_SHOULDER] = sh_c + _SHOULDER_HALF_M * lt
    out[:, L.RIGHT_SHOULDER] = sh_c - _SHOULDER_HALF_M * lt
    # head: forward flexion, and turning while talking
    hf = np.deg2rad(w.head_flexion_deg)
    hu = np.cos(hf) * tu + np.sin(hf) * ft
    yaw = np.deg2rad(25.0) * active * _smooth_noise(t, rng, (0.21, 0.37))
    nod = np.deg2rad(8.0) * active * _smooth_noise(t, rng, (0.8, 1.3))
    fh0 = np.cross(lt, hu)
    fh0 /= np.linalg.norm(fh0, axis=1, keepdims=True)
    lh0 = np.cross(hu, fh0)
    fh = np.cos(yaw)[:, None] * fh0 + np.sin(yaw)[:, None] * lh0
    fh = np.cos(nod)[:, None] * fh - np.sin(nod)[:, None] * hu
    lh = np.cross(hu, fh)
    lh /= np.linalg.norm(lh, axis=1, keepdims=True)
    head = sh_c + 0.11 * h * hu
    out[:, L.NOSE] = head + 0.10 * fh
    for name, sg in (("LEFT", 1.0), ("RIGHT", -1.0)):
        out[:, L[f"{name}_EYE"]] = head + 0.08 * fh + 0.03 * sg * lh + 0.03 * hu
        out[:, L[f"{name}_EYE_INNER"]] = head + 0.085 * fh + 0.015 * sg * lh + 0.03 * hu
        out[:, L[f"{name}_EYE_OUTER"]] = head + 0.075 * fh + 0.045 * sg * lh + 0.03 * hu
        out[:, L[f"{name}_EAR"]] = head + 0.075 * sg * lh + 0.02 * hu
        out[:, L[f"MOUTH_{name}"]] = head + 0.085 * fh + 0.025 * sg * lh - 0.04 * hu
    # legs and feet
    mean_step = 0.5 * (w.step_length_left_m + w.step_length_right_m)
    for side in SIDES:
        nm, sg = side.upper(), _side_sign(side)
        a = feet[side]["ankle"]
        ff = _fwd(feet[side]["heading"])
        pitch = feet[side]["pitch"]
        out[:, L[f"{nm}_ANKLE"]] = a
        for lm, v in ((f"{nm}_HEEL", _HEEL), (f"{nm}_FOOT_INDEX", _TOE)):
            c, s = np.cos(pitch)[:, None], np.sin(pitch)[:, None]
            out[:, L[lm]] = a + v[0] * (c * ff + s * up) + v[1] * (c * up - s * ff)
        out[:, L[f"{nm}_HIP"]] = hips[side]
        out[:, L[f"{nm}_KNEE"]] = np.array(
            [_two_link(hips[side][i], a[i], ff[i], _THIGH * h, _SHANK * h) for i in range(n)]
        )
    # arms
    arm_angle = {}
    for side in SIDES:
        nm, sg = side.upper(), _side_sign(side)
        sh = out[:, L[f"{nm}_SHOULDER"]]
        down = -tu
        mode = w.arm(side)
        rel = np.sum((feet[side]["ankle"] - feet[_other(side)]["ankle"]) * fp, axis=1)
        if mode == "swing":
            amp = np.deg2rad(w.side_value("arm_swing_{side}_deg", side))
            ang = -amp * np.clip(rel / max(mean_step, 0.05), -1.0, 1.0)
            el = ang + np.deg2rad(15.0) + 0.5 * np.maximum(ang, 0.0)
            du = np.cos(ang)[:, None] * down + np.sin(ang)[:, None] * ft + 0.08 * sg * lt
            df = np.cos(el)[:, None] * down + np.sin(el)[:, None] * ft + 0.04 * sg * lt
        elif mode == "flexed_held":
            ang = np.zeros(n)
            du = np.cos(0.35) * down + np.sin(0.35) * ft - 0.05 * sg * lt
            df = 0.55 * ft - 0.75 * sg * lt + 0.35 * tu
        elif mode == "held_front":
            ang = np.zeros(n)
            du = np.cos(0.26) * down + np.sin(0.26) * ft
            df = np.cos(1.13) * down + np.sin(1.13) * ft - 0.2 * sg * lt
        elif mode == "out":
            ang = np.deg2rad(8.0) * _smooth_noise(t, rng, (0.43, 0.71, 1.1))
            ab = np.deg2rad(40.0) + ang
            du = np.cos(ab)[:, None] * down + np.sin(ab)[:, None] * sg * lt + 0.25 * ft
            df = du + 0.3 * ft + 0.1 * tu
        else:  # hands on hips
            ang = np.zeros(n)
            du = df = np.zeros((n, 3))
        if mode == "hands_on_hips":
            wr = hips[side] + 0.09 * tu + 0.05 * sg * lt - 0.01 * ft
            bend = sg * lt - 0.5 * ft
            el_pt = np.array(
                [_two_link(sh[i], wr[i], bend[i], _UPPER_ARM * h, _FOREARM * h) for i in range(n)]
            )
        else:
            du = du / np.linalg.norm(du, axis=1, keepdims=True)
            df = df / np.linalg.norm(df, axis=1, keepdims=True)
            el_pt = sh + _UPPER_ARM * h * du
            wr = el_pt + _FOREARM * h * df
        if mode in ("swing", "held_front", "out"):  # talking: free hands gesture
            g1 = np.deg2rad(25.0 + 15.0 * _smooth_noise(t, rng, (0.5, 0.9)))
            g2 = np.deg2rad(75.0 + 25.0 * _smooth_noise(t, rng, (0.7, 1.4)))
            gu = np.cos(g1)[:, None] * down + np.sin(g1)[:, None] * ft + 0.15 * sg * lt
            gu /= np.linalg.norm(gu, axis=1, keepdims=True)
            gf = np.cos(g1 + g2)[:, None] * down + np.sin(g1 + g2)[:, None] * ft - 0.2 * sg * lt
            gf /= np.linalg.norm(gf, axis=1, keepdims=True)
            ge = sh + _UPPER_ARM * h * gu
            gw = ge + _FOREARM * h * gf
            k = active[:, None]
            el_pt = (1 - k) * el_pt + k * ge
            wr = (1 - k) * wr + k * gw
        arm_angle[side] = ang
        out[:, L[f"{nm}_ELBOW"]] = el_pt
        out[:, L[f"{nm}_WRIST"]] = wr
        fa = wr - el_pt
        fa /= np.maximum(np.linalg.norm(fa, axis=1, keepdims=True), 1e-9)
        out[:, L[f"{nm}_PINKY"]] = wr + 0.06 * fa - 0.01 * sg * lt
        out[:, L[f"{nm}_INDEX"]] = wr + 0.07 * fa + 0.01 * sg * lt
        out[:, L[f"{nm}_THUMB"]] = wr + 0.04 * fa + 0.03 * ft
    state = {
        "heading": heading,
        "ground": {side: feet[side]["ground"] for side in SIDES},
        "trunk_up": tu,
        "pelvis_fwd": fp,
        "pelvis_left": lp,
        "lean_deg": lean,
        "obliquity_deg": obliq,
        "arm_angle_rad": arm_angle,
        "centre": centre,
    }
    return out, state


# ------------------------------------------------------------------ camera
def _camera_basis(cam: CameraSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    c = np.asarray(cam.position_m, float)
    d = np.asarray(cam.target_m, float) - c
    d /= np.linalg.norm(d)
    r = np.cross(d, np.array([0.0, 1.0, 0.0]))
    if np.linalg.norm(r) < 1e-6:
        raise ValueError("camera: looking straight up or down is not supported")
    r /= np.linalg.norm(r)
    dn = np.cross(d, r)
    return c, r, dn, d


def _project(
    spec: RecordingSpec, world: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Image points (T,33,2), relative depth (px), camera-frame points (T,33,3), pelvis depth, focal."""
    w, hgt = spec.frame_size
    c, r, dn, d = _camera_basis(spec.camera)
    f = (w / 2) / np.tan(np.deg2rad(spec.camera.hfov_deg) / 2)
    p = world - c
    cam = np.stack([p @ r, p @ dn, p @ d], axis=-1)
    if np.any(cam[..., 2] <= 0.1):
        raise ValueError("camera: the walker passes behind or through the camera")
    img = np.stack([w / 2 + f * cam[..., 0] / cam[..., 2], hgt / 2 + f * cam[..., 1] / cam[..., 2]], axis=-1)
    pd = 0.5 * (cam[:, L.LEFT_HIP, 2] + cam[:, L.RIGHT_HIP, 2])
    rel = (cam[..., 2] - pd[:, None]) * f / pd[:, None]
    return img, rel, cam, pd, float(f)


def view_label(angle_deg: np.ndarray | float) -> np.ndarray:
    """posture_cam view label from the camera bearing (0 front, +90 camera on the right, 180 back):
    front within 25 deg of straight on, back within 25 deg of straight behind, a side view within
    25 deg of square to the camera, oblique between."""
    a = np.abs(np.asarray(angle_deg, float))
    s = np.asarray(angle_deg, float)
    return np.select(
        [a <= 25, a >= 155, (a >= 65) & (a <= 115) & (s > 0), (a >= 65) & (a <= 115)],
        ["front", "back", "right_side", "left_side"],
        "oblique",
    ).astype(object)


# ------------------------------------------------------------------ generator
def simulate_recording(spec: RecordingSpec) -> tuple[PoseSequence, RecordingTruth]:
    """Landmarks (pixels) of the whole recording and its truth. Deterministic for ``spec.seed``."""
    plan = _plan(spec)
    fps = spec.fps
    n = int(round(plan.end_s * fps)) + 1
    t = np.arange(n) / fps
    world, st = _body(spec, plan, t)
    img, rel, cam_pts, pelvis_depth, f = _project(spec, world)
    c, r, dn, d = _camera_basis(spec.camera)
    to_cam = c[None, :] - st["centre"]
    bearing = np.rad2deg(
        np.arctan2(np.sum(to_cam * -st["pelvis_left"], axis=1), np.sum(to_cam * st["pelvis_fwd"], axis=1))
    )
    views = view_label(bearing)
    vis = np.full((n, N_LANDMARKS), 0.99, np.float32)
    for a, b in MIRROR_PAIRS:  # the side turned away from the camera is less visible
        vis[bearing > 30, a] = 0.8
        vis[bearing < -30, b] = 0.8
    rng = np.random.default_rng(spec.seed)
    if spec.noise_px > 0:
        img = img + rng.normal(0.0, spec.noise_px, img.shape)
    side_on = np.abs(np.sin(np.deg2rad(bearing)))
    if spec.leg_collapse > 0:  # the model pulls the two legs together (measured: MEASURED_FAULTS)
        for a, b in LEG_CHAINS[1:]:
            pa, pb = img[:, a].copy(), img[:, b].copy()
            img[:, a] = pa + spec.leg_collapse * (pb - pa)
            img[:, b] = pb + spec.leg_collapse * (pa - pb)
    if spec.far_leg_collapse > 0:  # the hidden far leg is guessed close to the visible near one
        k = spec.far_leg_collapse * np.clip((side_on - 0.5) / 0.4, 0.0, 1.0)
        for a, b in LEG_CHAINS[1:]:
            for far_i, near_i, far in ((a, b, bearing > 30), (b, a, bearing < -30)):
                kk = (k * far)[:, None]
                img[:, far_i] = (1 - kk) * img[:, far_i] + kk * img[:, near_i]
    if spec.far_side_noise_px > 0:
        for a, b in MIRROR_PAIRS:
            for idx, far in ((a, bearing > 30), (b, bearing < -30)):
                k = int(far.sum())
                img[far, idx] += (
                    rng.normal(0.0, 1.0, (k, 2)) * (spec.far_side_noise_px * side_on[far])[:, None]
                )
    swapped = _spans(rng, n, fps, spec.swap_rate_per_s, (0.15, 1.0), allowed=side_on > 0.7)
    for a, b in LEG_CHAINS:
        img[swapped, a], img[swapped, b] = img[swapped, b].copy(), img[swapped, a].copy()
        vis[swapped, a], vis[swapped, b] = vis[swapped, b].copy(), vis[swapped, a].copy()
    if spec.correlated_noise_scale > 0:
        body_px = f * spec.walker.height_m / pelvis_depth
        table = {k: (x, y) for k, x, y in spec.model_error_pct} if spec.model_error_pct else None
        moving = _envelope(t, [(a, b) for lab, a, b in plan.segments if lab in ("walking", "turn")], 0.25)
        img = img + spec.correlated_noise_scale * _model_error_px(rng, n, fps, body_px, table, moving)
    if spec.smoothing_frames > 0:  # a causal filter like a tracker's: lags and rounds the corners
        a = 1.0 - np.exp(-1.0 / spec.smoothing_frames)
        for i in range(1, n):
            img[i] = img[i - 1] + a * (img[i] - img[i - 1])
    dropped = _spans(rng, n, fps, spec.dropout_rate * fps / 2.0, (1 / fps, 3 / fps))
    img[dropped] = np.nan
    seq = PoseSequence.from_image_points(
        np.concatenate([img, rel[..., None]], axis=2),
        fps=fps,
        frame_size=spec.frame_size,
        visibility=vis,
        meta={"source": "posture_cam.simulate.gait_recording", "gait_type": spec.walker.gait_type},
    )
    mid = 0.5 * (cam_pts[:, L.LEFT_HIP] + cam_pts[:, L.RIGHT_HIP])
    world_cam = (cam_pts - mid[:, None, :]).astype(np.float32)
    world_cam[dropped] = np.nan
    seq = seq.replace(world_m=world_cam)
    # per-frame phases
    labels = np.full(n, "standing", dtype=object)
    order = ("standing", "standing_active", "hesitation", "turn", "walking")  # later ones win at edges
    for lab, t0, t1 in sorted(plan.segments, key=lambda seg: order.index(seg[0])):
        i0, i1 = int(round(t0 * fps)), int(round(t1 * fps)) + (1 if lab in ("walking", "turn") else 0)
        labels[max(i0, 0) : min(i1, n)] = lab
    phases: list[tuple[str, int, int]] = []
    i = 0
    while i < n:
        j = i
        while j < n and labels[j] == labels[i]:
            j += 1
        phases.append((str(labels[i]), i, j))
        i = j
    events = _events(plan, fps)
    bouts = []
    for b_i, (t0, t1) in enumerate(plan.bouts):
        i0, i1 = int(round(t0 * fps)), min(int(round(t1 * fps)) + 1, n)
        cont = sorted(e.time_s for e in events if e.bout == b_i and e.type == "foot_contact")
        vals, counts = np.unique(views[i0:i1].astype(str), return_counts=True)
        move = st["centre"][i1 - 1] - st["centre"][i0]
        lat, dep = float(move @ r), float(move @ d)
        direction = (
            ("away" if dep > 0 else "toward")
            if abs(dep) > abs(lat)
            else ("left_to_right" if lat > 0 else "right_to_left")
        )
        bouts.append(
            TrueBout(
                start=i0,
                stop=i1,
                start_s=t0,
                end_s=t1,
                view=str(vals[np.argmax(counts)]),
                direction=direction,
                heading_deg=float(np.rad2deg(np.mean(st["heading"][i0:i1]))),
                n_contacts=len(cont),
                cadence_steps_per_min=60.0 * (len(cont) - 1) / (cont[-1] - cont[0]) if len(cont) > 1 else 0.0,
            )
        )
    body_h = f * spec.walker.height_m / pelvis_depth
    activity = np.array([PHASES[str(x)] for x in labels], dtype=object)
    truth = RecordingTruth(
        events=events,
        bouts=bouts,
        phases=phases,
        phase_per_frame=labels,
        activity_per_frame=activity,
        walking=labels == "walking",
        turning=labels == "turn",
        standing=activity == "standing",
        on_ground=st["ground"],
        view_per_frame=views,
        view_angle_deg=bearing,
        body_height_px=body_h,
        world_m=world,
        pelvis_heading_deg=np.rad2deg(st["heading"]),
        swapped=swapped,
        dropped=dropped,
        walker=spec.walker,
    )
    truth.metrics = _metrics(truth, plan, st)
    return seq, truth


#: Pose-model error: SD in % of body height (image x, image y) per landmark kind, left and right pooled,
#: after the legs' mutual pull (``leg_collapse``) is removed. Measured as MediaPipe (posture_cam.extract)
#: minus the exact projected joints of renders (synth.gait.render_recording, 640x360, 24 fps, person
#: ~145 px; side views except the ataxic (oblique) and waddling (front) ones) while walking;
#: autocorrelation of the hemiplegic feet error 0.78 / 0.6 / 0.2 at 1 / 2 / 4 frames. NOSE stands for
#: the face; PINKY/INDEX/THUMB use WRIST.
#: One render each, the default layout of each gait type: other layouts get their gait's values.
MEASURED_FAULTS: dict[str, dict[str, Any]] = {
    "hemiplegic": {  # hemiplegic_bout1, 195 frames
        "leg_collapse": 0.07,
        "error_pct": {
            "ANKLE": (2.9, 1.2),
            "HEEL": (3.0, 1.2),
            "FOOT_INDEX": (3.4, 1.2),
            "KNEE": (2.0, 1.2),
            "HIP": (1.0, 0.8),
            "SHOULDER": (0.8, 0.5),
            "ELBOW": (3.0, 1.0),
            "WRIST": (5.4, 4.1),
            "NOSE": (0.4, 0.5),
        },
    },
    "healthy": {  # healthy_bout1, 120 frames (longer steps: larger feet errors, heels confused in 10-25 %)
        "leg_collapse": 0.06,
        "error_pct": {
            "ANKLE": (5.0, 1.9),
            "HEEL": (5.4, 1.9),
            "FOOT_INDEX": (5.8, 1.8),
            "KNEE": (4.2, 1.7),
            "HIP": (0.8, 0.9),
            "SHOULDER": (1.2, 0.8),
            "ELBOW": (2.3, 1.4),
            "WRIST": (4.2, 1.1),
            "NOSE": (0.4, 0.6),
        },
    },
    "ataxic": {  # ataxic_bout1, 144 frames, OBLIQUE view (walkway at 45 deg to the camera axis)
        "leg_collapse": 0.01,
        "error_pct": {
            "ANKLE": (1.1, 1.4),
            "HEEL": (1.4, 1.6),
            "FOOT_INDEX": (1.9, 0.8),
            "KNEE": (1.0, 1.1),
            "HIP": (0.7, 0.8),
            "SHOULDER": (0.5, 0.6),
            "ELBOW": (0.5, 0.7),
            "WRIST": (0.6, 0.7),
            "NOSE": (0.6, 0.7),
        },
    },
    "waddling": {  # waddling_bout1, 179 frames, FRONT view walking towards the camera (person 116-157 px)
        "leg_collapse": 0.06,
        "error_pct": {
            "ANKLE": (0.3, 0.9),
            "HEEL": (0.5, 1.5),
            "FOOT_INDEX": (0.7, 1.0),
            "KNEE": (0.4, 1.4),
            "HIP": (0.5, 0.8),
            "SHOULDER": (0.6, 0.5),
            "ELBOW": (0.6, 0.5),
            "WRIST": (0.9, 1.5),
            "NOSE": (0.7, 0.8),
        },
    },
    "parkinsonian": {  # parkinsonian_bout1, 190 frames
        "leg_collapse": 0.29,
        "error_pct": {
            "ANKLE": (1.0, 0.9),
            "HEEL": (1.0, 1.0),
            "FOOT_INDEX": (1.1, 1.0),
            "KNEE": (0.9, 0.8),
            "HIP": (0.5, 0.4),
            "SHOULDER": (0.8, 0.5),
            "ELBOW": (1.1, 0.4),
            "WRIST": (1.4, 0.6),
            "NOSE": (0.4, 0.2),
        },
    },
}
#: the default error table (``RecordingSpec.model_error_pct`` None): the hemiplegic render's
MODEL_ERROR_PCT: dict[str, tuple[float, float]] = MEASURED_FAULTS["hemiplegic"]["error_pct"]
MODEL_ERROR_CORR_S = 1.4 / 24.0  # Gaussian smoothing of white noise giving the measured autocorrelation
#: Error while standing still as a fraction of the walking error (the renders' 18-20 standing frames,
#: rough): feet 0.1-0.5 % vs 3.0-3.4 % of body height, knees 0.8-1.1 vs 1.9-2.3, hips 0.4-0.5 vs 0.5-1.0.
STANDING_ERROR_FRACTION: dict[str, float] = {
    "ANKLE": 0.12,
    "HEEL": 0.12,
    "FOOT_INDEX": 0.12,
    "KNEE": 0.45,
    "HIP": 0.7,
}
STANDING_ERROR_FRACTION_OTHER = 0.5
_HAND = ("PINKY", "INDEX", "THUMB")


def _model_error_px(
    rng: np.random.Generator,
    n: int,
    fps: float,
    body_h_px: np.ndarray,
    table: dict[str, tuple[float, float]] | None = None,
    moving: np.ndarray | None = None,
) -> np.ndarray:
    """(n, 33, 2) temporally correlated landmark errors with the SDs of ``table`` (% of body height)
    while ``moving`` (0..1 per frame, default 1), :data:`STANDING_ERROR_FRACTION` of them when still."""
    from scipy.ndimage import gaussian_filter1d

    table = table or MODEL_ERROR_PCT
    white = rng.normal(0.0, 1.0, (n, N_LANDMARKS, 2))
    sigma = MODEL_ERROR_CORR_S * fps
    smooth = gaussian_filter1d(white, sigma, axis=0, mode="nearest") if sigma > 0.3 else white
    smooth /= np.maximum(smooth.std(axis=0, keepdims=True), 1e-9)
    sd = np.tile(np.asarray(table.get("NOSE", (1.0, 1.0)), float), (N_LANDMARKS, 1))
    still = np.full(N_LANDMARKS, STANDING_ERROR_FRACTION_OTHER)
    for lm in L:
        part = lm.name.split("_", 1)[-1] if lm.name.startswith(("LEFT_", "RIGHT_")) else ""
        part = "WRIST" if part in _HAND else part
        if part in table:
            sd[int(lm)] = table[part]
        still[int(lm)] = STANDING_ERROR_FRACTION.get(part, STANDING_ERROR_FRACTION_OTHER)
    mv = np.ones(n) if moving is None else np.clip(np.asarray(moving, float), 0.0, 1.0)
    scale = still[None, :] + (1.0 - still[None, :]) * mv[:, None]  # (n, 33)
    return smooth * sd[None] * scale[..., None] / 100.0 * body_h_px[:, None, None]


def _spans(
    rng: np.random.Generator,
    n: int,
    fps: float,
    rate_per_s: float,
    length_s: tuple[float, float],
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) bool: random spans starting at ``rate_per_s`` (Poisson) where ``allowed``."""
    out = np.zeros(n, bool)
    if rate_per_s <= 0:
        return out
    starts = np.flatnonzero(rng.random(n) < rate_per_s / fps)
    for i in starts:
        if allowed is not None and not allowed[i]:
            continue
        k = max(1, int(round(rng.uniform(*length_s) * fps)))
        out[i : i + k] = True
    if allowed is not None:
        out &= allowed
    return out


def _events(plan: _Plan, fps: float) -> list[ContactEvent]:
    out = []
    for side, prs in plan.prints.items():
        for pr, nxt in zip(prs[:-1], prs[1:], strict=True):
            ph = nxt.phase
            out.append(ContactEvent(pr.t_off, int(round(pr.t_off * fps)), side, "foot_off", "", ph, nxt.bout))
            out.append(
                ContactEvent(
                    nxt.t_on,
                    int(round(nxt.t_on * fps)),
                    side,
                    "foot_contact",
                    nxt.landing,
                    ph,
                    nxt.bout,
                    nxt.step_length_m,
                )
            )
    return sorted(out, key=lambda e: (e.time_s, e.type))


def _metrics(truth: RecordingTruth, plan: _Plan, st: dict[str, Any]) -> dict[str, float]:
    """Steady-state truth over the walking bouts (the first and last step of a bout excluded)."""
    w = truth.walker
    m: dict[str, float] = {
        "cadence_steps_per_min": w.cadence_steps_per_min,
        "trunk_flexion_deg": w.trunk_flexion_deg,
        "trunk_lean_toward_stance_deg": w.trunk_lean_toward_stance_deg,
    }
    per: dict[str, dict[str, list[float]]] = {
        s: {"step": [], "stance": [], "swing": [], "len": []} for s in SIDES
    }
    widths: list[float] = []
    for b_i in range(len(truth.bouts)):
        cont = [e for e in truth.events if e.bout == b_i and e.type == "foot_contact"]
        for prev, cur in zip(cont[1:-2], cont[2:-1], strict=True):
            per[cur.foot]["step"].append(cur.time_s - prev.time_s)
            per[cur.foot]["len"].append(cur.step_length_m)
    for side, prs in plan.prints.items():
        for a, b, c in zip(prs[:-2], prs[1:-1], prs[2:], strict=True):
            if a.phase == b.phase == c.phase == "walking" and a.bout == b.bout == c.bout:
                per[side]["stance"].append(b.t_off - b.t_on)
                per[side]["swing"].append(c.t_on - b.t_off)
                o = plan.prints[_other(side)]
                others = [p for p in o if p.t_on <= b.t_on <= p.t_off]
                if others:
                    widths.append(
                        abs(
                            float(
                                np.dot(np.array([b.x - others[0].x, 0, b.z - others[0].z]), _left(b.heading))
                            )
                        )
                    )
    for side in SIDES:
        for k, name in (("step", "step_time"), ("stance", "stance_time"), ("swing", "swing_time")):
            if per[side][k]:
                m[f"{name}_{side}_s"] = float(np.mean(per[side][k]))
        if per[side]["len"]:
            m[f"step_length_{side}_m"] = float(np.mean(per[side]["len"]))
    steps = per["left"]["step"] + per["right"]["step"]
    if len(steps) > 2:
        m["step_time_cv_pct"] = float(100 * np.std(steps) / np.mean(steps))
    if widths:
        m["step_width_m"] = float(np.mean(widths))
    for side in SIDES:
        a = st["arm_angle_rad"][side][truth.walking]
        if a.size:
            m[f"arm_swing_{side}_deg"] = float(np.rad2deg(np.ptp(a)) / 2)
    m.update(_landmark_metrics(truth))
    return m


def _landmark_metrics(truth: RecordingTruth) -> dict[str, float]:
    """Truth measured on the noise-free world landmarks while walking (definitions in the keys):

    * ``trunk_flexion_walking_deg``: median angle of hip-mid -> shoulder-mid from vertical, + forward;
    * ``trunk_lean_{left,right}_stance_deg``: median over single-support phases on that leg of the peak
      lateral angle of that line, + toward the stance leg;
    * ``wrist_excursion_{side}_m``: median over strides of the fore-aft range of wrist - shoulder;
    * ``foot_clearance_{side}_m``: median over swings of the peak height of the lower of heel and toe
      above its standing height (mid-swing lift, not minimum toe clearance).
    """
    w = truth.world_m
    wk = truth.walking
    if not wk.any():
        return {}
    h = np.deg2rad(truth.pelvis_heading_deg)
    fwd = np.stack([np.cos(h), np.zeros_like(h), np.sin(h)], 1)
    left = np.stack([np.sin(h), np.zeros_like(h), -np.cos(h)], 1)
    hip = 0.5 * (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP])
    trunk = 0.5 * (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER]) - hip
    flex = np.rad2deg(np.arctan2(np.sum(trunk * fwd, 1), trunk[:, 1]))
    lean_left = np.rad2deg(np.arctan2(np.sum(trunk * left, 1), trunk[:, 1]))
    out = {"trunk_flexion_walking_deg": float(np.median(flex[wk]))}
    for side, sg in (("left", 1.0), ("right", -1.0)):
        single = wk & truth.on_ground[side] & ~truth.on_ground[_other(side)]
        peaks = [float(np.max(sg * lean_left[a:b])) for a, b in _runs(single)]
        if peaks:
            out[f"trunk_lean_{side}_stance_deg"] = float(np.median(peaks))
        nm = side.upper()
        rel = np.sum((w[:, L[f"{nm}_WRIST"]] - w[:, L[f"{nm}_SHOULDER"]]) * fwd, 1)
        contacts = [
            e.frame for e in truth.events if e.type == "foot_contact" and e.foot == side and e.bout >= 0
        ]
        ranges = [
            float(np.ptp(rel[a:b])) for a, b in zip(contacts[:-1], contacts[1:], strict=True) if wk[a:b].all()
        ]
        if ranges:
            out[f"wrist_excursion_{side}_m"] = float(np.median(ranges))
        low = np.minimum(w[:, L[f"{nm}_HEEL"], 1], w[:, L[f"{nm}_FOOT_INDEX"], 1]) - (_ANKLE_H_M + _HEEL[1])
        lifts = [float(np.max(low[a:b])) for a, b in _runs(wk & ~truth.on_ground[side])]
        if lifts:
            out[f"foot_clearance_{side}_m"] = float(np.median(lifts))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the True runs of a boolean array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


# ------------------------------------------------------------------ scoring
@dataclass(frozen=True)
class ContactScore:
    """Detected foot contacts against the truth (one-to-one, nearest first, within a tolerance)."""

    n_true: int  # true contacts of the scored phase
    n_found: int  # of those, matched by a detection within the tolerance
    n_false: int  # detections matching no true contact of any phase (walking or turn)
    errors_frames: tuple[float, ...]  # detected minus true time of each match, in frames

    @property
    def found_pct(self) -> float:
        return 100.0 * self.n_found / self.n_true if self.n_true else float("nan")

    @property
    def median_abs_error_frames(self) -> float:
        return float(np.median(np.abs(self.errors_frames))) if self.errors_frames else float("nan")


def score_contacts(
    truth: RecordingTruth,
    detected: Sequence[tuple[float, str | None]],
    *,
    fps: float,
    tol_frames: float = 2.0,
    phase: str | None = "walking",
    match_feet: bool = True,
) -> ContactScore:
    """Score detected contacts ``(time_s, foot or None)`` against the true ones.

    ``phase`` chooses the true contacts counted in ``n_true`` ("walking", "turn" or None for all);
    a detection that matches a contact of another phase is neither found nor false. With
    ``match_feet=False`` the foot labels are ignored (side identity scored separately).
    """
    tol = tol_frames / fps
    true = truth.contacts(phase=None)
    pairs = sorted(
        (abs(t_det - e.time_s), i, j)
        for i, (t_det, foot) in enumerate(detected)
        for j, e in enumerate(true)
        if abs(t_det - e.time_s) <= tol + 1e-9 and (not match_feet or foot is None or foot == e.foot)
    )
    used_d: set[int] = set()
    used_t: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in used_d and j not in used_t:
            used_d.add(i)
            used_t[j] = i
    scored = [j for j, e in enumerate(true) if phase is None or e.phase == phase]
    errors = tuple((detected[used_t[j]][0] - true[j].time_s) * fps for j in scored if j in used_t)
    return ContactScore(len(scored), len(errors), len(detected) - len(used_d), errors)


# ------------------------------------------------------------------ presets
def _bout_steps(w: WalkerSpec, distance_m: float = 3.0, max_s: float = 6.5) -> int:
    step_len = 0.5 * (w.step_length_left_m + w.step_length_right_m)
    step_t = 0.5 * w.stride_time_s
    return int(max(4, min(round(distance_m / step_len) + 1, np.floor(max_s / step_t))))


LAYOUTS = ("side", "oblique", "toward", "clinic")
DEFAULT_LAYOUT = {
    "healthy": "side",
    "hemiplegic": "side",
    "parkinsonian": "side",
    "ataxic": "oblique",
    "waddling": "toward",
}


def recording(
    gait_type: str = "healthy",
    *,
    layout: str | None = None,
    affected_side: Side = "right",
    fps: float = 24.0,
    noise_px: float = 1.0,
    seed: int = 0,
    talking_s: float = 2.5,
    realistic: bool = False,
    **walker_overrides: Any,
) -> RecordingSpec:
    """A 15-30 s recording: quiet standing, standing while talking, a walking bout, a 180-degree
    turn, a walking bout back, standing. ``layout``: ``side`` (camera 6 m beside the walkway),
    ``oblique`` (walkway at 45 deg to the camera axis), ``toward`` (first bout towards the camera,
    second away); the camera is 1.6 m high, looking down at the walkway's centre at 0.9 m.
    ``clinic``: three shorter bouts - across (side view), a 135-degree turn, obliquely towards the
    camera, standing and talking, a 180-degree turn, away on a path curving back to a side view (the
    view changes within the bout) - then standing.
    ``realistic`` adds pose-model faults as measured with MediaPipe on rendered walks
    (:data:`MEASURED_FAULTS`): the legs drawn towards each other, temporally correlated errors
    (:data:`MODEL_ERROR_PCT`), 2 px more noise on the far side, leg-label swaps (0.15/s in side-on
    frames) and 1 % dropped frames; no tracker lag (none was measured).
    """
    w = walker(gait_type, affected_side=affected_side, **walker_overrides)
    layout = layout or DEFAULT_LAYOUT[gait_type]
    if layout == "clinic":  # shorter bouts, but at least 3 s
        n = max(_bout_steps(w, 2.2, 4.0), int(np.ceil(3.0 / (0.5 * w.stride_time_s))) + 1)
    else:
        n = _bout_steps(w)
    travel = (n - 2) * 0.5 * (w.step_length_left_m + w.step_length_right_m)
    if layout == "side":
        cam = CameraSpec((0.0, 1.6, 6.0), (0.0, 0.9, 0.0))
        start, heading = (-travel / 2, 0.0), 0.0
    elif layout == "oblique":
        cam = CameraSpec((4.3, 1.6, 4.3), (0.0, 0.9, 0.0))
        start, heading = (-travel / 2, 0.0), 0.0
    elif layout == "toward":
        cam = CameraSpec((6.5, 1.6, 0.3), (0.0, 0.9, 0.0))
        start, heading = (-travel / 2 - 0.5, 0.0), 0.0
    elif layout == "clinic":
        cam = CameraSpec((0.0, 1.6, 6.5), (0.0, 0.9, 0.5))
        start, heading = (-travel / 2 - 0.3, -0.5), 0.0
    else:
        raise ValueError(f"layout: expected one of {LAYOUTS}, got {layout!r}")
    faults = MEASURED_FAULTS.get(gait_type, MEASURED_FAULTS["hemiplegic"])
    phases: tuple[Phase, ...]
    if layout == "clinic":
        phases = (
            Stand(1.5),
            Stand(talking_s, active=True),
            Stand(0.5),
            Walk(n),
            Turn(135.0),
            Walk(n),
            Stand(1.0, active=True),
            Turn(180.0),
            Walk(n, turn_deg=45.0),
            Stand(1.5),
        )
    else:
        phases = (
            Stand(1.5),
            Stand(talking_s, active=True),
            Stand(0.5),
            Walk(n),
            Turn(180.0),
            Walk(n),
            Stand(1.5),
        )
    return RecordingSpec(
        walker=w,
        phases=phases,
        camera=cam,
        fps=fps,
        noise_px=noise_px,
        far_side_noise_px=2.0 if realistic else 0.0,
        far_leg_collapse=0.0,
        swap_rate_per_s=0.15 if realistic else 0.0,
        dropout_rate=0.01 if realistic else 0.0,
        leg_collapse=faults["leg_collapse"] if realistic else 0.0,
        correlated_noise_scale=1.0 if realistic else 0.0,
        model_error_pct=tuple((k, x, y) for k, (x, y) in faults["error_pct"].items()) if realistic else None,
        seed=seed,
        start_xz_m=start,
        start_heading_deg=heading,
    )


def standing_recording(
    *,
    seconds: float = 12.0,
    fps: float = 24.0,
    noise_px: float = 1.0,
    seed: int = 0,
    gait_type: str = "healthy",
) -> RecordingSpec:
    """Standing, talking (gesturing, head turning, weight shifting), standing: no walking at all."""
    q = seconds / 4
    return RecordingSpec(
        walker=walker(gait_type),
        phases=(Stand(q), Stand(2 * q, active=True), Stand(q)),
        camera=CameraSpec((2.0, 1.6, 5.5), (0.0, 0.9, 0.0)),
        fps=fps,
        noise_px=noise_px,
        seed=seed,
        start_xz_m=(0.0, 0.0),
        start_heading_deg=30.0,
    )


__all__: Sequence[str] = (
    "ARM_MODES",
    "CameraSpec",
    "ContactEvent",
    "ContactScore",
    "GAIT_TYPES",
    "LAYOUTS",
    "MEASURED_FAULTS",
    "MODEL_ERROR_PCT",
    "STANDING_ERROR_FRACTION",
    "PHASES",
    "RecordingSpec",
    "RecordingTruth",
    "Stand",
    "TrueBout",
    "Turn",
    "Walk",
    "WalkerSpec",
    "recording",
    "score_contacts",
    "simulate_recording",
    "standing_recording",
    "view_label",
    "walker",
)
