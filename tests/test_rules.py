"""Rules engine: every rule flags / does not flag / is borderline / is not assessable in the wrong view,
duration and hysteresis, confidence, chain ranking and the validation of malformed rules files."""

from __future__ import annotations

import copy
import math
import tomllib
from importlib import resources
from typing import Any

import numpy as np
import pytest

from posture_cam.errors import ConfigError
from posture_cam.measurement import MetricResult
from posture_cam.rules import (
    Finding,
    band_of,
    evaluate,
    explain,
    load_rules,
    rules_from_dict,
    sustained_share,
)
from posture_cam.rules.engine import condition_confidence

SIDE = ["left_side", "right_side"]
FRONTAL = ["front", "back"]
FPS = 30.0


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _metric(
    value: float, *, unit: str = "deg", n: int = 150, iqr: float = 1.0, views=SIDE, **extra: Any
) -> dict:
    return MetricResult(value, unit, iqr, n, tuple(views), "ok", None, extra).to_json()


def _na(reason: str, *, unit: str = "deg", views=SIDE) -> dict:
    return MetricResult.not_assessable(unit, reason, view_required=views).to_json()


def make_result(
    view: str = "left_side",
    metrics: dict | None = None,
    *,
    gait_view: str | None = None,
    gait: dict | None = None,
    walking: bool | None = None,
) -> dict:
    """A result.json-shaped dict with the given posture metrics (values) and gait metrics."""
    walking = bool(gait) if walking is None else walking
    return {
        "schema_version": 1,
        "input": {"fps": FPS},
        "detection": {"detection_rate": 1.0},
        "view": {"dominant": view, "fractions": {view: 1.0}, "segments": []},
        "metrics": dict(metrics or {}),
        "gait": {
            "walking_detected": walking,
            "view": gait_view if walking else None,
            "metrics": dict(gait or {}),
        },
    }


def side(**vals: float) -> dict:
    return make_result("left_side", {k: _metric(v) for k, v in vals.items()})


def frontal(**vals: float) -> dict:
    return make_result("front", {k: _metric(v, views=FRONTAL) for k, v in vals.items()})


def walk(view: str, **vals: float) -> dict:
    g = {k: _metric(v, unit="%" if k.endswith("_pct") else "deg", n=12, views=[]) for k, v in vals.items()}
    return make_result(view, {}, gait_view=view, gait=g)


def wrong_view_side(*keys: str) -> dict:
    """A frontal recording: side-view metrics come back not assessable (as the posture module does)."""
    return make_result("front", {k: _na("needs a side view (left_side or right_side)") for k in keys})


