"""Screening rules: load the rules file, evaluate it against a ``result.json`` dict, explain findings.

The rules live in ``posture_cam/rules/rules.toml`` (data a clinician can tune). :func:`evaluate` is pure:
the same result (and optional per-frame series) always gives the same findings, nothing is read or
written.

Statuses of a finding: ``flagged``, ``borderline``, ``not_flagged``, ``not_assessable``.

Bands of one condition (``direction`` ``"above"``; ``"below"`` mirrors it, ``"abs_above"`` uses
``|value|``, ``"abs_below"`` uses ``|value|`` with small values in the band, e.g. "the head is level")::

    normal  < borderline_at <= borderline < flagged_at <= flagged

A band of ``flagged``/``borderline`` means the condition's chain link is *present*; a link is never
counted from a value on the wrong side (a tilted head is not a "level head" link).

``relative_to`` (optional, a metric path): the value is read with the sign of that metric's value, so
``+`` means "tilted the same way as the reference" (e.g. shoulders relative to the pelvis). ``field``
(optional): read a numeric extra of the metric entry (e.g. ``knee_line_tilt_deg`` of the pelvis).

Duration and hysteresis: a metric value is the median over valid frames, so a short excursion cannot
move it. With a per-frame series, the share of valid frames inside *sustained* flagged episodes
(enter at ``flagged_at``, leave only when back past ``borderline_at``, last at least ``min_episode_s``)
must reach ``min_flagged_share``; otherwise a flagged median is downgraded to borderline. Without a
series that share is estimated from the median and the interquartile range (normal approximation).

Confidence of a condition (0-1) = detection-rate factor x data-amount factor x margin factor, where
the margin factor is the probability, under the metric's known error (rules file) combined with the
standard error of the median, that the true value lies on the same side of the nearest threshold.
A finding's confidence is the mean over its counted conditions, times the factors of the
``[uncertainty]`` checks the rule lists in ``uncertain_when`` (camera roll not estimated or from the
feet only, body yaw near the frontal tolerance, staggered feet); each check that lowers it is added to
the evidence (``role = "uncertainty"``, ``band = "uncertain"``) with its reason.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypedDict

import numpy as np

from ..errors import ConfigError
from ..measurement import VIEWS
from ..metric_keys import KNOWN_METRIC_PATHS

Status = Literal["flagged", "borderline", "not_flagged", "not_assessable"]
Band = Literal["normal", "borderline", "flagged", "not_assessable", "uncertain"]

DIRECTIONS = ("above", "below", "abs_above", "abs_below")
UNCERTAINTY_CHECKS = ("roll", "yaw", "stance")
COMBINE_MODES = ("all", "any", "at_least")
ROLES = ("required", "supporting", "optional", "context")

DEFAULT_RULES_PATH = "rules.toml"
#: Extra metric fields copied into a finding's evidence (side information from posture and gait).
_PASSED_EXTRAS = ("low_side", "side", "shorter_stance_side", "compensated_trendelenburg")
#: Evidence extras read back by ``Finding.from_json`` (explain of a stored result).
_JSON_EXTRAS = (*_PASSED_EXTRAS, "raw_value", "relative_to", "field", "confidence_factor")
_BAND_LEVEL = {"normal": 0, "borderline": 1, "flagged": 2}
_VIEW_WORDS = {
    "front": "front",
    "back": "back",
    "left_side": "side",
    "right_side": "side",
    "oblique": "oblique",
    "unknown": "unclear",
}


# ----------------------------------------------------------------------------------------- types
@dataclass(frozen=True)
class MetricSpec:
    """A metric the rules may use: its unit and the known error (1 SD, same unit) with its source."""

    path: str
    unit: str
    known_error: float
    error_source: str


@dataclass(frozen=True)
class Condition:
    """One threshold test on one metric; see the module docstring for the bands."""

    metric: str
    link: str
    meaning: str
    direction: str
    borderline_at: float
    flagged_at: float
    threshold_reason: str
    role: str = "supporting"
    min_flagged_share: float | None = None  # None = the rule's value
    relative_to: str | None = None  # metric path whose sign orients the value (+ = same way)
    field: str | None = None  # a numeric extra of the metric entry instead of its value

    @property
    def is_gait(self) -> bool:
        return self.metric.startswith("gait.")

    @property
    def key(self) -> str:
        return self.metric.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    summary: str
    consistent_with: str
    chain: tuple[str, ...]
    sources: tuple[str, ...]
    next_steps: tuple[str, ...]
    disclaimer: str
    assessable: bool = True
    not_assessable_reason: str | None = None
    views: tuple[str, ...] = ()
    combine: str = "all"
    k: int = 1
    min_frames: int = 30
    min_steps: int = 4
    min_duration_s: float = 1.0
    min_flagged_share: float = 0.5
    min_episode_s: float = 0.5
    conditions: tuple[Condition, ...] = ()
    exclude_if_measured: tuple[str, ...] = ()
    exclude_reason: str | None = None
    uncertain_when: tuple[str, ...] = ()  # names of [uncertainty] checks that lower the confidence

    @property
    def counted(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if c.role != "context")

    @property
    def k_needed(self) -> int:
        n = len(self.counted)
        return {"all": n, "any": 1}.get(self.combine, self.k)


@dataclass(frozen=True)
class UncertaintyCheck:
    """One ``[uncertainty.<name>]`` table: confidence factors (0-1], thresholds and the reason text."""

    name: str
    why: str
    factors: Mapping[str, float]  # e.g. {"none_factor": 0.6, "feet_factor": 0.85}
    limits: Mapping[str, float]  # e.g. {"near_fraction": 0.6}


_UNCERTAINTY_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # check: (factor keys, limit keys)
    "roll": (("none_factor", "feet_factor", "scene_low_factor"), ("scene_min_confidence",)),
    "yaw": (("factor",), ("near_fraction",)),
    "stance": (("factor",), ("max_feet_depth_diff_m",)),
}


@dataclass(frozen=True)
class RuleSet:
    version: str
    disclaimer: str
    documents: tuple[str, ...]
    metrics: Mapping[str, MetricSpec]
    rules: tuple[Rule, ...]
    path: str = ""
    uncertainty: Mapping[str, UncertaintyCheck] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


@dataclass(frozen=True)
class Evidence:
    """How one condition came out: the measured value against its thresholds."""

    metric: str
    link: str
    meaning: str
    role: str
    value: float | None
    unit: str
    iqr: float | None
    n: int
    direction: str
    borderline_at: float
    flagged_at: float
    band: Band
    threshold_reason: str
    confidence: float
    flagged_share: float | None = None
    share_source: str | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "metric": self.metric,
            "link": self.link,
            "meaning": self.meaning,
            "role": self.role,
            "value": None if self.value is None else round(float(self.value), 3),
            "unit": self.unit,
            "iqr": None if self.iqr is None else round(float(self.iqr), 3),
            "n": self.n,
            "direction": self.direction,
            "threshold": None
            if self.role == "uncertainty"
            else {"borderline_at": self.borderline_at, "flagged_at": self.flagged_at},
            "band": self.band,
            "threshold_reason": self.threshold_reason,
            "confidence": round(self.confidence, 3),
            "flagged_share": None if self.flagged_share is None else round(self.flagged_share, 3),
            "share_source": self.share_source,
            "reason": self.reason,
        }
        out.update({k: v for k, v in self.extra.items() if k not in out})
        return out


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule for one recording (``result.json`` ``findings[]``)."""

    id: str
    title: str
    status: Status
    confidence: float
    evidence: tuple[Evidence, ...]
    chain: tuple[str, ...]
    links_present: tuple[str, ...]
    chain_consistent: bool
    sources: tuple[str, ...]
    summary: str
    wording: str
    next_steps: tuple[str, ...]
    disclaimer: str
    reason: str | None = None
    rules_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "evidence": [e.to_json() for e in self.evidence],
            "chain": list(self.chain),
            "links_present": list(self.links_present),
            "chain_consistent": self.chain_consistent,
            "sources": list(self.sources),
            "summary": self.summary,
            "wording": self.wording,
            "next_steps": list(self.next_steps),
            "disclaimer": self.disclaimer,
            "reason": self.reason,
            "rules_version": self.rules_version,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Finding:
        ev = tuple(
            Evidence(
                e.get("metric", ""),
                e.get("link", ""),
                e.get("meaning", ""),
                e.get("role", ""),
                e.get("value"),
                e.get("unit", ""),
                e.get("iqr"),
                int(e.get("n") or 0),
                e.get("direction", ""),
                (e.get("threshold") or {}).get("borderline_at", math.nan),
                (e.get("threshold") or {}).get("flagged_at", math.nan),
                e.get("band", "not_assessable"),
                e.get("threshold_reason", ""),
                float(e.get("confidence") or 0.0),
                e.get("flagged_share"),
                e.get("share_source"),
                e.get("reason"),
                {k: e[k] for k in _JSON_EXTRAS if k in e},
            )
            for e in d.get("evidence") or ()
        )
        return cls(
            d["id"],
            d.get("title", d["id"]),
            d.get("status", "not_assessable"),
            float(d.get("confidence") or 0.0),
            ev,
            tuple(d.get("chain") or ()),
            tuple(d.get("links_present") or ()),
            bool(d.get("chain_consistent")),
            tuple(d.get("sources") or ()),
            d.get("summary", ""),
            d.get("wording", ""),
            tuple(d.get("next_steps") or ()),
            d.get("disclaimer", ""),
            d.get("reason"),
            d.get("rules_version", ""),
        )


