"""The metric catalogue: the one place pages, reports and rules take a metric's name and unit from.

One :class:`MetricInfo` row per key of :mod:`posture_cam.metric_keys` (posture and gait): the human
name, the unit as printed, the number of decimals, the views it needs (in words), the sign
convention (docs/metrics.md, docs/gait.md) and its normal band. The normal band is not written here:
it is read from the packaged rules file (``rules/rules.toml``, thresholds as data), together with the
rule's reason for the threshold and its source documents, so a page can never show a band that the
rules do not use.

Lookups are tolerant: a key without a row (the gait module adds keys over time) gets a readable
name and unit derived from the key itself (:func:`info`), never the raw key.

Also here: the camera views, walking directions and recording activities in words.
Importing this module pulls in nothing heavy (tomllib only, read lazily).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .metric_keys import GAIT_METRICS, POSTURE_METRIC_KEYS

# ----------------------------------------------------------------------------- words
VIEW_WORDS: dict[str, str] = {
    "front": "front view (facing the camera)",
    "back": "back view (back to the camera)",
    "left_side": "side view (left side towards camera)",
    "right_side": "side view (right side towards camera)",
    "oblique": "oblique view (turned part-way)",
    "unknown": "view not determined",
}
VIEW_SHORT: dict[str, str] = {
    "front": "front",
    "back": "back",
    "left_side": "left side",
    "right_side": "right side",
    "oblique": "oblique",
    "unknown": "unknown view",
}
ACTIVITY_WORDS: dict[str, str] = {
    "standing": "standing",
    "walking": "walking",
    "turn": "turning",
    "forward_bend": "forward bend",
    "other": "other movement",
}
DIRECTION_WORDS: dict[str, str] = {
    "image_right": "to the right of the image",
    "image_left": "to the left of the image",
    "towards_camera": "towards the camera",
    "away_from_camera": "away from the camera",
}
#: Printed form of the units used in result.json.
UNIT_DISPLAY: dict[str, str] = {
    "deg": "°",
    "pct": "%",
    "%": "%",
    "% height": "% of height",
    "pct_height": "% of height",
    "cm": "cm",
    "s": "s",
    "steps/min": "steps/min",
    "m/s": "m/s",
    "px": "px",
    "Hz": "Hz",
    "m": "m",
}

_FRONTAL = "standing facing the camera or with the back to it"
_SIDE = "standing side-on to the camera"
_WALK_ANY = "walking, seen from the side, the front or the back"
_WALK_SIDE = "walking across the camera (side view)"
_WALK_FRONTAL = "walking towards or away from the camera (front or back view)"


def view_words(view: str | None) -> str:
    """``"left_side"`` -> ``"side view (left side towards camera)"``; unknown labels readable."""
    if not view:
        return VIEW_WORDS["unknown"]
    return VIEW_WORDS.get(str(view), str(view).replace("_", " "))


def view_short(view: str | None) -> str:
    if not view:
        return VIEW_SHORT["unknown"]
    return VIEW_SHORT.get(str(view), str(view).replace("_", " "))


def views_words(views: Any) -> str:
    """A list of view labels in words, e.g. ``["front", "back"]`` -> ``"front or back"``."""
    labels = [view_short(v) for v in (views or [])]
    if not labels:
        return "-"
    if set(views) >= {"front", "back", "left_side", "right_side"}:
        return "any view"
    if set(views) == {"left_side", "right_side"}:
        return "side"
    return " or ".join(labels)


def activity_words(activity: str | None) -> str:
    if not activity:
        return ACTIVITY_WORDS["other"]
    return ACTIVITY_WORDS.get(str(activity), str(activity).replace("_", " "))


def direction_words(direction: str | None) -> str:
    if not direction:
        return "-"
    return DIRECTION_WORDS.get(str(direction), str(direction).replace("_", " "))


def unit_display(unit: str | None) -> str:
    if not unit:
        return ""
    return UNIT_DISPLAY.get(str(unit), str(unit))


# ----------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class NormalBand:
    """The values the rules treat as normal (``low`` / ``high`` None = open), and where from."""

    low: float | None
    high: float | None
    reason: str  # the rule's threshold_reason
    documents: tuple[str, ...]  # source document titles (rules.toml [documents])
    rules: tuple[str, ...]  # rule ids the band comes from

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def words(self, unit: str = "", precision: int = 1) -> str:
        u = unit_display(unit)
        sep = "" if u == "°" or u.startswith("%") else " "

        def f(x: float) -> str:
            return f"{x:.{precision}f}{sep}{u}".strip()

        if self.low is not None and self.high is not None:
            if self.low == -self.high:
                return f"within ±{f(self.high)}"
            return f"{f(self.low)} to {f(self.high)}"
        if self.high is not None:
            return f"below {f(self.high)}"
        if self.low is not None:
            return f"above {f(self.low)}"
        return "-"


@dataclass(frozen=True)
class MetricInfo:
    key: str
    name: str
    unit: str  # as in result.json ("deg", "%", "s", ...)
    precision: int  # decimals shown
    group: str  # "posture" | "gait"
    views: str  # what the recording must show, in words
    sign: str  # sign convention in words
    description: str = ""
    band_rules: tuple[str, ...] = ()  # limit the normal band to these rule ids (empty = all rules)
    known: bool = True  # False for a fallback row made from an unknown key
    chart: bool = True  # worth a per-frame chart (False: raw proxies)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unit_text(self) -> str:
        return unit_display(self.unit)

    @property
    def label(self) -> str:
        """Name with the unit, for chart axes and table headers: ``"Pelvic obliquity [°]"``."""
        return f"{self.name} [{self.unit_text}]" if self.unit_text else self.name

    def fmt(self, value: Any, *, with_unit: bool = True, signed: bool = False) -> str:
        """The value at this metric's precision (``-`` for a missing / non-finite value)."""
        return format_value(value, self.precision, self.unit if with_unit else "", signed=signed)

    @property
    def normal(self) -> NormalBand | None:
        return normal_band(self.key)


