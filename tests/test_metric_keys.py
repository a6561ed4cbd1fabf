"""The shared metric-key contract: producers emit exactly these keys, consumers know them all."""

from __future__ import annotations

import subprocess
import sys

import pytest

from posture_cam.metric_keys import GAIT_METRIC_KEYS, KNOWN_METRIC_PATHS, POSTURE_METRIC_KEYS
from posture_cam.rules import load_rules


@pytest.mark.parametrize("view", ["front", "left_side"])
def test_posture_emits_exactly_the_contract_keys(view: str) -> None:
    from posture_cam.posture import analyze_posture
    from posture_cam.simulate.posture import simulate_posture

    metrics = analyze_posture(simulate_posture(view=view, duration_s=1.0)).to_json()["metrics"]
    assert set(metrics) == set(POSTURE_METRIC_KEYS)


def test_gait_emits_every_contract_key_walking_or_not() -> None:
    import numpy as np

    from posture_cam.gait import analyze_gait
    from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait

    seq, truth = simulate_gait(GaitSpec(bouts=(Bout(1, 3),)))
    walking = analyze_gait(seq, None, view_per_frame=truth.view_per_frame).to_json()["metrics"]
    still = seq.slice(0, 10)
    standing = analyze_gait(still, None, view_per_frame=np.full(10, "left_side", object)).to_json()["metrics"]
    for got in (walking, standing):
        assert set(GAIT_METRIC_KEYS) <= set(got)


def test_every_rule_metric_is_a_contract_key() -> None:
    rules = load_rules()
    used = {c.metric for r in rules.rules for c in r.conditions}
    assert used and used <= set(KNOWN_METRIC_PATHS)


def test_the_contract_module_is_light() -> None:
    """``posture-cam explain`` and the rules engine import it: it must not pull scipy or mediapipe."""
    code = (
        "import sys, posture_cam.metric_keys, posture_cam.rules; "
        "print(sorted(m for m in ('scipy', 'mediapipe', 'cv2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
