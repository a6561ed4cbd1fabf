"""Gait analysis: walking bouts, events, steps and gait metrics for the ``result.json`` ``gait`` section.

Stages (one module each, gaitmap style: parameters in ``__init__``, one ``detect`` action, results
in attributes ending in ``_``):

* :mod:`.segmentation` - walking bouts, direction of travel, turns, standing still;
* :mod:`.events` - leg-swap repair, heel strike / toe off (side view: Zeni; front/back: foot excursion),
  plausibility;
* :mod:`.parameters` - per-step table, per-side parameters, symmetry indices, limp index;
* :mod:`.frontal` - pelvic drop, trunk sway, compensated Trendelenburg.

The input sequence must already be conditioned (``posture_cam.signal.condition``); nothing here
filters the landmarks again. See docs/gait.md for the methods and their expected accuracy.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from ..config import Config, GaitConfig
from ..errors import InvalidSequenceError
from ..landmarks import Landmark
from ..measurement import SIDE_VIEWS, MetricResult
from ..metric_keys import GAIT_METRICS, WALK_VIEWS
from ..sequence import PoseSequence
from ._signals import leg_array, leg_visibility, view_family
from .events import (
    FootExcursionEventDetector,
    FootExcursionInput,
    GaitEvent,
    PlausibilityChecker,
    ZeniEventDetector,
    ZeniInput,
)
from .frontal import frontal_metrics, frontal_not_assessable, pelvic_obliquity_deg, trunk_lateral_lean_deg
from .measures import BoutFrames, add_shortfall, clinical_measures, per_bout_summary
from .parameters import Step, StepParameters, symmetry_index_pct, temporal_metrics
from .segmentation import WalkingBout, segments_json

if TYPE_CHECKING:
    from ..prepare import Prepared

L: type[Landmark] = Landmark
#: Metric keys always present in ``GaitReport.metrics`` (the shared contract, docs/ARCHITECTURE.md).
METRIC_KEYS = GAIT_METRICS


@dataclass
class GaitReport:
    """Everything the gait stage found. ``to_json()`` is the ``result.json`` ``gait`` section."""

    walking_detected: bool
    view: str | None
    bouts: list[WalkingBout]
    events: list[GaitEvent]
    steps: list[Step]
    metrics: dict[str, MetricResult]
    segments: list[dict[str, Any]] = field(default_factory=list)
    swapped_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    timestamps_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frame_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    reason: str | None = None
    side_label_agreement: float | None = None  # share of side-view heel strikes whose leg label fit
    bout_metrics: list[dict[str, Any]] = field(default_factory=list)  # per bout, see per_bout_summary
    side_source: str | None = None  # how side-view feet were named: near/far foot or pose labels

    def to_json(self) -> dict[str, Any]:
        fi = self.frame_index
        flags = {
            f: self.metrics[f"trunk_lean_{f}_stance_deg"].extra.get("compensated_trendelenburg")
            for f in ("left", "right")
            if f"trunk_lean_{f}_stance_deg" in self.metrics
        }
        return {
            "walking_detected": bool(self.walking_detected),
            "view": self.view,
            "reason": self.reason,
            "bouts": [
                {
                    **b.to_json(self.timestamps_s, fi),
                    **(self.bout_metrics[i] if i < len(self.bout_metrics) else {}),
                }
                for i, b in enumerate(self.bouts)
            ],
            "segments": self.segments,
            "events": [e.to_json(fi) for e in self.events],
            "steps": [s.to_json(fi) for s in self.steps],
            "leg_swaps_repaired_frames": int(np.count_nonzero(self.swapped_frames)),
            "side_label_agreement": self.side_label_agreement,
            "side_source": self.side_source,
            "sides_reliable": True
            if self.side_source == NEAR_FAR
            else None
            if self.side_label_agreement is None
            else self.side_label_agreement >= 0.75,
            "compensated_trendelenburg": flags,
            "metrics": {k: v.to_json() for k, v in self.metrics.items()},
        }


class _ReportContext(TypedDict):
    """The :class:`GaitReport` fields shared by the walking and the no-walking report."""

    timestamps_s: np.ndarray
    frame_index: np.ndarray
    swapped_frames: np.ndarray
    segments: list[dict[str, Any]]
    side_label_agreement: float | None
    side_source: str | None


def _all_not_assessable(reason: str) -> dict[str, MetricResult]:
    return {k: MetricResult.not_assessable(u, reason, view_required=v) for k, u, v in METRIC_KEYS}


def analyze_gait(
    data: Prepared | PoseSequence,
    config: Config | GaitConfig | None = None,
    *,
    view_per_frame: Sequence[str] | np.ndarray | None = None,
    body_height_px: float | np.ndarray | None = None,
    px_per_m: float | None = None,
    event_edits: Sequence[Any] | None = None,
) -> GaitReport:
    """Gait events, steps and metrics from the prepare stage's result.

    ``data``: a :class:`~posture_cam.prepare.Prepared` (leg swaps repaired on the raw landmarks,
    conditioned once, views, walking bouts); a :class:`PoseSequence` is prepared first, with
    ``view_per_frame`` (T,) overriding the view classifier when given. ``body_height_px``: the
    subject's standing height in pixels for step lengths (scalar or per frame; default: the
    calibrated height, else the per-frame skeleton estimate); ``px_per_m``: image scale at the
    subject when known (enables cm and m/s). ``event_edits``: a clinician's event corrections
    (:class:`posture_cam.corrections.Correction` of kind "event"), applied to the detected events
    before steps and metrics are formed. Raises :class:`~posture_cam.errors.InvalidSequenceError`
    when the view labels do not match the sequence.
    """
    from ..prepare import Prepared, prepare

    full = config if isinstance(config, Config) else Config(gait=config or GaitConfig())
    cfg = full.gait
    if isinstance(data, Prepared):
        prep = data
    else:
        if view_per_frame is not None:
            v = np.asarray(view_per_frame, dtype=object)
            if v.shape != (data.n_frames,):
                raise InvalidSequenceError(
                    f"view_per_frame: expected shape ({data.n_frames},), got {v.shape}"
                )
        prep = prepare(data, full, view_per_frame=view_per_frame)
    seq = prep.seq
    n = seq.n_frames
    views = np.asarray(prep.view.per_frame, dtype=object)
    if body_height_px is None:
        body_height_px = prep.calibration.scale.body_height_px
    if px_per_m is not None and not (np.isfinite(px_per_m) and px_per_m > 0):
        raise InvalidSequenceError(f"px_per_m: expected a positive number or None, got {px_per_m}")
    swapped = prep.swapped
    empty = dict(
        bouts=[],
        events=[],
        steps=[],
        timestamps_s=seq.timestamps_s,
        frame_index=seq.frame_index,
        swapped_frames=swapped,
    )
    if n < 3 or not seq.detected.any():
        reason = "no walking detected (no person in the recording)"
        return GaitReport(False, None, metrics=_all_not_assessable(reason), reason=reason, **empty)  # type: ignore[arg-type]
    rate = prep.sampling_rate_hz
    fam = view_family(views)
    fam[views == "oblique"] = "oblique"
    h_est = prep.body_height_px
    legs = leg_array(seq)  # leg swaps were repaired in the prepare stage
    vis = leg_visibility(seq)
    mid_hip = 0.5 * (legs[:, 0, 0] + legs[:, 1, 0])
    with warnings.catch_warnings():  # frames without foot points stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        feet = np.nanmean(legs[:, :, 2:5], axis=2) if n else legs[:, :, 2]
    seg = prep.walking
    events: list[GaitEvent] = []
    bouts: list[WalkingBout] = []
    agreements: list[float] = []
    side_sources: list[str] = []
    # events are searched a little beyond each bout: the bout is trimmed to steady travel, so the
    # first and the closing step (starting from and stopping to stand) lie partly outside it
    ext = int(round(cfg.event_margin_s * rate))
    for b_i, b in enumerate(seg.bouts_):
        prev_stop = seg.bouts_[b_i - 1].stop if b_i > 0 else 0
        next_start = seg.bouts_[b_i + 1].start if b_i + 1 < len(seg.bouts_) else n
        s, e = b.start, b.stop
        blocked = seg.turning_ | seg.standing_  # never into a turn or standing still
        while s > max(prev_stop, b.start - ext) and not blocked[s - 1]:
            s -= 1
        while e < min(next_start, b.stop + ext) and not blocked[e]:
            e += 1
        # a bout whose view changes (a walker curving from side to front) is read piece by piece,
        # each with the detector of its view family (pieces under 1 s join their neighbour)
        backwards = False
        for ps, pe, pfam in _family_pieces(fam, s, e, int(round(rate))):
            det: ZeniEventDetector | FootExcursionEventDetector
            if pfam == "side":
                x = mid_hip[ps:pe, 0]
                ok = np.flatnonzero(np.isfinite(x))
                travel = int(np.sign(x[ok[-1]] - x[ok[0]])) if ok.size >= 2 else 0
                direction = b.direction if b.view_family in ("side", "oblique") or travel == 0 else travel
                det = ZeniEventDetector(
                    min_step_time_s=cfg.min_step_time_s,
                    min_prominence_fraction=cfg.event_min_prominence_fraction,
                ).detect(
                    ZeniInput(
                        legs[ps:pe, :, 3, 0],
                        legs[ps:pe, :, 4, 0],
                        mid_hip[ps:pe, 0],
                        vis[ps:pe],
                        seq.timestamps_s[ps:pe],
                        direction,
                        ps,
                        b_i,
                        near_foot=_NEAR_FOOT.get(str(_mode_str(views[ps:pe]))),
                        heel_y=legs[ps:pe, :, 3, 1],
                        toe_y=legs[ps:pe, :, 4, 1],
                        body_height_px=h_est[ps:pe],
                        open_start=not seq.detected[:ps].any(),
                        open_end=not seq.detected[pe:].any(),
                    ),
                    sampling_rate_hz=rate,
                )
                if b.view_family == "side":
                    backwards = det.backwards_
                agreements.append(det.label_agreement_)
                side_sources.append(det.side_source_)
            else:
                det = FootExcursionEventDetector().detect(
                    FootExcursionInput(
                        feet[ps:pe],
                        mid_hip[ps:pe],
                        h_est[ps:pe],
                        vis[ps:pe],
                        seq.timestamps_s[ps:pe],
                        ps,
                        b_i,
                    ),
                    sampling_rate_hz=rate,
                )
                if b.view_family == "frontal":
                    facing_camera = _mode_str(views[s:e]) == "front"
                    backwards = facing_camera != (b.direction > 0)
            events.extend(det.events_)
        bouts.append(
            WalkingBout(
                b.start,
                b.stop,
                b.direction,
                b.view_family,
                bool(backwards),
                b.stationary,
                reason=b.reason,
                view_label=_mode_str(views[s:e]),
            )
        )
    events = (
        PlausibilityChecker(min_step_time_s=cfg.min_step_time_s, max_step_time_s=cfg.max_step_time_s)
        .detect(events, sampling_rate_hz=rate)
        .events_
    )
    if event_edits:
        from ..corrections import apply_event_edits

        events = apply_event_edits(
            events, event_edits, frame_index=seq.frame_index, timestamps_s=seq.timestamps_s, bouts=bouts
        )
    n_plausible_hs = sum(1 for ev in events if ev.plausible and ev.type == "heel_strike")
    walking = bool(bouts) and n_plausible_hs >= 2
    walk_frames = np.concatenate([np.arange(b.start, b.stop) for b in bouts]) if bouts else np.zeros(0, int)
    view = _mode_str(views[walk_frames]) if walk_frames.size else _mode_str(views[seq.detected])
    segments = segments_json(bouts, seg.standing_, seg.turning_, seq.timestamps_s)
    common = _ReportContext(
        timestamps_s=seq.timestamps_s,
        frame_index=seq.frame_index,
        swapped_frames=swapped,
        segments=segments,
        side_label_agreement=round(float(np.mean(agreements)), 3) if agreements else None,
        side_source=_side_source(side_sources),
    )
    if not walking:
        reason = "no walking detected" + (
            " (fewer than two plausible, alternating heel strikes in "
            f"{sum(b.stop - b.start for b in bouts) / rate:.1f} s of stepping; cadence needs "
            f"{cfg.min_steps + 1} alternating heel strikes, about {(cfg.min_steps + 1) * 0.6:.0f} s of "
            "steady walking past the camera, more for a slow walker)"
            if bouts
            else " (the subject neither travels through the image nor steps with alternating legs)"
        )
        return GaitReport(
            False,
            view,
            bouts=bouts,
            events=events,
            steps=[],
            metrics=_all_not_assessable(reason),
            reason=reason,
            **common,
        )
    family = _mode_str(fam[walk_frames])
    h_scale = _height_for_lengths(body_height_px, h_est, n)
    side_bouts = {i for i, b in enumerate(bouts) if b.view_family == "side"}
    frontal_bouts = {i for i, b in enumerate(bouts) if b.view_family == "frontal"}
    side = bool(side_bouts)
    steps = (
        StepParameters(min_step_time_s=cfg.min_step_time_s, max_step_time_s=cfg.max_step_time_s)
        .detect(
            events,
            ankle_x_px=legs[:, :, 2, 0] if side else None,
            body_height_px=h_scale,
            px_per_m=px_per_m if side else None,
            sampling_rate_hz=rate,
        )
        .steps_
    )
    # step length is measured along the image x: only in side-view bouts
    nan = float("nan")
    steps = [
        s_
        if s_.bout in side_bouts
        else dataclasses.replace(s_, step_length_px=nan, step_length_pct_height=nan, step_length_m=nan)
        for s_ in steps
    ]
    metrics = temporal_metrics(
        steps,
        views=WALK_VIEWS,
        min_steps=cfg.min_steps,
        step_length_views=SIDE_VIEWS if side else None,
        px_per_m=px_per_m if side else None,
        min_per_side_for_si=cfg.min_steps_per_side_for_symmetry,
    )
    _name_sides(metrics)
    side_walk = [b for i, b in enumerate(bouts) if i in side_bouts]
    metrics["gait_speed_m_per_s"] = _gait_speed(side_walk, mid_hip, seq.timestamps_s, px_per_m, side)
    if frontal_bouts:
        if not side:
            _note_frontal_phase_bias(metrics)
        obl = pelvic_obliquity_deg(legs[:, 0, 0], legs[:, 1, 0])
        lean = trunk_lateral_lean_deg(
            legs[:, 0, 0], legs[:, 1, 0], seq.xy(L.LEFT_SHOULDER), seq.xy(L.RIGHT_SHOULDER)
        )
        metrics.update(
            frontal_metrics(
                [ev for ev in events if ev.bout in frontal_bouts],
                obliquity_deg=obl,
                lean_deg=lean,
                bouts=[(b.start, b.stop) for i, b in enumerate(bouts) if i in frontal_bouts],
                min_steps=cfg.min_steps,
                min_trunk_lean_deg=cfg.trendelenburg_min_trunk_lean_deg,
                max_level_pelvis_drop_deg=cfg.level_pelvis_max_drop_deg,
            )
        )
    else:
        seen = _FAMILY_WORDS.get(str(family), "another view")
        metrics.update(
            frontal_not_assessable(f"needs walking filmed from the front or back (it was filmed from {seen})")
        )
    bf = _bout_frames(bouts)
    metrics.update(
        clinical_measures(
            seq, legs, events, steps, h_scale, fam, bf, cfg=cfg, px_per_m=px_per_m, rate_hz=rate
        )
    )
    walked_s = sum(b.stop - b.start for b in bouts) / rate
    cad = metrics["cadence_steps_per_min"]
    add_shortfall(
        metrics,
        n_steps=len(steps),
        cadence_steps_per_min=cad.number if cad.ok else None,
        walked_s=walked_s,
    )
    bout_metrics = [per_bout_summary(steps, b_i, bouts[b_i], rate) for b_i in range(len(bouts))]
    ordered = {k: metrics[k] for k, _, _ in METRIC_KEYS if k in metrics}
    ordered.update({k: v for k, v in metrics.items() if k not in ordered})
    return GaitReport(
        True,
        view,
        bouts=bouts,
        events=events,
        steps=steps,
        metrics=ordered,
        bout_metrics=bout_metrics,
        **common,
    )


#: Front/back view: toe off (walking towards the camera) or heel strike (walking away) is found late /
#: early by ~5 frames at 30 fps on synthetic walks (foot lift and approach cancel in the image; see
#: docs/gait.md section 7). Step time and cadence are unaffected; these phase metrics carry it.
FRONTAL_PHASE_BIASED = (
    "stance_time_left_s",
    "stance_time_right_s",
    "swing_time_left_s",
    "swing_time_right_s",
    "double_support_pct",
)
FRONTAL_PHASE_NOTE = (
    "front/back view: one event of each swing (toe off walking towards the camera, heel strike "
    "walking away) is timed ~0.15 s off, so stance, swing and double support are approximate; "
    "a side view measures them properly. Their left/right symmetry is less affected."
)


def _note_frontal_phase_bias(metrics: dict[str, MetricResult]) -> None:
    """Attach the known frontal-view phase bias to the metrics it affects (in place)."""
    for key in FRONTAL_PHASE_BIASED:
        m = metrics.get(key)
        if m is not None and m.ok:
            metrics[key] = dataclasses.replace(m, extra={**m.extra, "note": FRONTAL_PHASE_NOTE})


NEAR_FAR = "near/far foot (ground contact height)"


def _side_source(sources: list[str]) -> str | None:
    """How the side-view feet were named over the recording: near/far only when every side-view
    piece could use it, else the pose labels (None without side-view walking)."""
    if not sources:
        return None
    return NEAR_FAR if all(x == NEAR_FAR for x in sources) else "pose labels"


#: a side view shows the subject's side nearer the camera (posture_cam.view labels)
_NEAR_FOOT = {"left_side": 0, "right_side": 1}
_FAMILY_WORDS = {"side": "the side", "oblique": "an oblique angle", "frontal": "the front or back"}


def _family_pieces(fam: np.ndarray, s: int, e: int, min_len: int) -> list[tuple[int, int, str]]:
    """(start, stop, family) runs of one view family in frames s:e; runs shorter than ``min_len``
    (and frames of no known family) join the previous run (the first one the next)."""
    runs: list[list[Any]] = []
    for i in range(s, e):
        f = str(fam[i]) if str(fam[i]) in ("side", "frontal", "oblique") else None
        if runs and (f is None or f == runs[-1][2]):
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, f])
    merged: list[list[Any]] = []
    for r in runs:
        if merged and (r[1] - r[0] < min_len or r[2] is None):
            merged[-1][1] = r[1]
        elif merged and merged[-1][1] - merged[-1][0] < min_len:
            merged[-1] = [merged[-1][0], r[1], r[2]]
        else:
            merged.append(list(r))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < min_len:
        merged[-2][1] = merged[-1][1]
        merged.pop()
    return [(int(a), int(b), str(f or "oblique")) for a, b, f in merged]


def _bout_frames(bouts: list[WalkingBout]) -> list[BoutFrames]:
    """The measures' view of the bouts: side-view facing in the image (+1 right) from the direction
    of travel and whether the subject walked backwards."""
    out = []
    for i, b in enumerate(bouts):
        facing = 0
        if b.view_family in ("side", "oblique"):
            facing = b.direction * (-1 if b.backwards else 1)
        out.append(BoutFrames(b.start, b.stop, b.view_family, facing, i))
    return out


def _name_sides(metrics: dict[str, MetricResult]) -> None:
    """Name the side the left/right asymmetries point to, in the ``side`` extra the rules pass on
    (in place): stance and step time = the side with the SHORTER value (the leg the walker spends
    less time on / hurries off: the affected or painful side in a limp), swing time = the LONGER."""
    for key, pick in (("stance_time_si_pct", "shorter"), ("step_time_si_pct", "shorter"),
                      ("swing_time_si_pct", "longer"), ("step_length_si_pct", "shorter")):  # fmt: skip
        m = metrics.get(key)
        if m is None or not m.ok or m.number == 0:
            continue
        right_larger = m.number > 0
        side = (
            ("left" if right_larger else "right")
            if pick == "shorter"
            else ("right" if right_larger else "left")
        )
        metrics[key] = dataclasses.replace(m, extra={**m.extra, "side": side, "side_is": f"the {pick} side"})


def _mode_str(values: np.ndarray) -> str | None:
    if values.size == 0:
        return None
    vals, counts = np.unique(values.astype(str), return_counts=True)
    return str(vals[np.argmax(counts)])


def _height_for_lengths(body_height_px: float | np.ndarray | None, h_est: np.ndarray, n: int) -> np.ndarray:
    if body_height_px is None:
        return h_est
    h = np.broadcast_to(np.asarray(body_height_px, dtype=np.float64), (n,))
    return np.where(np.isfinite(h) & (h > 0), h, h_est)


def _gait_speed(
    bouts: list[WalkingBout], mid_hip: np.ndarray, ts: np.ndarray, px_per_m: float | None, side: bool
) -> MetricResult:
    if not side:
        return MetricResult.not_assessable("m/s", "gait speed needs a side view", view_required=SIDE_VIEWS)
    if not px_per_m:
        return MetricResult.not_assessable(
            "m/s", "gait speed needs the scale (give the subject's height)", view_required=SIDE_VIEWS
        )
    speeds = []
    travelling = [b for b in bouts if not b.stationary]
    if not travelling:
        return MetricResult.not_assessable(
            "m/s",
            "the body did not travel (treadmill or a camera following the walker): "
            "gait speed needs walking over the ground past a fixed camera",
            view_required=SIDE_VIEWS,
        )
    for b in travelling:
        x = mid_hip[b.start : b.stop, 0]
        ok = np.isfinite(x)
        if ok.sum() >= 2:
            i0, i1 = np.flatnonzero(ok)[[0, -1]]
            speeds.append(abs(x[i1] - x[i0]) / px_per_m / (ts[b.start + i1] - ts[b.start + i0]))
    return MetricResult.from_series(
        np.array(speeds), "m/s", view_required=SIDE_VIEWS, min_frames=1, what="bouts"
    )


__all__ = [
    "GaitEvent",
    "GaitReport",
    "Step",
    "WalkingBout",
    "analyze_gait",
    "symmetry_index_pct",
    "METRIC_KEYS",
]