class _EvidenceBase(TypedDict):
    """The :class:`Evidence` fields copied from its :class:`Condition` (typed so ``**base`` checks)."""

    metric: str
    link: str
    meaning: str
    role: str
    direction: str
    borderline_at: float
    flagged_at: float
    threshold_reason: str


class _FindingBase(TypedDict):
    """The :class:`Finding` fields copied from its :class:`Rule` (typed so ``**common`` checks)."""

    id: str
    title: str
    chain: tuple[str, ...]
    sources: tuple[str, ...]
    summary: str
    next_steps: tuple[str, ...]
    disclaimer: str
    rules_version: str


# ----------------------------------------------------------------------------------------- loading
def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate a rules TOML file (``None`` = the packaged ``rules.toml``).

    Raises :class:`ConfigError` naming the file, the rule id and the field for any mistake.
    """
    if path is None:
        text = resources.files("posture_cam.rules").joinpath(DEFAULT_RULES_PATH).read_text(encoding="utf-8")
        where = "rules.toml (packaged)"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"rules file not found: {p}") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
            raise ConfigError(f"rules file cannot be read: {p} ({type(exc).__name__})") from None
        where = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    return rules_from_dict(data, source=where)


def _req(d: Mapping[str, Any], key: str, typ: type | tuple[type, ...], ctx: str) -> Any:
    if key not in d:
        raise ConfigError(f"{ctx}: missing field '{key}'")
    v = d[key]
    if typ is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, typ) or isinstance(v, bool) and typ is not bool:
        want = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise ConfigError(f"{ctx}: field '{key}' must be {want}, got {type(v).__name__} ({v!r})")
    if isinstance(v, str) and not v.strip():
        raise ConfigError(f"{ctx}: field '{key}' must not be empty")
    return v


def _opt(d: Mapping[str, Any], key: str, typ: type, default: Any, ctx: str) -> Any:
    return _req(d, key, typ, ctx) if key in d else default


def _str_list(d: Mapping[str, Any], key: str, ctx: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    v = _req(d, key, list, ctx)
    if not v and not allow_empty:
        raise ConfigError(f"{ctx}: field '{key}' must not be empty")
    for item in v:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{ctx}: field '{key}' must be a list of non-empty strings, got {item!r}")
    return tuple(v)


_RULE_FIELDS = {
    "id",
    "title",
    "summary",
    "consistent_with",
    "chain",
    "sources",
    "next_steps",
    "disclaimer",
    "assessable",
    "not_assessable_reason",
    "views",
    "combine",
    "k",
    "min_frames",
    "min_steps",
    "min_duration_s",
    "min_flagged_share",
    "min_episode_s",
    "condition",
    "exclude_if_measured",
    "exclude_reason",
    "uncertain_when",
}
_COND_FIELDS = {
    "metric",
    "link",
    "meaning",
    "direction",
    "borderline_at",
    "flagged_at",
    "threshold_reason",
    "role",
    "min_flagged_share",
    "relative_to",
    "field",
}


def rules_from_dict(data: Mapping[str, Any], *, source: str = "rules") -> RuleSet:
    """Validate the parsed rules file; see :func:`load_rules`."""
    version = _req(data, "rules_version", str, source)
    defaults = _opt(data, "defaults", dict, {}, source)
    dctx = f"{source}: [defaults]"
    disclaimer = _req(defaults, "disclaimer", str, dctx)
    d_min_frames = _opt(defaults, "min_frames", int, 30, dctx)
    d_min_steps = _opt(defaults, "min_steps", int, 4, dctx)
    d_min_dur = _opt(defaults, "min_duration_s", float, 1.0, dctx)
    d_share = _opt(defaults, "min_flagged_share", float, 0.5, dctx)
    d_episode = _opt(defaults, "min_episode_s", float, 0.5, dctx)
    docs = _req(data, "documents", dict, source)
    titles = tuple(str(t) for t in docs.values())
    if not titles:
        raise ConfigError(f"{source}: [documents] must list the source documents")

    metrics: dict[str, MetricSpec] = {}
    for mpath, spec in _req(data, "metrics", dict, source).items():
        mctx = f"{source}: metric '{mpath}'"
        if mpath not in KNOWN_METRIC_PATHS:
            raise ConfigError(f"{mctx}: unknown metric key (known: {', '.join(KNOWN_METRIC_PATHS)})")
        if not isinstance(spec, dict):
            raise ConfigError(f"{mctx}: must be a table")
        err = _req(spec, "known_error", float, mctx)
        if not err > 0:
            raise ConfigError(f"{mctx}: field 'known_error' must be > 0, got {err}")
        unit = spec.get("unit", "")
        if not isinstance(unit, str):
            raise ConfigError(f"{mctx}: field 'unit' must be str")
        metrics[mpath] = MetricSpec(mpath, unit, err, _req(spec, "error_source", str, mctx))

    uncertainty = _uncertainty_checks(_opt(data, "uncertainty", dict, {}, source), source)

    raw_rules = _req(data, "rule", list, source)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(raw_rules):
        if not isinstance(r, dict):
            raise ConfigError(f"{source}: rule #{i + 1} must be a table")
        rid = r.get("id")
        ctx = f"{source}: rule '{rid}'" if isinstance(rid, str) and rid else f"{source}: rule #{i + 1}"
        rid = _req(r, "id", str, ctx)
        if rid in seen:
            raise ConfigError(f"{ctx}: field 'id' is duplicated")
        seen.add(rid)
        unknown = set(r) - _RULE_FIELDS
        if unknown:
            raise ConfigError(f"{ctx}: unknown field(s) {sorted(unknown)}")
        sources = _str_list(r, "sources", ctx) if "sources" in r else ()
        if not sources:
            raise ConfigError(f"{ctx}: missing field 'sources' (at least one document title)")
        for s in sources:
            if s not in titles:
                raise ConfigError(
                    f"{ctx}: field 'sources' names an unknown document {s!r} (known: {'; '.join(titles)})"
                )
        chain = _str_list(r, "chain", ctx)
        assessable = _opt(r, "assessable", bool, True, ctx)
        common = dict(
            id=rid,
            title=_req(r, "title", str, ctx),
            summary=_req(r, "summary", str, ctx),
            consistent_with=_req(r, "consistent_with", str, ctx),
            chain=chain,
            sources=sources,
            next_steps=_str_list(r, "next_steps", ctx),
            disclaimer=_opt(r, "disclaimer", str, disclaimer, ctx),
        )
        if not assessable:
            if "condition" in r:
                raise ConfigError(f"{ctx}: field 'condition' is not allowed when assessable = false")
            rules.append(
                Rule(
                    **common,
                    assessable=False,
                    not_assessable_reason=_req(r, "not_assessable_reason", str, ctx),
                )
            )
            continue
        views = _str_list(r, "views", ctx)
        for v in views:
            if v not in VIEWS:
                raise ConfigError(f"{ctx}: field 'views' has unknown view {v!r} (known: {', '.join(VIEWS)})")
        combine = _req(r, "combine", str, ctx)
        if combine not in COMBINE_MODES:
            raise ConfigError(
                f"{ctx}: field 'combine' has unknown mode {combine!r} (known: {', '.join(COMBINE_MODES)})"
            )
        share = _opt(r, "min_flagged_share", float, d_share, ctx)
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"{ctx}: field 'min_flagged_share' must be within 0-1, got {share}")
        conds = tuple(
            _condition(c, j, ctx, chain, metrics) for j, c in enumerate(_req(r, "condition", list, ctx))
        )
        if not conds:
            raise ConfigError(f"{ctx}: field 'condition' must list at least one condition")
        counted = [c for c in conds if c.role != "context"]
        if not counted:
            raise ConfigError(f"{ctx}: field 'condition' needs at least one condition that is not 'context'")
        k = 1
        if combine == "at_least":
            k = _req(r, "k", int, ctx)
            if not 1 <= k <= len(counted):
                raise ConfigError(
                    f"{ctx}: field 'k' must be between 1 and {len(counted)} "
                    f"(the number of counted conditions), got {k}"
                )
        elif "k" in r:
            raise ConfigError(f"{ctx}: field 'k' is only used with combine = \"at_least\"")
        min_frames = _opt(r, "min_frames", int, d_min_frames, ctx)
        min_steps = _opt(r, "min_steps", int, d_min_steps, ctx)
        if min_frames < 1 or min_steps < 1:
            raise ConfigError(f"{ctx}: fields 'min_frames' and 'min_steps' must be >= 1")
        excl = _str_list(r, "exclude_if_measured", ctx) if "exclude_if_measured" in r else ()
        for e in excl:
            if e not in KNOWN_METRIC_PATHS:
                raise ConfigError(f"{ctx}: field 'exclude_if_measured' has unknown metric key {e!r}")
        excl_reason = (
            _req(r, "exclude_reason", str, ctx) if excl else _opt(r, "exclude_reason", str, None, ctx)
        )
        unc = _str_list(r, "uncertain_when", ctx) if "uncertain_when" in r else ()
        for u in unc:
            if u not in uncertainty:
                raise ConfigError(
                    f"{ctx}: field 'uncertain_when' names {u!r}, which has no [uncertainty.{u}] table "
                    f"(known checks: {', '.join(UNCERTAINTY_CHECKS)})"
                )
        rules.append(
            Rule(
                **common,
                views=views,
                combine=combine,
                k=k,
                min_frames=min_frames,
                min_steps=min_steps,
                min_duration_s=_opt(r, "min_duration_s", float, d_min_dur, ctx),
                min_flagged_share=share,
                min_episode_s=_opt(r, "min_episode_s", float, d_episode, ctx),
                conditions=conds,
                exclude_if_measured=excl,
                exclude_reason=excl_reason,
                uncertain_when=unc,
            )
        )
    if not rules:
        raise ConfigError(f"{source}: no [[rule]] entries")
    return RuleSet(version, disclaimer, titles, metrics, tuple(rules), source, uncertainty)


def _uncertainty_checks(raw: Mapping[str, Any], source: str) -> dict[str, UncertaintyCheck]:
    """Validate the ``[uncertainty.<check>]`` tables (factors in (0, 1], positive limits, a reason)."""
    out: dict[str, UncertaintyCheck] = {}
    for name, tab in raw.items():
        ctx = f"{source}: [uncertainty.{name}]"
        if name not in _UNCERTAINTY_KEYS:
            raise ConfigError(f"{ctx}: unknown check (known: {', '.join(UNCERTAINTY_CHECKS)})")
        if not isinstance(tab, dict):
            raise ConfigError(f"{ctx}: must be a table")
        fkeys, lkeys = _UNCERTAINTY_KEYS[name]
        unknown = set(tab) - set(fkeys) - set(lkeys) - {"why"}
        if unknown:
            raise ConfigError(f"{ctx}: unknown field(s) {sorted(unknown)}")
        factors = {k: _req(tab, k, float, ctx) for k in fkeys}
        for k, v in factors.items():
            if not 0.0 < v <= 1.0:
                raise ConfigError(f"{ctx}: field '{k}' must be within (0, 1], got {v}")
        limits = {k: _req(tab, k, float, ctx) for k in lkeys}
        for k, v in limits.items():
            if not v > 0:
                raise ConfigError(f"{ctx}: field '{k}' must be > 0, got {v}")
        out[name] = UncertaintyCheck(name, _req(tab, "why", str, ctx), factors, limits)
    return out


def _condition(
    c: Any, j: int, rctx: str, chain: Sequence[str], metrics: Mapping[str, MetricSpec]
) -> Condition:
    if not isinstance(c, dict):
        raise ConfigError(f"{rctx}: condition #{j + 1} must be a table")
    ctx = f"{rctx}, condition #{j + 1} ({c.get('metric', '?')})"
    unknown = set(c) - _COND_FIELDS
    if unknown:
        raise ConfigError(f"{ctx}: unknown field(s) {sorted(unknown)}")
    metric = _req(c, "metric", str, ctx)
    if metric not in KNOWN_METRIC_PATHS:
        raise ConfigError(
            f"{ctx}: field 'metric' has unknown metric key {metric!r} "
            "(use 'metrics.<key>' or 'gait.metrics.<key>' from docs/ARCHITECTURE.md)"
        )
    if metric not in metrics:
        raise ConfigError(
            f"{ctx}: field 'metric' {metric!r} has no [metrics.\"{metric}\"] entry with its known error"
        )
    link = _req(c, "link", str, ctx)
    if link not in chain:
        raise ConfigError(f"{ctx}: field 'link' {link!r} is not one of the rule's chain links")
    direction = _req(c, "direction", str, ctx)
    if direction not in DIRECTIONS:
        raise ConfigError(
            f"{ctx}: field 'direction' must be one of {', '.join(DIRECTIONS)}, got {direction!r}"
        )
    b = _req(c, "borderline_at", float, ctx)
    f = _req(c, "flagged_at", float, ctx)
    if not (math.isfinite(b) and math.isfinite(f)):
        raise ConfigError(f"{ctx}: fields 'borderline_at'/'flagged_at' must be finite")
    if direction in ("above", "abs_above") and not b < f:
        raise ConfigError(
            f"{ctx}: bad band order: direction '{direction}' needs borderline_at < flagged_at, "
            f"got {b} and {f}"
        )
    if direction == "below" and not b > f:
        raise ConfigError(
            f"{ctx}: bad band order: direction 'below' needs borderline_at > flagged_at, got {b} and {f}"
        )
    if direction == "abs_above" and b < 0:
        raise ConfigError(f"{ctx}: field 'borderline_at' must be >= 0 for direction 'abs_above'")
    if direction == "abs_below" and not b > f >= 0:
        raise ConfigError(
            f"{ctx}: bad band order: direction 'abs_below' needs borderline_at > flagged_at >= 0, "
            f"got {b} and {f}"
        )
    relative_to = _opt(c, "relative_to", str, None, ctx)
    if relative_to is not None and relative_to not in KNOWN_METRIC_PATHS:
        raise ConfigError(f"{ctx}: field 'relative_to' has unknown metric key {relative_to!r}")
    if relative_to is not None and direction in ("abs_above", "abs_below"):
        raise ConfigError(f"{ctx}: field 'relative_to' needs a signed direction ('above' or 'below')")
    field_name = _opt(c, "field", str, None, ctx)
    role = _opt(c, "role", str, "supporting", ctx)
    if role not in ROLES:
        raise ConfigError(f"{ctx}: field 'role' must be one of {', '.join(ROLES)}, got {role!r}")
    share = c.get("min_flagged_share")
    if share is not None:
        share = _req(c, "min_flagged_share", float, ctx)
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"{ctx}: field 'min_flagged_share' must be within 0-1, got {share}")
    return Condition(
        metric,
        link,
        _req(c, "meaning", str, ctx),
        direction,
        b,
        f,
        _req(c, "threshold_reason", str, ctx),
        role,
        share,
        relative_to,
        field_name,
    )


# ----------------------------------------------------------------------------------------- maths
def band_of(value: float, direction: str, borderline_at: float, flagged_at: float) -> Band:
    """The band of one value (see the module docstring)."""
    if direction in ("abs_above", "abs_below"):
        value = abs(value)
    if direction in ("below", "abs_below"):
        if value <= flagged_at:
            return "flagged"
        return "borderline" if value <= borderline_at else "normal"
    if value >= flagged_at:
        return "flagged"
    return "borderline" if value >= borderline_at else "normal"


def _worse(values: np.ndarray, direction: str, threshold: float) -> np.ndarray:
    """Boolean: values at or beyond ``threshold`` on the bad side."""
    if direction == "abs_above":
        return np.abs(values) >= threshold
    if direction == "abs_below":
        return np.abs(values) <= threshold
    if direction == "below":
        return values <= threshold
    return values >= threshold


def sustained_share(
    series: Sequence[float] | np.ndarray,
    *,
    direction: str,
    borderline_at: float,
    flagged_at: float,
    timestamps_s: Sequence[float] | np.ndarray | None = None,
    fps: float | None = None,
    min_episode_s: float = 0.5,
) -> float | None:
    """Share (0-1) of valid frames inside sustained flagged episodes, with hysteresis.

    An episode starts at a valid frame in the flagged band and lasts while the value stays at or beyond
    ``borderline_at`` (missing frames neither end nor extend it); episodes shorter than
    ``min_episode_s`` (first to last frame) are ignored. ``None`` when there are no valid frames.
    """
    x = np.asarray(series, dtype=np.float64)
    valid = np.isfinite(x)
    n_valid = int(valid.sum())
    if n_valid == 0:
        return None
    if timestamps_s is not None and len(timestamps_s) == len(x):
        t = np.asarray(timestamps_s, dtype=np.float64)
    else:
        t = np.arange(len(x), dtype=np.float64) / float(fps if fps and fps > 0 else 30.0)
    enter = _worse(np.where(valid, x, 0.0), direction, flagged_at) & valid
    stay = _worse(np.where(valid, x, 0.0), direction, borderline_at) & valid
    dt = float(np.nanmedian(np.diff(t))) if len(t) > 1 else 0.0
    counted = 0
    in_ep, start_t, n_ep, last_t = False, 0.0, 0, 0.0
    for i in np.flatnonzero(valid):
        if in_ep and not stay[i]:
            if last_t - start_t + dt >= min_episode_s:
                counted += n_ep
            in_ep = False
        if not in_ep and enter[i]:
            in_ep, start_t, n_ep = True, float(t[i]), 0
        if in_ep:
            n_ep += 1
            last_t = float(t[i])
    if in_ep and last_t - start_t + dt >= min_episode_s:
        counted += n_ep
    return counted / n_valid


def _norm_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _share_from_summary(value: float, iqr: float | None, direction: str, threshold: float) -> float:
    """Estimated share of frames beyond ``threshold`` from the median and IQR (normal approximation)."""
    v = abs(value) if direction in ("abs_above", "abs_below") else value
    sign = -1.0 if direction in ("below", "abs_below") else 1.0
    margin = sign * (v - threshold)
    sigma = (iqr or 0.0) / 1.349
    if sigma <= 0:
        return 1.0 if margin >= 0 else 0.0
    return _norm_cdf(margin / sigma)


def condition_confidence(
    value: float,
    iqr: float | None,
    n: int,
    *,
    direction: str,
    borderline_at: float,
    flagged_at: float,
    known_error: float,
    min_n: int,
    quality: float = 1.0,
) -> float:
    """Confidence (0-1) that ``value`` is in the right band; see the module docstring."""
    v = abs(value) if direction in ("abs_above", "abs_below") else value
    margin = min(abs(v - borderline_at), abs(v - flagged_at))
    sem = 0.0
    if iqr is not None and n > 0:
        sem = 1.2533 * (iqr / 1.349) / math.sqrt(n)
    err = math.sqrt(known_error**2 + sem**2)
    q_margin = _norm_cdf(margin / err)
    q_n = max(0.0, min(1.0, 1.0 - 0.5 * min_n / n)) if n > 0 else 0.0
    return max(0.0, min(1.0, quality)) * q_n * q_margin


# ----------------------------------------------------------------------------------------- evaluation
def _lookup(result: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    node: Any = result
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


def _posture_views(result: Mapping[str, Any], min_share: float = 0.2) -> set[str]:
    view = result.get("view") or {}
    if not isinstance(view, Mapping):
        return set()
    out = {str(view["dominant"])} if view.get("dominant") else set()
    for v, share in (view.get("fractions") or {}).items():
        if isinstance(share, (int, float)) and share >= min_share:
            out.add(str(v))
    return out


def _gait_view(result: Mapping[str, Any]) -> tuple[bool, str | None]:
    gait = result.get("gait") or {}
    if not isinstance(gait, Mapping):
        return False, None
    return bool(gait.get("walking_detected")), (str(gait["view"]) if gait.get("view") else None)


def _view_phrase(views: Sequence[str]) -> str:
    order = ("front", "back", "side", "oblique", "unclear")
    words = sorted({_VIEW_WORDS.get(v, v) for v in views}, key=lambda w: order.index(w) if w in order else 9)
    if len(words) == 1:
        return f"a {words[0]} view"
    return "a " + ", ".join(words[:-1]) + f" or {words[-1]} view"


def _quality(result: Mapping[str, Any]) -> float:
    det = result.get("detection") or {}
    rate = det.get("detection_rate") if isinstance(det, Mapping) else None
    return float(rate) if isinstance(rate, (int, float)) and math.isfinite(rate) else 1.0


def _series_for(series: Mapping[str, Any] | None, cond: Condition) -> Any:
    if not series or cond.field is not None:
        return None
    for k in (cond.metric, cond.key):
        if k in series:
            return series[k]
    return None


def _evaluate_condition(
    cond: Condition,
    rule: Rule,
    rules: RuleSet,
    result: Mapping[str, Any],
    series: Mapping[str, Any] | None,
    timestamps_s: Any,
) -> Evidence:
    spec = rules.metrics[cond.metric]
    m = _lookup(result, cond.metric)
    base = _EvidenceBase(
        metric=cond.metric,
        link=cond.link,
        meaning=cond.meaning,
        role=cond.role,
        direction=cond.direction,
        borderline_at=cond.borderline_at,
        flagged_at=cond.flagged_at,
        threshold_reason=cond.threshold_reason,
    )
    unit = (m or {}).get("unit") or spec.unit

    def na(reason: str, value: float | None = None, n: int = 0) -> Evidence:
        return Evidence(
            **base,
            value=value,
            unit=unit,
            iqr=None,
            n=n,
            band="not_assessable",
            confidence=0.0,
            reason=reason,
        )

    if m is None:
        if cond.is_gait:
            walking, _ = _gait_view(result)
            if not walking:
                return na("no walking was detected in this recording")
        return na(f"the measurement {cond.key} is missing from the result")
    value = m.get("value") if cond.field is None else m.get(cond.field)
    n = int(m.get("n_frames") or 0)
    what_key = cond.key if cond.field is None else f"{cond.key}.{cond.field}"
    if m.get("status", "ok") != "ok" or value is None:
        if m.get("status", "ok") == "ok" and cond.field is not None:
            return na(f"{what_key} was not measured", n=n)
        return na(str(m.get("reason") or "the measurement could not be made"), n=n)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return na(f"the measurement {what_key} is not a number ({value!r})")
    if not math.isfinite(value):
        return na(f"the measurement {what_key} is not a finite number")
    iqr = m.get("iqr") if cond.field is None else None
    iqr = float(iqr) if isinstance(iqr, (int, float)) and math.isfinite(iqr) else None
    extra: dict[str, Any] = {k: m[k] for k in _PASSED_EXTRAS if k in m}
    if cond.field is not None:
        extra["field"] = cond.field
    sign = 1.0
    if cond.relative_to is not None:
        ref = _lookup(result, cond.relative_to)
        ref_value = None if ref is None or ref.get("status", "ok") != "ok" else ref.get("value")
        ref_key = cond.relative_to.rsplit(".", 1)[-1]
        if not isinstance(ref_value, (int, float)) or not math.isfinite(ref_value):
            return na(f"{what_key} is read relative to {ref_key}, which was not measured", value, n)
        sign = 1.0 if ref_value >= 0 else -1.0
        extra["raw_value"] = round(value, 3)
        extra["relative_to"] = cond.relative_to
        value = sign * value
    if cond.is_gait:
        min_n, what = rule.min_steps, "steps"
    else:
        min_n, what = rule.min_frames, "valid frames"
    if n < min_n:
        return na(f"only {n} {what} behind {cond.key} (need {min_n})", value, n)
    if not cond.is_gait and rule.min_duration_s > 0:
        fps = (result.get("input") or {}).get("fps") if isinstance(result.get("input"), Mapping) else None
        if isinstance(fps, (int, float)) and fps > 0 and n / fps < rule.min_duration_s:
            return na(
                f"only {n / fps:.1f} s of valid data behind {cond.key} (need {rule.min_duration_s:g} s)",
                value,
                n,
            )
    band = band_of(value, cond.direction, cond.borderline_at, cond.flagged_at)
    need_share = rule.min_flagged_share if cond.min_flagged_share is None else cond.min_flagged_share
    share: float | None = None
    share_source: str | None = None
    s = _series_for(series, cond)
    if s is not None and sign < 0:
        s = -np.asarray(s, dtype=np.float64)
    if s is not None:
        fps = (result.get("input") or {}).get("fps") if isinstance(result.get("input"), Mapping) else None
        share = sustained_share(
            s,
            direction=cond.direction,
            borderline_at=cond.borderline_at,
            flagged_at=cond.flagged_at,
            timestamps_s=timestamps_s,
            fps=fps,
            min_episode_s=rule.min_episode_s,
        )
        share_source = "per-frame series with hysteresis"
    elif not cond.is_gait:
        share = _share_from_summary(value, iqr, cond.direction, cond.flagged_at)
        share_source = "estimated from median and IQR"
    reason = None
    if band == "flagged" and share is not None and share < need_share:
        band = "borderline"
        reason = (
            f"values were in the flagged range for only {share:.0%} of the time "
            f"(needs {need_share:.0%} to flag)"
        )
    conf = condition_confidence(
        value,
        iqr,
        n,
        direction=cond.direction,
        borderline_at=cond.borderline_at,
        flagged_at=cond.flagged_at,
        known_error=spec.known_error,
        min_n=min_n,
        quality=_quality(result),
    )
    return Evidence(
        **base,
        value=value,
        unit=unit,
        iqr=iqr,
        n=n,
        band=band,
        confidence=conf,
        flagged_share=share,
        share_source=share_source,
        reason=reason,
        extra=extra,
    )


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _doubt(
    check: UncertaintyCheck, metric: str, value: float | None, unit: str, factor: float, detail: str
) -> Evidence:
    return Evidence(
        metric=metric,
        link="",
        meaning=f"less certain: {detail}",
        role="uncertainty",
        value=value,
        unit=unit,
        iqr=None,
        n=0,
        direction="",
        borderline_at=math.nan,
        flagged_at=math.nan,
        band="uncertain",
        threshold_reason=check.why,
        confidence=factor,
        reason=detail,
        extra={"confidence_factor": factor},
    )


def uncertainty_evidence(rule: Rule, rules: RuleSet, result: Mapping[str, Any]) -> list[Evidence]:
    """Evidence entries (``role = "uncertainty"``) for each of the rule's ``uncertain_when`` checks that
    applies to ``result``; their ``confidence_factor`` multiplies the finding's confidence."""
    out: list[Evidence] = []
    cal = result.get("calibration") if isinstance(result.get("calibration"), Mapping) else None
    view = result.get("view") if isinstance(result.get("view"), Mapping) else None
    for name in rule.uncertain_when:
        check = rules.uncertainty[name]
        if name == "roll" and cal is not None:
            src = cal.get("roll_source")
            roll = _num(cal.get("roll_deg"))
            if src == "none":
                why = cal.get("roll_reason") or "no estimate"
                out.append(
                    _doubt(
                        check,
                        "calibration.roll_deg",
                        roll,
                        "deg",
                        check.factors["none_factor"],
                        f"camera roll not estimated ({why})"
                        + ("" if "level camera" in str(why) else "; a level camera is assumed"),
                    )
                )
            elif src == "feet":
                out.append(
                    _doubt(
                        check,
                        "calibration.roll_deg",
                        roll,
                        "deg",
                        check.factors["feet_factor"],
                        "camera roll from the feet line only (no usable lines in the scene)",
                    )
                )
            elif src == "scene":
                sc = _num(cal.get("scene_confidence"))
                lim = check.limits["scene_min_confidence"]
                if sc is not None and sc < lim:
                    out.append(
                        _doubt(
                            check,
                            "calibration.roll_deg",
                            roll,
                            "deg",
                            check.factors["scene_low_factor"],
                            f"camera roll from the scene with low confidence ({sc:.2f} < {lim:g})",
                        )
                    )
        elif name == "yaw" and view is not None and isinstance(view.get("yaw"), Mapping):
            y = view["yaw"]
            med, tol = _num(y.get("median_abs_deg")), _num(y.get("frontal_max_yaw_deg"))
            near = check.limits["near_fraction"]
            if med is not None and tol is not None and tol > 0 and med >= near * tol:
                out.append(
                    _doubt(
                        check,
                        "view.yaw.median_abs_deg",
                        med,
                        "deg",
                        check.factors["factor"],
                        f"the body was turned {med:.0f} deg from facing the camera (frames beyond "
                        f"{tol:g} deg are left out; {near:.0%} of that counts as near)",
                    )
                )
        elif name == "stance" and view is not None:
            st = view.get("stance") if isinstance(view.get("stance"), Mapping) else {}
            dz = _num(st.get("feet_depth_diff_m"))
            lim = check.limits["max_feet_depth_diff_m"]
            rejected = str((cal or {}).get("feet_rejected_reason") or "")
            if dz is not None and dz > lim:
                out.append(
                    _doubt(
                        check,
                        "view.stance.feet_depth_diff_m",
                        dz,
                        "m",
                        check.factors["factor"],
                        f"one foot stands about {dz * 100:.0f} cm ahead of the other (staggered stance, "
                        f"> {lim * 100:.0f} cm)",
                    )
                )
            elif dz is None and "stagger" in rejected:
                out.append(
                    _doubt(
                        check, "view.stance.feet_depth_diff_m", None, "m", check.factors["factor"], rejected
                    )
                )
    return out