def format_value(value: Any, precision: int = 1, unit: str = "", *, signed: bool = False) -> str:
    """A number for a page or report: fixed decimals, the unit attached, ``-`` when missing."""
    if value is None or isinstance(value, bool):
        return "-"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if x != x or x in (float("inf"), float("-inf")):
        return "-"
    text = f"{x:+.{precision}f}" if signed else f"{x:.{precision}f}"
    if text.lstrip("+-").strip("0.") == "":  # -0.0 -> 0.0
        text = f"{0.0:.{precision}f}"
    u = unit_display(unit)
    if not u:
        return text
    return f"{text}{u}" if u == "°" or u.startswith("%") else f"{text} {u}"


def _p(key: str, name: str, unit: str, precision: int, views: str, sign: str, **kw: Any) -> MetricInfo:
    return MetricInfo(key, name, unit, precision, "posture", views, sign, **kw)


def _g(
    key: str,
    name: str,
    precision: int,
    sign: str,
    *,
    unit: str = "",
    views: tuple[str, ...] = ("left_side", "right_side", "front", "back"),
    **kw: Any,
) -> MetricInfo:
    """A gait row; unit and views come from metric_keys.GAIT_METRICS when the key is there."""
    unit, views = _GAIT_UNITS_VIEWS.get(key, (unit, views))
    words = {
        tuple(sorted(("left_side", "right_side", "front", "back"))): _WALK_ANY,
        ("left_side", "right_side"): _WALK_SIDE,
        ("back", "front"): _WALK_FRONTAL,
    }.get(tuple(sorted(views)), "walking")
    return MetricInfo(key, name, unit, precision, "gait", words, sign, **kw)


_GAIT_UNITS_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {k: (u, v) for k, u, v in GAIT_METRICS}
_SI = "0 = symmetric; positive = the right side larger (Robinson et al. 1987)"