# (rule id, flagging set, not-flagged set, borderline set, wrong-view set, words expected in the reason)
CASES = [
    (
        "posterior_tilt_chain",
        side(sagittal_pelvic_tilt_proxy_deg=-13, craniovertebral_angle_deg=40),
        side(sagittal_pelvic_tilt_proxy_deg=0, craniovertebral_angle_deg=53),
        side(sagittal_pelvic_tilt_proxy_deg=-7, craniovertebral_angle_deg=46),
        wrong_view_side("sagittal_pelvic_tilt_proxy_deg", "craniovertebral_angle_deg"),
        "side view",
    ),
    (
        "anterior_pelvic_tilt",
        side(sagittal_pelvic_tilt_proxy_deg=20),
        side(sagittal_pelvic_tilt_proxy_deg=3),
        side(sagittal_pelvic_tilt_proxy_deg=12),
        wrong_view_side("sagittal_pelvic_tilt_proxy_deg"),
        "side view",
    ),
    (
        "antalgic_gait_chain",
        walk("left_side", stance_time_si_pct=-16.0, step_time_si_pct=-9.0),
        walk("left_side", stance_time_si_pct=1.0, step_time_si_pct=0.5),
        walk("left_side", stance_time_si_pct=7.0, step_time_si_pct=2.0),
        walk("oblique", stance_time_si_pct=-16.0, step_time_si_pct=-9.0),
        "oblique",
    ),
    (
        "leg_length_pelvic_obliquity",
        frontal(pelvic_obliquity_deg=3.6, shoulder_obliquity_deg=-2.0, head_tilt_deg=0.2),
        frontal(pelvic_obliquity_deg=0.3, shoulder_obliquity_deg=0.2),
        frontal(pelvic_obliquity_deg=-2.0, shoulder_obliquity_deg=0.5),
        make_result(
            "left_side",
            {
                "pelvic_obliquity_deg": _na("needs a front or back view", views=FRONTAL),
                "shoulder_obliquity_deg": _na("needs a front or back view", views=FRONTAL),
            },
        ),
        "front",
    ),
    (
        "lateral_weight_shift_or_lean",
        frontal(pelvic_obliquity_deg=-5.0, shoulder_obliquity_deg=-6.5, head_tilt_deg=-11.0),
        frontal(pelvic_obliquity_deg=3.6, shoulder_obliquity_deg=-2.0),
        frontal(pelvic_obliquity_deg=2.0, shoulder_obliquity_deg=2.0),
        make_result(
            "left_side",
            {
                "pelvic_obliquity_deg": _na("needs a front or back view", views=FRONTAL),
                "shoulder_obliquity_deg": _na("needs a front or back view", views=FRONTAL),
            },
        ),
        "front",
    ),
    (
        "trendelenburg_gait",
        walk("front", pelvic_drop_left_stance_deg=11.0, pelvic_drop_right_stance_deg=2.0),
        walk("front", pelvic_drop_left_stance_deg=2.0, pelvic_drop_right_stance_deg=2.5),
        walk("back", pelvic_drop_left_stance_deg=2.0, pelvic_drop_right_stance_deg=6.5),
        walk("right_side", pelvic_drop_left_stance_deg=11.0, pelvic_drop_right_stance_deg=2.0),
        "front",
    ),
    *[
        (
            f"compensated_trendelenburg_{sd}",
            walk("front", **{f"trunk_lean_{sd}_stance_deg": 11.0, f"pelvic_drop_{sd}_stance_deg": 1.0}),
            walk("front", **{f"trunk_lean_{sd}_stance_deg": 2.0, f"pelvic_drop_{sd}_stance_deg": 1.0}),
            walk("back", **{f"trunk_lean_{sd}_stance_deg": 6.0, f"pelvic_drop_{sd}_stance_deg": 1.0}),
            walk("left_side", **{f"trunk_lean_{sd}_stance_deg": 11.0, f"pelvic_drop_{sd}_stance_deg": 1.0}),
            "front",
        )
        for sd in ("left", "right")
    ],
    (
        "inhibited_hip_flexion_test",
        side(hip_flexion_forward_bend_deg=48),
        side(hip_flexion_forward_bend_deg=88),
        side(hip_flexion_forward_bend_deg=66),
        wrong_view_side("hip_flexion_forward_bend_deg"),
        "side view",
    ),
    (
        "forward_head_posture",
        side(craniovertebral_angle_deg=40),
        side(craniovertebral_angle_deg=53),
        side(craniovertebral_angle_deg=46),
        wrong_view_side("craniovertebral_angle_deg"),
        "side view",
    ),
    # gait patterns (appended with the gait rules, issue 13)
    *[
        (
            f"gait_asymmetry_{sd}_leg",
            walk("left_side", stance_time_si_pct=-14.0 * sg, swing_time_si_pct=20.0 * sg),
            walk("left_side", stance_time_si_pct=1.0 * sg, swing_time_si_pct=1.0 * sg),
            walk("right_side", stance_time_si_pct=-7.0 * sg, swing_time_si_pct=2.0 * sg),
            walk("front", stance_time_si_pct=-14.0 * sg, swing_time_si_pct=20.0 * sg),
            "side view",
        )
        for sd, sg in (("right", 1.0), ("left", -1.0))
    ],
    (
        "waddling_gait",
        walk("front", trunk_lean_left_stance_deg=12.0, trunk_lean_right_stance_deg=12.0),
        walk("front", trunk_lean_left_stance_deg=1.0, trunk_lean_right_stance_deg=1.5),
        walk("back", trunk_lean_left_stance_deg=6.0, trunk_lean_right_stance_deg=9.0),
        walk("left_side", trunk_lean_left_stance_deg=12.0, trunk_lean_right_stance_deg=12.0),
        "front",
    ),
    (
        "stooped_short_step_gait",
        walk("left_side", trunk_flexion_walking_deg=25.0, step_length_pct_height=8.0),
        walk("left_side", trunk_flexion_walking_deg=3.0, step_length_pct_height=36.0),
        walk("right_side", trunk_flexion_walking_deg=12.0, step_length_pct_height=25.0),
        walk("front", trunk_flexion_walking_deg=25.0, step_length_pct_height=8.0),
        "side view",
    ),
]
CASE_IDS = [c[0] for c in CASES]
NOT_ASSESSABLE_IDS = [
    "referred_pain_from_lower_back",
    "sciatic_nerve_irritation",
    "si_joint_dysfunction",
    "hip_joint_source",
]


def finding(result: dict, rule_id: str, rules, **kw: Any) -> Finding:
    found = {f.id: f for f in evaluate(result, rules, **kw)}
    return found[rule_id]


