"""Rule schema: the typed rules (conditions, rules, rule set, evidence, findings) and the loader that
validates ``rules.toml`` into them. See :mod:`posture_cam.rules.engine` for the semantics."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypedDict

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
    "stance": (("factor",), ("max_feet_stagger_m", "max_feet_drop_fraction_height")),
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