_ROWS: tuple[MetricInfo, ...] = (
    # posture, frontal (docs/metrics.md "Frontal signs")
    _p("pelvic_obliquity_deg", "Pelvic obliquity", "deg", 1, _FRONTAL,
       "0 = level hips; positive = the subject's right hip lower",
       description="tilt of the line through both hip landmarks"),
    _p("shoulder_obliquity_deg", "Shoulder obliquity", "deg", 1, _FRONTAL,
       "0 = level shoulders; positive = the subject's right shoulder lower"),
    _p("shoulder_hip_tilt_difference_deg", "Shoulder-hip tilt difference", "deg", 1, _FRONTAL,
       "shoulder line tilt minus hip line tilt; positive = shoulders tilt more to the subject's right"),
    _p("head_tilt_deg", "Head tilt", "deg", 1, _FRONTAL,
       "0 = level ears; positive = the subject's right ear lower"),
    _p("trunk_lateral_lean_deg", "Trunk side lean", "deg", 1, _FRONTAL,
       "0 = upright; positive = leaning to the subject's right"),
    # posture, sagittal (docs/metrics.md "Sagittal signs")
    _p("craniovertebral_angle_deg", "Craniovertebral angle (estimated C7)", "deg", 0, _SIDE,
       "90 = ear straight above C7; smaller = head carried further forward"),
    _p("ear_shoulder_angle_deg", "Ear-shoulder angle (raw, not a norm)", "deg", 0, _SIDE,
       "90 = ear straight above the shoulder landmark; never compared with norms", chart=False),
    _p("head_forward_offset_pct_height", "Head forward of shoulder", "% height", 1, _SIDE,
       "positive = ear ahead of the shoulder, as a share of body height"),
    _p("head_forward_offset_cm", "Head forward of shoulder", "cm", 1, _SIDE,
       "positive = ear ahead of the shoulder (needs the subject's height)"),
    _p("trunk_flexion_deg", "Trunk forward lean", "deg", 1, _SIDE,
       "0 = upright; positive = leaning forward"),
    _p("knee_flexion_left_deg", "Knee bend, left", "deg", 0, _SIDE,
       "0 = straight; positive = bent, negative = over-straightened"),
    _p("knee_flexion_right_deg", "Knee bend, right", "deg", 0, _SIDE,
       "0 = straight; positive = bent, negative = over-straightened"),
    _p("sagittal_pelvic_tilt_proxy_deg", "Trunk-thigh angle (pelvic tilt proxy)", "deg", 1, _SIDE,
       "0 = trunk in line with the thigh; positive = hips flexed, negative = hips pushed forward"),
    _p("hip_flexion_forward_bend_deg", "Hip flexion in forward bend", "deg", 0,
       "bending forward, side-on to the camera",
       "trunk-thigh angle at the deepest point of the bend; larger = more hip flexion"),
    # gait (docs/gait.md)
    _g("cadence_steps_per_min", "Cadence", 0, "steps per minute"),
    _g("stride_time_s", "Stride time", 2, "heel strike to the next heel strike of the same foot"),
    _g("step_time_left_s", "Step time, left", 2, "right heel strike to left heel strike"),
    _g("step_time_right_s", "Step time, right", 2, "left heel strike to right heel strike"),
    _g("step_time_si_pct", "Step time asymmetry", 1, _SI),
    _g("stance_time_left_s", "Stance time, left", 2, "left heel strike to left toe off"),
    _g("stance_time_right_s", "Stance time, right", 2, "right heel strike to right toe off"),
    _g("stance_time_si_pct", "Stance time asymmetry", 1, _SI),
    _g("swing_time_left_s", "Swing time, left", 2, "left toe off to left heel strike"),
    _g("swing_time_right_s", "Swing time, right", 2, "right toe off to right heel strike"),
    _g("swing_time_si_pct", "Swing time asymmetry", 1, _SI),
    _g("double_support_pct", "Double support", 1, "share of the gait cycle with both feet on the ground"),
    _g("step_length_left_pct_height", "Step length, left", 1,
       "ankle to ankle at left heel strike, % of height"),
    _g("step_length_right_pct_height", "Step length, right", 1,
       "ankle to ankle at right heel strike, % of height"),
    _g("step_length_si_pct", "Step length asymmetry", 1, _SI),
    _g("limp_index", "Limp index", 1,
       "mean size of the stance, step time and step length asymmetries; 0 = symmetric (project definition)"),
    _g("gait_speed_m_per_s", "Walking speed", 2, "over ground, needs the subject's height"),
    _g("pelvic_drop_left_stance_deg", "Pelvic drop, standing on the left leg", 1,
       "positive = the right (swinging) side of the pelvis drops", band_rules=("trendelenburg_gait",)),
    _g("pelvic_drop_right_stance_deg", "Pelvic drop, standing on the right leg", 1,
       "positive = the left (swinging) side of the pelvis drops", band_rules=("trendelenburg_gait",)),
    _g("trunk_lean_left_stance_deg", "Trunk lean over the left leg", 1,
       "positive = trunk leans towards the standing (left) leg"),
    _g("trunk_lean_right_stance_deg", "Trunk lean over the right leg", 1,
       "positive = trunk leans towards the standing (right) leg"),
    _g("trunk_lateral_sway_deg", "Trunk side sway while walking", 1,
       "range of side lean over the gait cycle"),
    # clinical measures of slow and pathological gait (posture_cam.gait.measures, docs/gait.md)
    _g("step_time_cv_pct", "Step time variability", 1,
       "coefficient of variation of the step times; larger = less regular", unit="%"),
    _g("step_length_pct_height", "Step length", 1, "ankle to ankle at heel strike, both sides, % of height",
       unit="% height", views=("left_side", "right_side")),
    _g("step_length_m", "Step length", 2, "ankle to ankle at heel strike (needs the subject's height)",
       unit="m", views=("left_side", "right_side")),
    _g("base_width_pct_height", "Step width", 1, "side-to-side distance between the feet, % of height",
       unit="% height", views=("front", "back")),
    _g("trunk_flexion_walking_deg", "Trunk forward lean while walking", 1,
       "0 = upright; positive = leaning forward", unit="deg", views=("left_side", "right_side")),
    _g("arm_swing_left_deg", "Arm swing, left", 0, "forward-backward range of the left arm over a stride",
       unit="deg", views=("left_side", "right_side")),
    _g("arm_swing_right_deg", "Arm swing, right", 0, "forward-backward range of the right arm over a stride",
       unit="deg", views=("left_side", "right_side")),
    _g("arm_swing_si_pct", "Arm swing asymmetry", 1, _SI, unit="%", views=("left_side", "right_side")),
    _g("foot_clearance_pct_height", "Foot clearance", 1,
       "highest point of the swinging foot above the floor, % of height",
       unit="% height", views=("left_side", "right_side")),
)  # fmt: skip