def _view_problem(rule: Rule, result: Mapping[str, Any]) -> str | None:
    """A reason when the recording has none of the rule's views, else None."""
    uses_gait = any(c.is_gait for c in rule.counted)
    uses_posture = any(not c.is_gait for c in rule.counted)
    needs = _view_phrase(rule.views)
    if uses_gait and not uses_posture:
        walking, gview = _gait_view(result)
        if not walking:
            return f"needs a walking recording in {needs}; no walking was detected"
        if gview is not None and gview not in rule.views:
            seen = _VIEW_WORDS.get(gview, gview)
            return f"needs walking filmed from {needs}; the walking was filmed in a {seen} view"
        return None
    have = _posture_views(result)
    if uses_gait:
        walking, gview = _gait_view(result)
        if walking and gview:
            have.add(gview)
    if have and not have & set(rule.views):
        seen = " / ".join(sorted({_VIEW_WORDS.get(v, v) for v in have}))
        return f"needs {needs}; this recording is a {seen} view"
    return None


def _excluded(rule: Rule, result: Mapping[str, Any]) -> str | None:
    """The rule's exclude_reason when one of its ``exclude_if_measured`` metrics was measured."""
    for path in rule.exclude_if_measured:
        m = _lookup(result, path)
        if m is not None and m.get("status", "ok") == "ok" and m.get("value") is not None:
            return rule.exclude_reason
    return None


