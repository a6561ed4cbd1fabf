"""posture_cam.history: migrations, one transaction per recording, upserts, queries, CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from posture_cam import history as history_mod
from posture_cam.cli import main
from posture_cam.errors import InputNotFoundError, OutputError
from posture_cam.history import MIGRATIONS, History, metrics_wide


def _result(pelvic: float | None, cadence: float | None = 100.0, *, flagged: bool = False) -> dict:
    def metric(v: float | None, unit: str) -> dict:
        return {
            "value": v,
            "unit": unit,
            "iqr": None if v is None else 0.5,
            "n_frames": 0 if v is None else 30,
            "view_required": [],
            "status": "ok" if v is not None else "not_assessable",
            "reason": None if v is not None else "wrong view",
        }

    return {
        "schema_version": 1,
        "input": {"path": "x.mp4", "sha256": "ab" * 32, "frames": 120, "fps": 30.0, "duration_s": 4.0},
        "detection": {"frames_with_person": 110, "detection_rate": 0.9167, "people_seen_max": 1},
        "view": {"dominant": "front"},
        "metrics": {"pelvic_obliquity_deg": metric(pelvic, "deg"), "head_tilt_deg": metric(1.5, "deg")},
        "gait": {"metrics": {"cadence_steps_per_min": metric(cadence, "steps/min")}},
        "findings": [
            {
                "rule_id": "pelvic_obliquity",
                "status": "flagged" if flagged else "normal",
                "title": "Pelvic obliquity",
            }
        ],
    }


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_new_database_applies_every_migration_in_order(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    with History(db) as h:
        assert h.schema_version() == len(MIGRATIONS) == MIGRATIONS[-1][0]
    con = sqlite3.connect(db)
    assert {"schema_migrations", "subjects", "sessions", "recordings", "metrics", "findings"} <= _tables(con)
    versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m[0] for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_old_database_is_migrated_forward_and_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    h = History.__new__(History)  # open at version 1 only, as an older posture_cam would have left it
    h.path = db
    h._con = sqlite3.connect(db, isolation_level=None)
    assert h.migrate(target=1) == [1]
    h.record_result(tmp_path / "a.mp4", result=_result(2.0), subject_id="s1", session_date="2024-01-02")
    indexes = {r[0] for r in h._con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "metrics_key" not in indexes
    h.close()
    with History(db) as h2:  # opening for writing applies migration 2, data kept
        assert h2.schema_version() == 2
        assert h2.counts()["recordings"] == 1
        assert h2.migrate() == []
        indexes = {r[0] for r in h2._con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "metrics_key" in indexes


def test_read_only_open_refuses_missing_or_outdated_database(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="not found"):
        History(tmp_path / "missing.sqlite", read_only=True)
    db = tmp_path / "old.sqlite"
    h = History.__new__(History)
    h.path = db
    h._con = sqlite3.connect(db, isolation_level=None)
    h.migrate(target=1)
    h.close()
    with pytest.raises(OutputError, match="schema version 1"):
        History(db, read_only=True)


def test_rerecording_a_path_upserts_one_row_and_replaces_its_metrics(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as h:
        first = h.record_result(
            tmp_path / "a.mp4", result=_result(2.0), subject_id="s1", session_date="2024-01-02", height_cm=170
        )
        second = h.record_result(
            tmp_path / "a.mp4",
            result=_result(3.5, flagged=True),
            subject_id="s1",
            session_date="2024-01-02",
            height_cm=None,
        )
        assert first == second
        assert h.counts() == {"subjects": 1, "sessions": 1, "recordings": 1, "metrics": 3, "findings": 1}
        m = h.subject_metrics("s1", metric="pelvic_obliquity_deg")
        assert m["value"].tolist() == [3.5]
        subjects = h.list_subjects()
        assert subjects.loc[0, "height_cm"] == 170  # an unknown height does not erase a known one
        assert h.recordings("s1").loc[0, "n_flagged"] == 1


def test_failed_recording_is_stored_with_its_error_and_no_metrics(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as h:
        h.record_result(tmp_path / "bad.mp4", result=None, error="bad.mp4: cannot be read as a video")
        rec = h.recordings()
        assert rec["status"].tolist() == ["failed"]
        assert "cannot be read" in rec.loc[0, "error"]
        assert h.counts()["metrics"] == 0


def test_a_crash_inside_the_transaction_leaves_no_partial_row(tmp_path: Path, monkeypatch) -> None:
    def exploding_rows(rec_id, result):  # noqa: ANN001
        yield (rec_id, "pelvic_obliquity_deg", "posture", 1.0, "deg", None, 1, "ok", None)
        raise RuntimeError("power cut")

    with History(tmp_path / "h.sqlite") as h:
        monkeypatch.setattr(history_mod, "_metric_rows", exploding_rows)
        with pytest.raises(RuntimeError, match="power cut"):
            h.record_result(
                tmp_path / "a.mp4", result=_result(2.0), subject_id="s1", session_date="2024-01-02"
            )
        assert h.counts() == {"subjects": 0, "sessions": 0, "recordings": 0, "metrics": 0, "findings": 0}


def test_subject_metrics_across_sessions_and_wide_table(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as h:
        h.record_result(
            tmp_path / "s1_b.mp4", result=_result(4.0), subject_id="s1", session_date="2024-03-01"
        )
        h.record_result(
            tmp_path / "s1_a.mp4", result=_result(2.0, None), subject_id="s1", session_date="2024-01-02"
        )
        h.record_result(tmp_path / "s2.mp4", result=_result(9.0), subject_id="s2", session_date="2024-01-02")
        long = h.subject_metrics("s1")
        assert list(long["session_date"].unique()) == ["2024-01-02", "2024-03-01"]
        assert set(long["key"]) == {"pelvic_obliquity_deg", "head_tilt_deg", "cadence_steps_per_min"}
        wide = metrics_wide(long)
        assert wide["pelvic_obliquity_deg"].tolist() == [2.0, 4.0]
        assert wide["cadence_steps_per_min"].isna().tolist() == [True, False]  # not assessable -> NaN, not 0
        subjects = h.list_subjects()
        assert subjects["subject_id"].tolist() == ["s1", "s2"]
        assert subjects.set_index("subject_id").loc["s1", "n_sessions"] == 2
        assert len(h.recordings()) == 3 and len(h.recordings("s2")) == 1


def test_history_command_prints_a_subject_table(tmp_path: Path, capsys) -> None:
    db = tmp_path / "h.sqlite"
    with History(db) as h:
        h.record_result(tmp_path / "a.mp4", result=_result(2.25), subject_id="p07", session_date="2024-01-02")
        h.record_result(tmp_path / "b.mp4", result=_result(3.75), subject_id="p07", session_date="2024-02-02")
    assert main(["history", "p07", "--db", str(db), "--metric", "pelvic_obliquity_deg"]) == 0
    out = capsys.readouterr().out
    assert "2024-01-02" in out and "2024-02-02" in out and "2.25" in out and "3.75" in out
    assert "head_tilt_deg" not in out
    assert main(["history", "--db", str(db)]) == 0
    assert "p07" in capsys.readouterr().out
    assert main(["history", "nobody", "--db", str(db)]) == 2
    assert "not in" in capsys.readouterr().err
    assert main(["history", "p07", "--db", str(db), "--metric", "no_such_metric"]) == 2