CATALOGUE: dict[str, MetricInfo] = {m.key: m for m in _ROWS}

#: Per-frame series in metrics_timeseries.csv that are internal (not metrics): never charted.
INTERNAL_SERIES_PATTERNS: tuple[str, ...] = (
    r"_px$",
    r"quiet",
    r"^frame_index$",
    r"^timestamp_s$",
    r"_flag$",
    r"^view",
    r"^activity",
    r"^detected$",
    r"swapped",
)

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_steps_per_min", "steps/min"),
    ("_m_per_s", "m/s"),
    ("_pct_height", "% height"),
    ("_deg", "deg"),
    ("_pct", "%"),
    ("_cm", "cm"),
    ("_px", "px"),
    ("_hz", "Hz"),
    ("_s", "s"),
)
_WORDS = {"si": "asymmetry", "pct": "%", "deg": "", "lr": "left-right", "cva": "craniovertebral angle"}


def fallback_info(key: str) -> MetricInfo:
    """A readable row for a key the catalogue does not know: name and unit from the key itself.

    ``"foot_clearance_left_cm"`` -> "Foot clearance, left" [cm]; ``"swing_time_si_pct"`` -> "Swing time
    asymmetry" [%].
    """
    base = key
    unit = ""
    for suffix, u in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base, unit = base[: -len(suffix)], u
            break
    side = ""
    words = []
    for w in base.split("_"):
        if w in ("left", "right") and not side:
            side = w
            continue
        words.append(_WORDS.get(w, w))
    name = " ".join(x for x in words if x).strip() or key
    name = name[0].upper() + name[1:]
    if side:
        name += f", {side}"
    gait = key in _GAIT_UNITS_VIEWS
    return MetricInfo(
        key,
        name,
        unit,
        0 if unit in ("steps/min",) else (2 if unit == "s" else 1),
        "gait" if gait else "posture",
        "-",
        "-",
        known=False,
    )


