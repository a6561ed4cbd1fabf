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

# The engine is split into three modules; this one keeps the public names (and the documentation of
# the semantics above) so ``from posture_cam.rules.engine import ...`` keeps working:
# - schema.py: the typed rules and the validating loader of rules.toml
# - evaluation.py: bands, hysteresis, confidence, uncertainty checks, combination, evaluate()
# - wording.py: the "consistent with" sentence and explain()
from .evaluation import (
    band_of,
    condition_confidence,
    evaluate,
    evaluate_rule,
    sustained_share,
    uncertainty_evidence,
)
from .schema import (
    COMBINE_MODES,
    DEFAULT_RULES_PATH,
    DIRECTIONS,
    ROLES,
    UNCERTAINTY_CHECKS,
    Band,
    Condition,
    Evidence,
    Finding,
    MetricSpec,
    Rule,
    RuleSet,
    Status,
    UncertaintyCheck,
    load_rules,
    rules_from_dict,
)
from .wording import explain, explain_findings

__all__ = [
    "COMBINE_MODES",
    "DEFAULT_RULES_PATH",
    "DIRECTIONS",
    "ROLES",
    "UNCERTAINTY_CHECKS",
    "Band",
    "Condition",
    "Evidence",
    "Finding",
    "MetricSpec",
    "Rule",
    "RuleSet",
    "Status",
    "UncertaintyCheck",
    "band_of",
    "condition_confidence",
    "evaluate",
    "evaluate_rule",
    "explain",
    "explain_findings",
    "load_rules",
    "rules_from_dict",
    "sustained_share",
    "uncertainty_evidence",
]
