"""posture_cam.batch summary table and resume identity (no media needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from posture_cam.batch import config_hash, finished_result
from posture_cam.batch.inputs import Recording
from posture_cam.batch.summary import FIXED_COLUMNS, summary_row, write_summary
from posture_cam.config import Config


def _result() -> dict:
    ok = {"value": 3.2, "unit": "deg", "status": "ok"}
    na = {"value": None, "unit": "deg", "status": "not_assessable", "reason": "side view needed"}
    return {
        "input": {"sha256": "ab" * 32, "frames": 100, "duration_s": 1.67},
        "detection": {"detection_rate": 0.98},
        "view": {"dominant": "front"},
        "config": Config().to_dict(),
        "metrics": {"pelvic_obliquity_deg": ok, "trunk_flexion_deg": na},
        "gait": {"metrics": {"cadence_steps_per_min": {"value": 104.0, "unit": "steps/min"}}},
        "findings": [
            {"rule_id": "r1", "status": "flagged", "title": "Pelvic obliquity"},
            {"rule_id": "r2", "status": "borderline", "title": "Head tilt"},
            {"rule_id": "r3", "status": "normal", "title": "Knee flexion"},
        ],
    }


def test_summary_rows_for_ok_and_failed_recordings(tmp_path: Path) -> None:
    good = Recording("/d/a.mp4", "a-1", subject_id="p1", session_date="2024-01-02")
    bad = Recording("/d/b.mp4", "b-2")
    rows = [
        summary_row(good, status="ok", result=_result(), reused=True),
        summary_row(bad, status="failed", error="b.mp4: cannot be read as a video"),
    ]
    df = write_summary(rows, tmp_path)
    assert list(df.columns[: len(FIXED_COLUMNS)]) == list(FIXED_COLUMNS)
    assert df.columns[-1] == "gait.cadence_steps_per_min"
    a, b = df.iloc[0], df.iloc[1]
    assert (a["status"], a["reused"], a["n_flagged"], a["n_borderline"]) == ("ok", True, 1, 1)
    assert a["flagged_findings"] == "Pelvic obliquity [flagged]; Head tilt [borderline]"
    assert a["pelvic_obliquity_deg"] == 3.2 and pd.isna(
        a["trunk_flexion_deg"]
    )  # not assessable: empty, not 0
    assert b["status"] == "failed" and "cannot be read" in b["error"] and pd.isna(b["pelvic_obliquity_deg"])
    for read in (pd.read_csv(tmp_path / "summary.csv"), pd.read_parquet(tmp_path / "summary.parquet")):
        assert read["path"].tolist() == ["/d/a.mp4", "/d/b.mp4"]
        assert read["gait.cadence_steps_per_min"].iloc[0] == 104.0
    assert not list(tmp_path.glob(".*tmp"))


def test_config_hash_is_stable_and_sensitive() -> None:
    cfg = Config()
    as_json = json.loads(json.dumps(cfg.to_dict()))
    assert config_hash(cfg) == config_hash(as_json)  # what result.json stores hashes the same
    assert config_hash(cfg) != config_hash(cfg.with_overrides({"filter.lowpass_cutoff_hz": 5.0}))
    assert config_hash(cfg) != config_hash(cfg.with_overrides({"calibration.subject_height_cm": 170.0}))


def test_finished_result_needs_matching_hash_and_config(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    assert finished_result(folder, "ab" * 32, config_hash(Config())) is None  # nothing there
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps(_result()), encoding="utf-8")
    assert finished_result(folder, "ab" * 32, config_hash(Config())) is not None
    assert finished_result(folder, "cd" * 32, config_hash(Config())) is None  # the file changed
    other = config_hash(Config().with_overrides({"gait.min_steps": 6}))
    assert finished_result(folder, "ab" * 32, other) is None  # the config changed
    (folder / "result.json").write_text("{ half a fi", encoding="utf-8")
    assert finished_result(folder, "ab" * 32, config_hash(Config())) is None