def info(key: str) -> MetricInfo:
    """The catalogue row of a metric key; accepts ``metrics.x`` / ``gait.metrics.x`` paths too."""
    bare = str(key).rsplit(".", 1)[-1]
    return CATALOGUE.get(bare) or fallback_info(bare)


def name(key: str) -> str:
    return info(key).name


def label(key: str) -> str:
    return info(key).label


def is_internal_series(column: str) -> bool:
    """True for per-frame columns that are bookkeeping, not a metric (trunk chord px, quiet flags...)."""
    if column in CATALOGUE:
        return not CATALOGUE[column].chart
    return any(re.search(p, column) for p in INTERNAL_SERIES_PATTERNS)


def all_keys() -> tuple[str, ...]:
    return tuple(POSTURE_METRIC_KEYS) + tuple(k for k, _, _ in GAIT_METRICS)


# ----------------------------------------------------------------------------- normal bands
def _rules_path() -> Path:
    return Path(__file__).resolve().parent / "rules" / "rules.toml"


def bands_from_rules(rules: Mapping[str, Any]) -> dict[str, NormalBand]:
    """metric key -> normal band implied by the rules' ``borderline_at`` thresholds.

    ``direction = "above"`` limits the band from above, ``"below"`` from below, ``"abs_above"`` both
    ways. When several rules use a metric the narrowest band wins (outside it at least one rule reports
    borderline), restricted to the row's ``band_rules`` when the catalogue names them (a condition that
    gates a rule, such as "the pelvis does NOT drop" in a compensated Trendelenburg pattern, is not a
    normal limit). Contradictory limits give no band rather than a wrong one.
    """
    docs = {str(v) for v in (rules.get("documents") or {}).values()}
    acc: dict[str, dict[str, Any]] = {}
    for rule in rules.get("rule") or []:
        rid = str(rule.get("id", ""))
        for cond in rule.get("condition") or []:
            key = str(cond.get("metric", "")).rsplit(".", 1)[-1]
            b = cond.get("borderline_at")
            if not key or isinstance(b, bool) or not isinstance(b, (int, float)):
                continue
            if cond.get("relative_to") or cond.get("field"):
                continue  # read against another metric or another field: not a limit of the value itself
            row = CATALOGUE.get(key)
            if row is not None and row.band_rules and rid not in row.band_rules:
                continue
            lo, hi = {
                "above": (None, float(b)),
                "below": (float(b), None),
                "abs_above": (-abs(float(b)), abs(float(b))),
            }.get(str(cond.get("direction")), (None, None))
            if lo is None and hi is None:
                continue
            a = acc.setdefault(key, {"lo": None, "hi": None, "reasons": [], "docs": [], "rules": []})
            if lo is not None:
                a["lo"] = lo if a["lo"] is None else max(lo, a["lo"])
            if hi is not None:
                a["hi"] = hi if a["hi"] is None else min(hi, a["hi"])
            reason = " ".join(str(cond.get("threshold_reason") or "").split())
            if reason and reason not in a["reasons"]:
                a["reasons"].append(reason)
            for d in rule.get("sources") or []:
                if str(d) not in a["docs"] and (not docs or str(d) in docs):
                    a["docs"].append(str(d))
            if rid not in a["rules"]:
                a["rules"].append(rid)
    out = {}
    for key, a in acc.items():
        if a["lo"] is not None and a["hi"] is not None and a["lo"] >= a["hi"]:
            continue
        out[key] = NormalBand(a["lo"], a["hi"], " ".join(a["reasons"]), tuple(a["docs"]), tuple(a["rules"]))
    return out


@lru_cache(maxsize=1)
def _packaged_bands() -> dict[str, NormalBand]:
    import tomllib

    path = _rules_path()
    if not path.is_file():
        return {}
    return bands_from_rules(tomllib.loads(path.read_text(encoding="utf-8")))


def normal_band(key: str) -> NormalBand | None:
    """The normal band of a metric from the packaged rules, or None when no rule compares it."""
    return _packaged_bands().get(str(key).rsplit(".", 1)[-1])