def _combine(rule: Rule, evidence: Sequence[Evidence]) -> tuple[Status, str | None]:
    counted = [(c, e) for c, e in zip(rule.conditions, evidence, strict=True) if c.role != "context"]
    req = [e for c, e in counted if c.role == "required"]
    for e in req:
        if e.band == "not_assessable":
            return "not_assessable", f"{e.metric.rsplit('.', 1)[-1]}: {e.reason}"
    pool = [e for c, e in counted if not (c.role == "optional" and e.band == "not_assessable")]
    k = len(pool) if rule.combine == "all" else rule.k_needed
    n_fl = sum(e.band == "flagged" for e in pool)
    n_bl = sum(e.band == "borderline" for e in pool)
    n_na = sum(e.band == "not_assessable" for e in pool)
    if k == 0 or not pool:
        return "not_assessable", "none of the measurements could be made"
    cap = min((_BAND_LEVEL[e.band] for e in req), default=2)
    if n_fl >= k:
        level = 2
    elif n_fl + n_bl >= k:
        level = 1
    elif n_fl + n_bl + n_na < k:
        level = 0
    else:
        missing = "; ".join(
            f"{e.metric.rsplit('.', 1)[-1]}: {e.reason}" for e in pool if e.band == "not_assessable"
        )
        return "not_assessable", f"not enough measurements to decide ({missing})"
    level = min(level, cap)
    return ("not_flagged", "borderline", "flagged")[level], None  # type: ignore[return-value]


