"""Follow-up over time (issue 17): SEM/SDC, session comparison, CLI and dashboard agree."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from posture_cam.cli import main
from posture_cam.compare import compare_results, sync_points
from posture_cam.config import Config
from posture_cam.pipeline import analyze_sequence
from posture_cam.repeatability import Repeatability, load_sdc, repeatability, sdc95_from_sem, sem_within
from posture_cam.sequence import atomic_write_text
from posture_cam.simulate.posture import simulate_posture


# ----------------------------------------------------------------------------- SEM and SDC
def test_sem_and_sdc_against_a_hand_worked_example() -> None:
    """Two subjects, two trials each: A = 10, 12 (mean 11, SS 2); B = 20, 19 (mean 19.5, SS 0.5).
    MS_within = (2 + 0.5) / (2 * (2 - 1)) = 1.25 -> SEM = 1.1180; SDC95 = 1.96 * sqrt(2) * 1.1180 = 3.0990."""
    sem, n_subj, n_val = sem_within([[10, 12], [20, 19]])
    assert sem == pytest.approx(1.118034, abs=1e-6)
    assert (n_subj, n_val) == (2, 4)
    assert sdc95_from_sem(sem) == pytest.approx(3.0990, abs=1e-4)
    # three trials for one subject, a missing value and a subject with one value are handled:
    # A = 1, 2, 3 (SS 2, df 2), B = 5, nan, 7 (SS 2, df 1), C = 9 (df 0) -> MS = 4 / 3
    sem2, n2, _ = sem_within([[1, 2, 3], [5, math.nan, 7], [9]])
    assert sem2 == pytest.approx(math.sqrt(4 / 3)) and n2 == 2
    with pytest.raises(ValueError):
        sem_within([[1.0], [2.0]])


def test_shipped_repeatability_table_loads_with_positive_sdc() -> None:
    table = load_sdc()
    assert "craniovertebral_angle_deg" in table and "pelvic_obliquity_deg" in table
    for key, r in table.items():
        assert r.sem >= 0 and r.sdc95 == pytest.approx(sdc95_from_sem(r.sem), rel=1e-3), key
        assert r.n_subjects >= 1 and r.n_trials >= 2


# ----------------------------------------------------------------------------- comparison
def _result(**posture: float) -> dict:
    seq = simulate_posture(view="left_side", duration_s=3.0, noise_px=0.5, **posture)
    return analyze_sequence(seq, None, Config())


@pytest.fixture(scope="module")
def sessions() -> dict[str, dict]:
    return {
        "before": _result(craniovertebral_angle_deg=50.0, seed=1),
        "after_big": _result(craniovertebral_angle_deg=38.0, seed=2),
        "after_small": _result(craniovertebral_angle_deg=49.0, seed=3),
    }


SDC = {"craniovertebral_angle_deg": Repeatability("craniovertebral_angle_deg", "deg", 1.5, 4.16, 4, 36)}


def test_change_beyond_the_sdc_is_changed_and_within_it_is_not(sessions) -> None:
    big = compare_results([sessions["before"], sessions["after_big"]], sdc=SDC).metrics[
        "craniovertebral_angle_deg"
    ]
    assert big.change == pytest.approx(-12.0, abs=1.0) and big.changed is True
    small = compare_results([sessions["before"], sessions["after_small"]], sdc=SDC).metrics[
        "craniovertebral_angle_deg"
    ]
    assert abs(small.change) < 4.16 and small.changed is False
    assert "smallest detectable change" in (small.reason or "")


def test_metric_without_repeatability_is_never_called_changed(sessions) -> None:
    cmp = compare_results([sessions["before"], sessions["after_big"]], sdc={})
    m = cmp.metrics["craniovertebral_angle_deg"]
    assert m.changed is False and m.sdc95 is None and "repeatability" in (m.reason or "")


def test_comparison_needs_two_sessions(sessions) -> None:
    with pytest.raises(ValueError):
        compare_results([sessions["before"]])


def test_capture_differences_are_warned(sessions) -> None:
    a = json.loads(json.dumps(sessions["before"]))
    b = json.loads(json.dumps(sessions["after_small"]))
    a["capture"] = {
        "view": "left_side",
        "subject_height_fraction": 0.8,
        "fps": 30.0,
        "resolution": [1280, 1080],
    }
    b["capture"] = {
        "view": "left_side",
        "subject_height_fraction": 0.4,
        "fps": 30.0,
        "resolution": [1280, 1080],
    }
    cmp = compare_results([a, b], sdc=SDC)
    assert any("camera distance" in w for w in cmp.capture_warnings)


def test_sync_points_from_segments_and_events(sessions) -> None:
    pts = sync_points(sessions["before"])
    assert pts["quiet_standing_side_s"] == pytest.approx(0.0, abs=0.1)
    assert pts["first_contact_s"] is None


# ----------------------------------------------------------------------------- CLI and dashboard
def _write(tmp_path: Path, name: str, result: dict) -> Path:
    d = tmp_path / name
    d.mkdir()
    atomic_write_text(d / "result.json", json.dumps(result, allow_nan=False, default=float))
    return d


def test_cli_json_and_dashboard_give_the_same_numbers(
    tmp_path: Path, sessions, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    a = _write(tmp_path, "2026-01-10", sessions["before"])
    b = _write(tmp_path, "2026-03-02", sessions["after_big"])
    assert main(["compare", str(a), str(b), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cva = out["metrics"]["craniovertebral_angle_deg"]
    assert set(cva) >= {"values", "change", "sdc95", "changed"}
    assert cva["change"] == pytest.approx(cva["values"][-1] - cva["values"][0], abs=1e-3)
    assert cva["changed"] is (abs(cva["change"]) > cva["sdc95"])

    monkeypatch.setenv("POSTURE_CAM_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_string("from posture_cam.ui import compare; compare.render()", default_timeout=60)
    at.session_state["compare_dirs"] = [("2026-01-10", str(a)), ("2026-03-02", str(b))]
    at.run()
    assert not at.exception
    from posture_cam.catalogue import info

    p = info("craniovertebral_angle_deg").precision  # the page shows the catalogue's precision
    table = at.dataframe[0].value
    row = table[table["Measurement"].str.startswith("Craniovertebral")].iloc[0]
    assert row["2026-01-10"] == pytest.approx(round(cva["values"][0], p))
    assert row["2026-03-02"] == pytest.approx(round(cva["values"][1], p))
    assert row["Change"] == pytest.approx(round(cva["change"], p))
    assert row["Smallest detectable change"] == pytest.approx(round(cva["sdc95"], p))
    assert row["Verdict"] == ("changed" if cva["changed"] else "no detectable change")


def test_cli_text_and_bad_input(tmp_path: Path, sessions, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path, "a", sessions["before"])
    assert main(["compare", str(a)]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["compare", str(a), str(tmp_path / "missing")]) != 0
    assert "no finished analysis" in capsys.readouterr().err
    b = _write(tmp_path, "b", sessions["after_big"])
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "Craniovertebral" in text and "CHANGED" in text


def test_repeatability_helper_builds_a_row() -> None:
    r = repeatability("x_deg", "deg", [[1.0, 1.0], [2.0, 2.0]])
    assert r.sem == 0.0 and r.sdc95 == 0.0 and r.n_subjects == 2
