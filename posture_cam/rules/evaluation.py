"""Rule evaluation: bands, duration/hysteresis, confidence, uncertainty checks and combination.
Pure functions of a ``result.json`` dict; see :mod:`posture_cam.rules.engine` for the semantics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from .schema import (
    _BAND_LEVEL,
    _PASSED_EXTRAS,
    _VIEW_WORDS,
    Band,
    Condition,
    Evidence,
    Finding,
    Rule,
    RuleSet,
    Status,
    UncertaintyCheck,
    _EvidenceBase,
    _FindingBase,
    load_rules,
)
from .wording import _wording


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
            dz = _num(st.get("feet_stagger_m"))
            drop = _num(st.get("feet_drop_fraction_height"))
            lim = check.limits["max_feet_stagger_m"]
            lim_drop = check.limits["max_feet_drop_fraction_height"]
            rejected = str((cal or {}).get("feet_rejected_reason") or "")
            if dz is not None and dz > lim:
                out.append(
                    _doubt(
                        check,
                        "view.stance.feet_stagger_m",
                        dz,
                        "m",
                        check.factors["factor"],
                        f"one foot stands about {dz * 100:.0f} cm ahead of the other (staggered stance, "
                        f"> {lim * 100:.0f} cm)",
                    )
                )
            elif drop is not None and drop > lim_drop:
                out.append(
                    _doubt(
                        check,
                        "view.stance.feet_drop_fraction_height",
                        round(100 * drop, 2),
                        "% height",
                        check.factors["factor"],
                        f"one foot sits {100 * drop:.1f}% of body height lower in the picture than the "
                        f"other (> {100 * lim_drop:g}%): one foot nearer the camera (staggered) or lifted",
                    )
                )
            elif "stagger" in rejected:
                out.append(
                    _doubt(check, "view.stance.feet_stagger_m", None, "m", check.factors["factor"], rejected)
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
