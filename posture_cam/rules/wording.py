"""Wording of findings: the "consistent with" sentence and the plain-words explanation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .schema import Evidence, Finding, Rule, RuleSet, Status

_STATUS_ORDER = {"flagged": 0, "borderline": 1, "not_flagged": 2, "not_assessable": 3}


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


# ----------------------------------------------------------------------------------------- explain
def _fmt_value(e: Evidence) -> str:
    if e.value is None:
        return "not measured"
    unit = e.unit if e.unit in ("", "%", "% height") else f" {e.unit}"
    side = f" ({e.extra['low_side']} side lower)" if e.extra.get("low_side") else ""
    if e.extra.get("shorter_stance_side"):
        side += f" (shorter stance on the {e.extra['shorter_stance_side']} side)"
    ref = e.extra.get("relative_to")
    if ref and isinstance(e.extra.get("raw_value"), (int, float)):
        # + = the same way as the reference metric; show the measured value too
        ref_words = str(ref).rsplit(".", 1)[-1].replace("_deg", "").replace("_", " ")
        raw = f"{e.extra['raw_value']:+.1f}{unit}"
        return f"{e.value:+.1f}{unit} relative to the {ref_words} (measured {raw}){side}"
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
        from .evaluation import evaluate  # evaluation imports this module

        findings = evaluate(result, rules, series=series, timestamps_s=timestamps_s)
    return explain_findings(findings)