def _wording(rule: Rule, status: Status, links: Sequence[str], consistent: bool) -> str:
    if status == "not_assessable":
        return f"Cannot say from this recording whether it is consistent with {rule.consistent_with}."
    if status == "not_flagged":
        return f"The measurements are not consistent with {rule.consistent_with}."
    lead = (
        "The measurements are consistent with "
        if status == "flagged"
        else "Some measurements are near the range consistent with "
    )
    text = lead + rule.consistent_with + "."
    if len(links) >= 2:
        text += (
            " Several links of this chain are present ("
            + " -> ".join(links)
            + ")"
            + (", consistent end to end" if consistent else "")
            + f"; the likely root is the lowest link found, {links[0]}, which the documents advise "
            "addressing first."
        )
    return text


def evaluate_rule(
    rule: Rule,
    result: Mapping[str, Any],
    rules: RuleSet,
    *,
    series: Mapping[str, Any] | None = None,
    timestamps_s: Any = None,
) -> Finding:
    """Evaluate one rule; see :func:`evaluate`."""
    common = _FindingBase(
        id=rule.id,
        title=rule.title,
        chain=rule.chain,
        sources=rule.sources,
        summary=rule.summary,
        next_steps=rule.next_steps,
        disclaimer=rule.disclaimer,
        rules_version=rules.version,
    )
    if not rule.assessable:
        return Finding(
            **common,
            status="not_assessable",
            confidence=0.0,
            evidence=(),
            links_present=(),
            chain_consistent=False,
            wording=_wording(rule, "not_assessable", (), False),
            reason=rule.not_assessable_reason,
        )
    problem = _view_problem(rule, result) or _excluded(rule, result)
    evidence = tuple(
        _evaluate_condition(c, rule, rules, result, series, timestamps_s) for c in rule.conditions
    )
    if problem is not None:
        return Finding(
            **common,
            status="not_assessable",
            confidence=0.0,
            evidence=evidence,
            links_present=(),
            chain_consistent=False,
            wording=_wording(rule, "not_assessable", (), False),
            reason=problem,
        )
    status, reason = _combine(rule, evidence)
    present = {
        e.link
        for c, e in zip(rule.conditions, evidence, strict=True)
        if c.role != "context" and e.band in ("flagged", "borderline")
    }
    if status in ("flagged", "borderline"):
        present |= {
            e.link
            for c, e in zip(rule.conditions, evidence, strict=True)
            if c.role == "context" and e.band in ("flagged", "borderline")
        }
    links = (
        tuple(link for link in rule.chain if link in present)  # root (lowest) first
        if status in ("flagged", "borderline")
        else ()
    )
    measurable = {c.link for c in rule.counted}
    # every measured link, context ones included: a measured link that is absent (e.g. a tilted head
    # where the chain expects a level one) means the chain is not consistent end to end
    measured = {e.link for e in evidence if e.band != "not_assessable"}
    consistent = (
        status == "flagged" and len(links) >= 2 and measured <= present and measurable & measured != set()
    )
    used = [
        e
        for c, e in zip(rule.conditions, evidence, strict=True)
        if c.role != "context" and e.band != "not_assessable"
    ]
    conf = 0.0 if status == "not_assessable" or not used else float(np.mean([e.confidence for e in used]))
    if status != "not_assessable":
        doubts = uncertainty_evidence(rule, rules, result)
        for d in doubts:
            conf *= float(d.extra.get("confidence_factor", 1.0))
        evidence = evidence + tuple(doubts)
    return Finding(
        **common,
        status=status,
        confidence=conf,
        evidence=evidence,
        links_present=links,
        chain_consistent=consistent,
        wording=_wording(rule, status, links, consistent),
        reason=reason,
    )


