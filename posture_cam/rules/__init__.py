"""Screening rules: measurements in ``result.json`` -> findings with evidence and sources.

``load_rules(path=None) -> RuleSet`` reads and validates ``rules.toml`` (packaged by default);
``evaluate(result, rules=None, *, series=None, timestamps_s=None) -> list[Finding]`` is pure;
``explain(result) -> str`` gives the findings in plain words. See ``docs/rules.md``.
"""

from .engine import (
    Condition,
    Evidence,
    Finding,
    MetricSpec,
    Rule,
    RuleSet,
    band_of,
    evaluate,
    evaluate_rule,
    explain,
    explain_findings,
    load_rules,
    rules_from_dict,
    sustained_share,
)

__all__ = [
    "Condition",
    "Evidence",
    "Finding",
    "MetricSpec",
    "Rule",
    "RuleSet",
    "band_of",
    "evaluate",
    "evaluate_rule",
    "explain",
    "explain_findings",
    "load_rules",
    "rules_from_dict",
    "sustained_share",
]