def test_every_assessable_rule_has_cases(rules):
    assessable = {r.id for r in rules.rules if r.assessable}
    assert assessable == set(CASE_IDS)
    assert {r.id for r in rules.rules if not r.assessable} == set(NOT_ASSESSABLE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_flags(case, rules):
    f = finding(case[1], case[0], rules)
    assert f.status == "flagged", f.to_json()
    assert f.wording.startswith("The measurements are consistent with")
    assert 0.0 < f.confidence <= 1.0
    assert f.sources and f.next_steps and "not a diagnosis" in f.disclaimer
    flagged = [e for e in f.evidence if e.band == "flagged"]
    assert flagged and all(e.value is not None and e.unit is not None for e in flagged)
    assert f.links_present


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_not_flagged(case, rules):
    f = finding(case[2], case[0], rules)
    assert f.status == "not_flagged", f.to_json()
    assert f.links_present == ()
    assert "not consistent" in f.wording


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_borderline(case, rules):
    f = finding(case[3], case[0], rules)
    assert f.status == "borderline", f.to_json()
    assert any(e.band == "borderline" for e in f.evidence)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_wrong_view_not_assessable(case, rules):
    f = finding(case[4], case[0], rules)
    assert f.status == "not_assessable", f.to_json()
    assert f.confidence == 0.0
    assert f.reason and case[5] in f.reason


def test_wrong_view_wins_even_when_a_value_slipped_through(rules):
    # A side-view metric that (wrongly) carries a number in a front-view recording is not used.
    res = make_result("front", {"craniovertebral_angle_deg": _metric(35.0)})
    f = finding(res, "forward_head_posture", rules)
    assert f.status == "not_assessable" and "side view" in f.reason


@pytest.mark.parametrize("rule_id", NOT_ASSESSABLE_IDS)
@pytest.mark.parametrize("case", CASES[:3], ids=CASE_IDS[:3])
def test_what_video_cannot_judge_is_always_not_assessable(rule_id, case, rules):
    for res in case[1:4]:
        f = finding(res, rule_id, rules)
        assert f.status == "not_assessable"
        assert f.reason and len(f.reason) > 40
        assert f.evidence == () and f.confidence == 0.0


def test_no_walking_makes_gait_rules_not_assessable(rules):
    res = make_result("front", {}, walking=False)
    for rid in ("antalgic_gait_chain", "trendelenburg_gait", "compensated_trendelenburg_left"):
        f = finding(res, rid, rules)
        assert f.status == "not_assessable" and "no walking" in f.reason


def test_too_few_frames_or_steps_is_not_assessable(rules):
    res = make_result("left_side", {"craniovertebral_angle_deg": _metric(40.0, n=5)})
    f = finding(res, "forward_head_posture", rules)
    assert f.status == "not_assessable" and "only 5 valid frames" in f.reason
    g = make_result(
        "front",
        {},
        gait_view="front",
        gait={
            "pelvic_drop_left_stance_deg": _metric(12.0, n=2, views=[]),
            "pelvic_drop_right_stance_deg": _metric(12.0, n=2, views=[]),
        },
    )
    f = finding(g, "trendelenburg_gait", rules)
    assert f.status == "not_assessable" and "steps" in f.reason


def test_trendelenburg_names_the_side(rules):
    f = finding(next(c for c in CASES if c[0] == "trendelenburg_gait")[1], "trendelenburg_gait", rules)
    flagged = [e for e in f.evidence if e.band == "flagged"]
    assert [e.metric for e in flagged] == ["gait.metrics.pelvic_drop_left_stance_deg"]
    assert "standing on the left leg" in flagged[0].meaning


def test_pelvic_drop_makes_compensated_pattern_not_flagged(rules):
    # Lean plus a dropping pelvis is the uncompensated pattern, not the compensated one.
    res = walk(
        "front",
        trunk_lean_left_stance_deg=11.0,
        pelvic_drop_left_stance_deg=10.0,
        trunk_lean_right_stance_deg=2.0,
        pelvic_drop_right_stance_deg=1.0,
    )
    assert finding(res, "compensated_trendelenburg_left", rules).status == "not_flagged"
    assert finding(res, "compensated_trendelenburg_right", rules).status == "not_flagged"
    assert finding(res, "trendelenburg_gait", rules).status == "flagged"


# ----------------------------------------------------------------------------- chains and combinations
def test_full_chain_is_consistent_end_to_end_and_ranks_root_first(rules):
    res = side(sagittal_pelvic_tilt_proxy_deg=-13, craniovertebral_angle_deg=40)
    f = finding(res, "posterior_tilt_chain", rules)
    assert f.status == "flagged" and f.chain_consistent
    assert f.links_present == ("posterior pelvic tilt", "forward head posture")
    assert "consistent end to end" in f.wording
    assert "root is the lowest link found, posterior pelvic tilt" in f.wording


def test_partial_chain_is_borderline_without_claiming_end_to_end(rules):
    res = side(sagittal_pelvic_tilt_proxy_deg=-13, craniovertebral_angle_deg=46)
    f = finding(res, "posterior_tilt_chain", rules)
    assert f.status == "borderline" and not f.chain_consistent
    assert f.links_present == ("posterior pelvic tilt", "forward head posture")
    assert "end to end" not in f.wording and "near the range" in f.wording


def test_single_link_does_not_flag_the_chain(rules):
    res = side(sagittal_pelvic_tilt_proxy_deg=0, craniovertebral_angle_deg=40)
    assert finding(res, "posterior_tilt_chain", rules).status == "not_flagged"
    assert finding(res, "forward_head_posture", rules).status == "flagged"


def test_chain_is_undecided_when_a_missing_link_could_complete_it(rules):
    res = make_result(
        "left_side",
        {
            "craniovertebral_angle_deg": _metric(40.0),
            "sagittal_pelvic_tilt_proxy_deg": _na("too few valid frames"),
        },
    )
    f = finding(res, "posterior_tilt_chain", rules)
    assert f.status == "not_assessable" and "not enough measurements" in f.reason
    assert "too few valid frames" in f.reason


def test_forward_bend_recording_is_not_read_as_standing_posture(rules):
    """Standing metrics come only from quiet-standing frames (posture_cam.posture); a recording that is
    all forward bend reports them not assessable, and the standing rules say why instead of guessing."""
    why = "no quiet standing: the subject moves (walks or bends) throughout the recording"
    res = make_result(
        "left_side",
        {
            "hip_flexion_forward_bend_deg": _metric(80.0),
            "craniovertebral_angle_deg": _na(why),
            "sagittal_pelvic_tilt_proxy_deg": _na(why),
        },
    )
    for rid in ("posterior_tilt_chain", "anterior_pelvic_tilt", "forward_head_posture"):
        f = finding(res, rid, rules)
        assert f.status == "not_assessable" and "quiet standing" in f.reason, f.reason
    assert finding(res, "inhibited_hip_flexion_test", rules).status == "not_flagged"


def test_quiet_standing_plus_forward_bend_evaluates_both(rules):
    """A recording with quiet standing and a bend: the standing rules use the standing frames."""
    res = side(hip_flexion_forward_bend_deg=80.0, craniovertebral_angle_deg=40.0)
    assert finding(res, "forward_head_posture", rules).status == "flagged"
    assert finding(res, "inhibited_hip_flexion_test", rules).status == "not_flagged"


def _k_of_n_rules(combine: str = "at_least", k: int | None = 2, roles=("supporting",) * 3):
    d = _raw()
    keys = ["head_tilt_deg", "shoulder_obliquity_deg", "pelvic_obliquity_deg"]
    rule = {
        "id": "test_rule",
        "title": "t",
        "summary": "s",
        "consistent_with": "c",
        "chain": ["pelvis", "shoulders", "head"],
        "views": ["front"],
        "combine": combine,
        "sources": [d["documents"]["doc000"]],
        "next_steps": ["n"],
        "min_flagged_share": 0.0,
        "condition": [
            {
                "metric": f"metrics.{key}",
                "link": link,
                "meaning": key,
                "direction": "abs_above",
                "borderline_at": 1.0,
                "flagged_at": 2.0,
                "threshold_reason": "test",
                "role": role,
            }
            for key, link, role in zip(keys, ["head", "shoulders", "pelvis"], roles, strict=True)
        ],
    }
    if k is not None:
        rule["k"] = k
    d["rule"] = [rule]
    return rules_from_dict(d)


def _k_result(head, shoulder, pelvis) -> dict:
    def m(v):
        return _na("too few valid frames", views=FRONTAL) if v is None else _metric(v, views=FRONTAL)

    return make_result(
        "front",
        {"head_tilt_deg": m(head), "shoulder_obliquity_deg": m(shoulder), "pelvic_obliquity_deg": m(pelvis)},
    )


@pytest.mark.parametrize(
    "combine,k,values,status",
    [
        ("at_least", 2, (3, 3, 0), "flagged"),
        ("at_least", 2, (3, 1.5, 0), "borderline"),
        ("at_least", 2, (3, 0, 0), "not_flagged"),
        ("at_least", 2, (3, None, 0), "not_assessable"),
        ("at_least", 2, (3, None, None), "not_assessable"),
        ("at_least", 2, (0, None, 0), "not_flagged"),
        ("any", None, (0, 0, -3), "flagged"),
        ("any", None, (0, None, 0), "not_assessable"),
        ("all", None, (3, 3, -3), "flagged"),
        ("all", None, (3, 3, 1.2), "borderline"),
        ("all", None, (3, None, 0), "not_flagged"),
    ],
)
def test_combine_modes(combine, k, values, status):
    rs = _k_of_n_rules(combine, k)
    assert evaluate(_k_result(*values), rs)[0].status == status


def test_links_are_ranked_root_first_whatever_the_condition_order():
    rs = _k_of_n_rules("at_least", 2)
    f = evaluate(_k_result(3, 3, 3), rs)[0]
    assert f.links_present == ("pelvis", "shoulders", "head") and f.chain_consistent
    assert "root is the lowest link found, pelvis" in f.wording


def test_roles_required_optional_context():
    rs = _k_of_n_rules("at_least", 1, roles=("required", "optional", "context"))
    assert evaluate(_k_result(None, 3, 3), rs)[0].status == "not_assessable"  # required missing
    assert evaluate(_k_result(0, 3, 3), rs)[0].status == "not_flagged"  # capped by the required one
    assert evaluate(_k_result(3, None, 0), rs)[0].status == "flagged"  # optional missing is ignored
    f = evaluate(_k_result(1.5, 3, 3), rs)[0]
    assert f.status == "borderline" and "pelvis" in f.links_present  # context shown, not counted


def test_required_condition_missing_makes_rule_not_assessable(rules):
    res = make_result("front", {"shoulder_obliquity_deg": _metric(4.0, views=FRONTAL)})
    f = finding(res, "leg_length_pelvic_obliquity", rules)
    assert f.status == "not_assessable" and "pelvic_obliquity_deg" in f.reason


def test_context_conditions_are_evidence_not_votes(rules):
    res = frontal(
        pelvic_obliquity_deg=0.2, shoulder_obliquity_deg=-5.0, shoulder_hip_tilt_difference_deg=-6.0
    )
    f = finding(res, "leg_length_pelvic_obliquity", rules)
    assert f.status == "not_flagged"
    assert any(e.band == "flagged" and e.role == "context" for e in f.evidence)


def test_low_side_travels_into_evidence_and_explanation(rules):
    m = _metric(3.6, views=FRONTAL, low_side="right")
    level = _metric(0.0, views=FRONTAL)
    res = make_result("front", {"pelvic_obliquity_deg": m, "shoulder_obliquity_deg": level})
    f = finding(res, "leg_length_pelvic_obliquity", rules)
    ev = [e for e in f.evidence if e.metric == "metrics.pelvic_obliquity_deg"][0]
    assert ev.extra["low_side"] == "right"
    assert "right side lower" in explain(res, rules)


# ----------------------------------------------------------------------------- duration and hysteresis
def _cva_result_from_series(series: np.ndarray) -> dict:
    mr = MetricResult.from_series(series, "deg", view_required=SIDE, min_frames=10)
    return make_result("left_side", {"craniovertebral_angle_deg": mr.to_json()})


def test_brief_excursion_does_not_flag(rules):
    x = np.full(300, 52.0)
    x[100:115] = 38.0  # half a second of a deep forward head, ten seconds of normal posture
    f = finding(
        _cva_result_from_series(x), "forward_head_posture", rules, series={"craniovertebral_angle_deg": x}
    )
    assert f.status == "not_flagged"
    f2 = finding(_cva_result_from_series(x), "forward_head_posture", rules)  # summary only
    assert f2.status == "not_flagged"


def test_flicker_around_the_threshold_does_not_flag(rules):
    # 60% of frames are in the flagged band, but only in 1/6 s bursts separated by normal values:
    # the median is "flagged", the sustained share is zero, so the finding stays borderline.
    block = np.array([42.0] * 3 + [50.0] * 2)
    x = np.tile(block, 60)
    res = _cva_result_from_series(x)
    assert res["metrics"]["craniovertebral_angle_deg"]["value"] <= 44.0
    f = finding(res, "forward_head_posture", rules, series={"craniovertebral_angle_deg": x})
    assert f.status == "borderline"
    ev = f.evidence[0]
    assert ev.flagged_share == 0.0 and "only 0% of the time" in ev.reason


def test_sustained_posture_flags(rules):
    x = np.full(300, 41.0) + np.random.default_rng(0).normal(0, 0.8, 300)
    f = finding(
        _cva_result_from_series(x),
        "forward_head_posture",
        rules,
        series={"metrics.craniovertebral_angle_deg": x},
    )
    assert f.status == "flagged" and f.evidence[0].flagged_share > 0.95


def test_hysteresis_keeps_an_episode_open_inside_the_borderline_band():
    x = np.array([43.0] * 5 + [46.0] * 55 + [52.0] * 40)  # enters at 43, stays within 44-48 for 55 frames
    share = sustained_share(
        x, direction="below", borderline_at=48.0, flagged_at=44.0, fps=30.0, min_episode_s=0.5
    )
    assert share == pytest.approx(0.6)
    # Without the entry the borderline values alone never count.
    assert sustained_share(x[5:], direction="below", borderline_at=48.0, flagged_at=44.0, fps=30.0) == 0.0


def test_sustained_share_ignores_missing_frames_and_handles_empty():
    x = np.array([40.0] * 10 + [np.nan] * 30 + [40.0] * 10)
    s = sustained_share(
        x, direction="below", borderline_at=48.0, flagged_at=44.0, fps=30.0, min_episode_s=0.5
    )
    assert s == 1.0
    assert sustained_share(np.full(5, np.nan), direction="above", borderline_at=1, flagged_at=2) is None


def test_share_threshold_downgrades_without_series_using_iqr(rules):
    # Median just beyond the flagged threshold with a wide spread: less than 60% of frames flagged.
    res = make_result("left_side", {"craniovertebral_angle_deg": _metric(43.8, iqr=8.0)})
    f = finding(res, "forward_head_posture", rules)
    assert f.status == "borderline" and f.evidence[0].share_source == "estimated from median and IQR"


# ----------------------------------------------------------------------------- bands and confidence
@pytest.mark.parametrize(
    "value,direction,b,fl,band",
    [
        (1.0, "above", 2.0, 4.0, "normal"),
        (2.0, "above", 2.0, 4.0, "borderline"),
        (4.0, "above", 2.0, 4.0, "flagged"),
        (50.0, "below", 48.0, 44.0, "normal"),
        (48.0, "below", 48.0, 44.0, "borderline"),
        (43.9, "below", 48.0, 44.0, "flagged"),
        (-3.0, "abs_above", 1.5, 2.5, "flagged"),
        (-2.0, "abs_above", 1.5, 2.5, "borderline"),
        (-1.0, "abs_above", 1.5, 2.5, "normal"),
    ],
)
def test_band_of(value, direction, b, fl, band):
    assert band_of(value, direction, b, fl) == band


def test_confidence_grows_with_margin_and_data_and_quality():
    kw = dict(direction="below", borderline_at=48.0, flagged_at=44.0, known_error=3.0, min_n=30)
    near = condition_confidence(43.5, 1.0, 300, **kw)
    far = condition_confidence(36.0, 1.0, 300, **kw)
    few = condition_confidence(36.0, 1.0, 35, **kw)
    poor = condition_confidence(36.0, 1.0, 300, quality=0.5, **kw)
    assert 0.0 <= near < far <= 1.0 and few < far and poor == pytest.approx(far * 0.5)
    assert near == pytest.approx(0.95 * (0.5 + 0.5 * math.erf(0.5 / 3.0 / math.sqrt(2))), abs=0.01)


def test_finding_json_round_trip_and_explain_uses_stored_findings(rules):
    res = CASES[0][1]
    fs = evaluate(res, rules)
    res2 = dict(res, findings=[f.to_json() for f in fs])
    again = [Finding.from_json(d).to_json() for d in res2["findings"]]
    assert again == res2["findings"]
    text = explain(res2)
    assert "FLAGGED" in text and "not a diagnosis" in text and "Can tight hamstrings cause neck pain?" in text


def test_evaluate_is_pure(rules):
    res = CASES[0][1]
    snapshot = copy.deepcopy(res)
    a = [f.to_json() for f in evaluate(res, rules)]
    b = [f.to_json() for f in evaluate(res, rules)]
    assert a == b and res == snapshot


def test_empty_or_odd_results_do_not_crash(rules):
    for res in (
        {},
        {"metrics": None, "gait": None, "view": None},
        {"metrics": {"craniovertebral_angle_deg": {"value": "x", "status": "ok", "n_frames": 100}}},
        {"metrics": {"craniovertebral_angle_deg": {"value": float("nan"), "n_frames": 100}}},
    ):
        fs = evaluate(res, rules)
        assert all(f.status == "not_assessable" for f in fs), [
            f.to_json() for f in fs if f.status != "not_assessable"
        ]
    with pytest.raises(ConfigError):
        evaluate([], rules)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- rules file validation
def _raw() -> dict:
    return tomllib.loads(resources.files("posture_cam.rules").joinpath("rules.toml").read_text("utf-8"))


def _rule(data: dict, rid: str) -> dict:
    return next(r for r in data["rule"] if r["id"] == rid)


def _m_unknown_metric(d):
    _rule(d, "forward_head_posture")["condition"][0]["metric"] = "metrics.neck_angle_deg"


def _m_bad_band_order(d):
    c = _rule(d, "forward_head_posture")["condition"][0]
    c["borderline_at"], c["flagged_at"] = 44.0, 48.0


def _m_missing_source(d):
    del _rule(d, "trendelenburg_gait")["sources"]


def _m_unknown_source(d):
    _rule(d, "trendelenburg_gait")["sources"] = ["Some blog post"]


def _m_unknown_combine(d):
    _rule(d, "anterior_pelvic_tilt")["combine"] = "majority"


def _m_bad_k(d):
    _rule(d, "posterior_tilt_chain")["k"] = 9


def _m_unknown_view(d):
    _rule(d, "forward_head_posture")["views"] = ["side"]


def _m_link_not_in_chain(d):
    _rule(d, "forward_head_posture")["condition"][0]["link"] = "tight calves"


def _m_missing_title(d):
    del _rule(d, "si_joint_dysfunction")["title"]


def _m_bad_direction(d):
    _rule(d, "anterior_pelvic_tilt")["condition"][0]["direction"] = "up"


def _m_threshold_not_number(d):
    _rule(d, "anterior_pelvic_tilt")["condition"][0]["flagged_at"] = "15"


def _m_bad_role(d):
    _rule(d, "anterior_pelvic_tilt")["condition"][0]["role"] = "main"


def _m_missing_reason(d):
    del _rule(d, "hip_joint_source")["not_assessable_reason"]


def _m_unknown_field(d):
    _rule(d, "anterior_pelvic_tilt")["treshold"] = 3


def _m_missing_threshold_reason(d):
    del _rule(d, "anterior_pelvic_tilt")["condition"][0]["threshold_reason"]


MALFORMED = [
    (_m_unknown_metric, "forward_head_posture", "unknown metric key"),
    (_m_bad_band_order, "forward_head_posture", "bad band order"),
    (_m_missing_source, "trendelenburg_gait", "'sources'"),
    (_m_unknown_source, "trendelenburg_gait", "'sources' names an unknown document"),
    (_m_unknown_combine, "anterior_pelvic_tilt", "'combine' has unknown mode"),
    (_m_bad_k, "posterior_tilt_chain", "'k'"),
    (_m_unknown_view, "forward_head_posture", "'views' has unknown view"),
    (_m_link_not_in_chain, "forward_head_posture", "'link'"),
    (_m_missing_title, "si_joint_dysfunction", "missing field 'title'"),
    (_m_bad_direction, "anterior_pelvic_tilt", "'direction'"),
    (_m_threshold_not_number, "anterior_pelvic_tilt", "'flagged_at' must be float"),
    (_m_bad_role, "anterior_pelvic_tilt", "'role'"),
    (_m_missing_reason, "hip_joint_source", "'not_assessable_reason'"),
    (_m_unknown_field, "anterior_pelvic_tilt", "treshold"),
    (_m_missing_threshold_reason, "anterior_pelvic_tilt", "'threshold_reason'"),
]


@pytest.mark.parametrize("mutate,rid,field", MALFORMED, ids=[m[0].__name__[3:] for m in MALFORMED])
def test_malformed_rules_name_rule_and_field(mutate, rid, field):
    d = _raw()
    mutate(d)
    with pytest.raises(ConfigError) as exc:
        rules_from_dict(d, source="rules.toml")
    msg = str(exc.value)
    assert f"rule '{rid}'" in msg and field in msg, msg
    assert "\n" not in msg


def test_metric_table_errors_name_the_metric():
    d = _raw()
    d["metrics"]["metrics.craniovertebral_angle_deg"]["known_error"] = 0
    with pytest.raises(ConfigError, match="craniovertebral_angle_deg.*known_error"):
        rules_from_dict(d)
    d = _raw()
    del d["metrics"]["metrics.sagittal_pelvic_tilt_proxy_deg"]
    with pytest.raises(ConfigError, match="posterior_tilt_chain.*pelvic_tilt_proxy_deg.*known error"):
        rules_from_dict(d)


def test_rules_file_errors_on_disk(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_rules(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("rules_version = 1.0.0\n[[rule]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules(bad)
    d = _raw()
    _m_bad_band_order(d)
    # A full file that parses but fails validation, loaded from disk, names the file, rule and field.

    p = tmp_path / "rules.toml"
    p.write_text(_to_toml(d), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_rules(p)
    assert str(p) in str(exc.value) and "forward_head_posture" in str(exc.value)


def _to_toml(d: dict) -> str:
    """Minimal TOML writer for the rules structure (tables, arrays of tables, scalars, string lists)."""
    import json

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        raise TypeError(v)

    out = [f"rules_version = {val(d['rules_version'])}", "[defaults]"]
    out += [f"{k} = {val(v)}" for k, v in d["defaults"].items()]
    out.append("[documents]")
    out += [f"{k} = {val(v)}" for k, v in d["documents"].items()]
    for key, spec in d["metrics"].items():
        out.append(f"[metrics.{json.dumps(key)}]")
        out += [f"{k} = {val(v)}" for k, v in spec.items()]
    for key, spec in d.get("uncertainty", {}).items():
        out.append(f"[uncertainty.{key}]")
        out += [f"{k} = {val(v)}" for k, v in spec.items()]
    for r in d["rule"]:
        out.append("[[rule]]")
        out += [f"{k} = {val(v)}" for k, v in r.items() if k != "condition"]
        for c in r.get("condition", []):
            out.append("[[rule.condition]]")
            out += [f"{k} = {val(v)}" for k, v in c.items()]
    return "\n".join(out) + "\n"


def test_packaged_rules_cover_the_documents(rules):
    assert rules.version
    assert len(rules.documents) == 5
    cited = {s for r in rules.rules for s in r.sources}
    assert cited == set(rules.documents)  # every document is used by at least one rule
    for r in rules.rules:
        assert r.disclaimer and "not a diagnosis" in r.disclaimer
        assert r.next_steps and r.summary and r.chain
        for c in r.conditions:
            assert c.threshold_reason
            assert c.metric in rules.metrics and rules.metrics[c.metric].error_source


def test_walking_recording_is_not_read_as_standing_pelvis(rules):
    why = "no quiet standing: the subject moves (walks or bends) throughout the recording"
    res = make_result(
        "left_side", {"sagittal_pelvic_tilt_proxy_deg": _na(why), "craniovertebral_angle_deg": _metric(52.0)}
    )
    res["gait"] = {
        "walking_detected": True,
        "view": "left_side",
        "metrics": {"cadence_steps_per_min": _metric(108.0, unit="steps/min", n=8, views=[])},
    }
    f = finding(res, "anterior_pelvic_tilt", rules)
    assert f.status == "not_assessable" and "quiet standing" in f.reason, f.reason
    # the posterior chain's required end link (forward head) was measured normal: not flagged
    assert finding(res, "posterior_tilt_chain", rules).status == "not_flagged"
    assert finding(res, "forward_head_posture", rules).status == "not_flagged"


# ----------------------------------------------------------------------------- links agree with evidence
HEAD_TILTS = (-11.0, -5.0, 5.0, 11.0)


@pytest.mark.parametrize("tilt", HEAD_TILTS)
def test_a_flagged_head_tilt_never_counts_as_a_level_head_link(rules, tilt):
    """Issue 12: a real recording's chain counted "level head (righting reflex)" with an 11 deg head tilt."""
    res = frontal(
        pelvic_obliquity_deg=4.0,
        shoulder_obliquity_deg=-2.0,
        shoulder_hip_tilt_difference_deg=-6.0,
        head_tilt_deg=tilt,
    )
    for f in evaluate(res, rules):
        level_links = [link for link in f.links_present if "level head" in link]
        assert level_links == [], (f.id, f.links_present)
    ll = finding(res, "leg_length_pelvic_obliquity", rules)
    assert ll.status == "flagged"  # the finding itself stands ...
    head = next(e for e in ll.evidence if e.metric == "metrics.head_tilt_deg")
    assert head.band == "normal"  # ... but its level-head link is evidence against, not for
    assert "level head (righting reflex)" not in ll.links_present
    assert not ll.chain_consistent


def test_a_level_head_is_the_level_head_link(rules):
    res = frontal(pelvic_obliquity_deg=4.0, shoulder_obliquity_deg=-2.0, head_tilt_deg=0.5)
    f = finding(res, "leg_length_pelvic_obliquity", rules)
    assert "level head (righting reflex)" in f.links_present


def test_every_level_link_in_the_packaged_rules_is_read_from_small_values(rules):
    """A chain link that names a level body part is present only for small values, never for large ones."""
    for r in rules.rules:
        for c in r.conditions:
            if "level" in c.link:
                assert c.direction in ("abs_below", "below"), (r.id, c.link, c.direction)
                big = 1e3 if c.direction == "abs_below" else c.borderline_at + 1e3
                from posture_cam.rules import band_of

                assert band_of(big, c.direction, c.borderline_at, c.flagged_at) == "normal", (r.id, c.link)


# ----------------------------------------------------------------------------- leg length vs weight shift
def test_same_direction_shoulders_are_a_lean_not_a_leg_length_picture(rules):
    """Issue 12: pelvis -5 and shoulders -6.5 deg (the same way) flagged leg length at 0.95."""
    res = frontal(pelvic_obliquity_deg=-5.0, shoulder_obliquity_deg=-6.5, head_tilt_deg=-11.0)
    ll = finding(res, "leg_length_pelvic_obliquity", rules)
    ws = finding(res, "lateral_weight_shift_or_lean", rules)
    assert ll.status == "not_flagged", ll.to_json()
    assert ws.status == "flagged" and "trunk and shoulders tilted the same way" in ws.links_present
    comp = next(e for e in ll.evidence if e.role == "required" and "shoulder" in e.metric)
    assert comp.value == pytest.approx(6.5) and comp.extra["raw_value"] == pytest.approx(-6.5)


@pytest.mark.parametrize(
    "pelvis,shoulders,leg_length,weight_shift",
    [
        (4.0, 0.0, "flagged", "not_flagged"),  # shoulders level: compensated
        (-4.0, 1.8, "flagged", "not_flagged"),  # shoulders tilted the other way
        (4.0, 2.0, "borderline", "borderline"),  # in between: neither is sure
        (4.0, 4.5, "not_flagged", "flagged"),  # the same way: a lean / weight shift
        (-4.0, -3.0, "not_flagged", "flagged"),
    ],
)
def test_shoulder_direction_splits_the_two_findings(rules, pelvis, shoulders, leg_length, weight_shift):
    res = frontal(pelvic_obliquity_deg=pelvis, shoulder_obliquity_deg=shoulders)
    assert finding(res, "leg_length_pelvic_obliquity", rules).status == leg_length
    assert finding(res, "lateral_weight_shift_or_lean", rules).status == weight_shift


def test_unlocked_knee_is_weight_shift_evidence(rules):
    pel = _metric(3.0, views=FRONTAL, low_side="right", knee_line_tilt_deg=3.0)
    res = make_result(
        "front",
        {"pelvic_obliquity_deg": pel, "shoulder_obliquity_deg": _metric(3.5, views=FRONTAL)},
    )
    ws = finding(res, "lateral_weight_shift_or_lean", rules)
    assert ws.status == "flagged"
    knee = next(e for e in ws.evidence if e.extra.get("field") == "knee_line_tilt_deg")
    assert knee.band == "flagged" and "knee unlocked on the unloaded side" in ws.links_present


# ----------------------------------------------------------------------------- uncertainty lowers confidence
def _with(res: dict, *, calibration: dict | None = None, yaw: dict | None = None, stance: dict | None = None):
    out = copy.deepcopy(res)
    if calibration is not None:
        out["calibration"] = calibration
    if yaw is not None:
        out["view"]["yaw"] = yaw
    if stance is not None:
        out["view"]["stance"] = stance
    return out


def test_uncertain_roll_yaw_and_stance_lower_confidence_and_say_why(rules):
    base = frontal(pelvic_obliquity_deg=4.0, shoulder_obliquity_deg=0.0, head_tilt_deg=0.0)
    sure = _with(
        base,
        calibration={"roll_deg": 0.4, "roll_source": "scene", "scene_confidence": 0.9},
        yaw={"median_abs_deg": 3.0, "frontal_max_yaw_deg": 15.0},
        stance={"feet_stagger_m": 0.02},
    )
    f0 = finding(sure, "leg_length_pelvic_obliquity", rules)
    assert f0.status == "flagged" and not [e for e in f0.evidence if e.role == "uncertainty"]
    cases = {
        "roll": _with(sure, calibration={"roll_deg": 0.0, "roll_source": "none", "roll_reason": "no lines"}),
        "feet": _with(sure, calibration={"roll_deg": 1.2, "roll_source": "feet"}),
        "yaw": _with(sure, yaw={"median_abs_deg": 12.0, "frontal_max_yaw_deg": 15.0}),
        "stance": _with(sure, stance={"feet_stagger_m": 0.25}),
        "stance_image": _with(sure, stance={"feet_stagger_m": 0.02, "feet_drop_fraction_height": 0.04}),
    }
    for name, res in cases.items():
        f = finding(res, "leg_length_pelvic_obliquity", rules)
        doubts = [e for e in f.evidence if e.role == "uncertainty"]
        assert len(doubts) == 1 and doubts[0].band == "uncertain" and doubts[0].reason, name
        assert f.confidence == pytest.approx(f0.confidence * doubts[0].extra["confidence_factor"]), name
        assert f.confidence < f0.confidence, name
        assert "Less certain because" in explain(res, rules)
        js = f.to_json()
        assert Finding.from_json(js).to_json() == js  # survives a stored result.json
    everything = _with(
        cases["roll"],
        yaw={"median_abs_deg": 12.0, "frontal_max_yaw_deg": 15.0},
        stance={"feet_stagger_m": 0.3},
    )
    f = finding(everything, "leg_length_pelvic_obliquity", rules)
    assert len([e for e in f.evidence if e.role == "uncertainty"]) == 3
    assert f.confidence == pytest.approx(f0.confidence * 0.6 * 0.75 * 0.7)


def test_rules_without_uncertain_when_are_unaffected(rules):
    res = _with(side(craniovertebral_angle_deg=40), calibration={"roll_deg": 0.0, "roll_source": "none"})
    f = finding(res, "forward_head_posture", rules)
    assert f.status == "flagged" and not [e for e in f.evidence if e.role == "uncertainty"]