_STATUS_ORDER = {"flagged": 0, "borderline": 1, "not_flagged": 2, "not_assessable": 3}


def evaluate(
    result: Mapping[str, Any],
    rules: RuleSet | None = None,
    *,
    series: Mapping[str, Any] | None = None,
    timestamps_s: Any = None,
) -> list[Finding]:
    """Findings for one ``result.json`` dict (pure: nothing is read or written).

    ``series`` (optional): per-frame values keyed by metric key (``"craniovertebral_angle_deg"`` or
    ``"metrics.craniovertebral_angle_deg"``), NaN where not valid, aligned with ``timestamps_s`` (or
    with ``result["input"]["fps"]``); it enables the hysteresis/duration test. Findings come back in
    the rules file order.
    """
    if rules is None:
        rules = load_rules()
    if not isinstance(result, Mapping):
        raise ConfigError(f"evaluate: result must be a mapping (result.json), got {type(result).__name__}")
    return [evaluate_rule(r, result, rules, series=series, timestamps_s=timestamps_s) for r in rules.rules]


# ----------------------------------------------------------------------------------------- explain
def _fmt_value(e: Evidence) -> str:
    if e.value is None:
        return "not measured"
    unit = e.unit if e.unit in ("", "%", "% height") else f" {e.unit}"
    side = f" ({e.extra['low_side']} side lower)" if e.extra.get("low_side") else ""
    if e.extra.get("shorter_stance_side"):
        side += f" (shorter stance on the {e.extra['shorter_stance_side']} side)"
    return f"{e.value:.1f}{unit}{side}"


