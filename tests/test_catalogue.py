"""The metric catalogue: a row for every metric key, readable fallbacks, bands from the rules file."""

from __future__ import annotations

import re

import pytest

from posture_cam import catalogue
from posture_cam.metric_keys import GAIT_METRIC_KEYS, GAIT_METRICS, POSTURE_METRIC_KEYS


def test_every_metric_key_has_a_row() -> None:
    missing = [k for k in POSTURE_METRIC_KEYS + GAIT_METRIC_KEYS if k not in catalogue.CATALOGUE]
    assert missing == []
    for key in POSTURE_METRIC_KEYS + GAIT_METRIC_KEYS:
        row = catalogue.info(key)
        assert row.known and row.name and "_" not in row.name, key
        assert row.views not in ("", "-") and row.sign not in ("", "-"), key
        assert 0 <= row.precision <= 2


def test_gait_units_match_the_key_contract() -> None:
    for key, unit, _views in GAIT_METRICS:
        assert catalogue.info(key).unit == unit
        assert catalogue.info(key).group == "gait"


def test_unknown_key_gets_a_readable_fallback() -> None:
    row = catalogue.info("foot_clearance_left_cm")
    assert not row.known
    assert row.name == "Foot clearance, left" and row.unit == "cm"
    assert catalogue.info("gait.metrics.hip_swing_si_pct").name == "Hip swing asymmetry"
    assert catalogue.info("metrics.pelvic_obliquity_deg").name == "Pelvic obliquity"
    assert catalogue.label("pelvic_obliquity_deg") == "Pelvic obliquity [°]"


def test_views_and_activities_in_words() -> None:
    assert catalogue.view_words("left_side") == "side view (left side towards camera)"
    assert catalogue.view_words(None) == "view not determined"
    assert catalogue.views_words(["front", "back"]) == "front or back"
    assert catalogue.activity_words("forward_bend") == "forward bend"
    assert catalogue.activity_words("something_new") == "something new"
    assert catalogue.direction_words("towards_camera") == "towards the camera"


@pytest.mark.parametrize(
    ("value", "precision", "unit", "expected"),
    [(3.14159, 1, "deg", "3.1°"), (None, 1, "deg", "-"), (float("nan"), 2, "s", "-"), (-0.01, 1, "%", "0.0%"),
     (112.4, 0, "steps/min", "112 steps/min"), (0.612, 2, "s", "0.61 s")],
)  # fmt: skip
def test_format_value(value: object, precision: int, unit: str, expected: str) -> None:
    assert catalogue.format_value(value, precision, unit) == expected


def test_bands_come_from_the_packaged_rules() -> None:
    b = catalogue.normal_band("pelvic_obliquity_deg")
    assert b is not None and (b.low, b.high) == (-1.5, 1.5)
    assert b.documents and "leg_length_pelvic_obliquity" in b.rules and b.reason
    assert b.words("deg") == "within ±1.5°"
    # the gating condition "pelvis does not drop" (compensated Trendelenburg) is not a normal limit
    drop = catalogue.normal_band("pelvic_drop_left_stance_deg")
    assert drop is not None and drop.low is None and drop.high == 6.0
    # anterior and posterior tilt rules together bound the proxy from both sides
    tilt = catalogue.normal_band("sagittal_pelvic_tilt_proxy_deg")
    assert tilt is not None and (tilt.low, tilt.high) == (-5.0, 10.0)
    assert catalogue.normal_band("cadence_steps_per_min") is None


def test_bands_from_rules_drop_contradictions() -> None:
    rules = {
        "rule": [
            {"id": "a", "condition": [{"metric": "metrics.x_deg", "direction": "above", "borderline_at": 2}]},
            {"id": "b", "condition": [{"metric": "metrics.x_deg", "direction": "below", "borderline_at": 5}]},
        ]
    }
    assert "x_deg" not in catalogue.bands_from_rules(rules)


def test_internal_series_are_not_metrics() -> None:
    for col in ("trunk_chord_px", "quiet_standing", "frame_index", "ear_shoulder_angle_deg"):
        assert catalogue.is_internal_series(col), col
    for col in ("pelvic_obliquity_deg", "knee_flexion_left_deg"):
        assert not catalogue.is_internal_series(col)


def test_no_row_name_is_a_raw_key() -> None:
    for row in catalogue.CATALOGUE.values():
        assert not re.search(r"[a-z]_[a-z]", row.name), row.name