def _fmt_threshold(e: Evidence) -> str:
    op = {"above": ">=", "below": "<=", "abs_above": "|x| >=", "abs_below": "|x| <="}.get(e.direction, "")
    return f"borderline {op} {e.borderline_at:g}, flagged {op} {e.flagged_at:g}"


def explain_findings(findings: Sequence[Finding], *, disclaimer: str | None = None) -> str:
    """Plain-words text for a list of findings (most important first)."""
    ordered = sorted(findings, key=lambda f: _STATUS_ORDER.get(f.status, 9))
    lines: list[str] = []
    label = {
        "flagged": "FLAGGED",
        "borderline": "BORDERLINE",
        "not_flagged": "not flagged",
        "not_assessable": "cannot be judged here",
    }
    counts = {s: sum(f.status == s for f in findings) for s in label}
    lines.append(
        f"Screening summary: {counts['flagged']} flagged, {counts['borderline']} borderline, "
        f"{counts['not_flagged']} not flagged, {counts['not_assessable']} not assessable."
    )
    for f in ordered:
        lines.append("")
        conf = (
            f" (confidence {f.confidence:.0%})"
            if f.status in ("flagged", "borderline", "not_flagged")
            else ""
        )
        lines.append(f"* {f.title}: {label.get(f.status, f.status)}{conf}")
        lines.append(f"  {f.wording}")
        if f.reason:
            lines.append(f"  Why: {f.reason}")
        if f.status in ("flagged", "borderline"):
            lines.append(f"  What it means: {f.summary}")
            lines.append("  Chain: " + " -> ".join(f.chain))
            for e in f.evidence:
                if e.band == "not_assessable" or e.role == "uncertainty":
                    continue
                note = f"; {e.reason}" if e.reason else ""
                lines.append(f"  - {e.meaning}: {_fmt_value(e)} -> {e.band} ({_fmt_threshold(e)}{note})")
        doubts = [e for e in f.evidence if e.role == "uncertainty"]
        if doubts and f.status != "not_assessable":
            lines.append("  Less certain because: " + "; ".join(e.reason or e.meaning for e in doubts))
        if f.status in ("flagged", "borderline"):
            lines.append("  Suggested next steps:")
            lines.extend(f"    - {s}" for s in f.next_steps)
            lines.append("  Sources: " + "; ".join(f.sources))
    lines.append("")
    lines.append(disclaimer or (findings[0].disclaimer if findings else "Screening aid, not a diagnosis."))
    return "\n".join(lines)


def explain(
    result: Mapping[str, Any],
    rules: RuleSet | None = None,
    *,
    series: Mapping[str, Any] | None = None,
    timestamps_s: Any = None,
) -> str:
    """Plain words for a ``result.json`` dict: its stored ``findings`` when present, else evaluated now."""
    stored = result.get("findings") if isinstance(result, Mapping) else None
    if stored and rules is None and series is None:
        findings = [Finding.from_json(f) for f in stored]
    else:
        findings = evaluate(result, rules, series=series, timestamps_s=timestamps_s)
    return explain_findings(findings)
