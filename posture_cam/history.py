"""Session history: an embedded SQLite database of every analysed recording.

One file (default ``<batch out>/history.sqlite``) holds five tables:

* ``subjects``   - one row per subject id (``height_cm`` = last height given, in cm);
* ``sessions``   - one row per (subject, session date); the date is an ISO ``YYYY-MM-DD`` string or
  ``''`` when unknown;
* ``recordings`` - one row per input recording, keyed by its absolute path (re-analysing the same
  file updates the row, it never adds a second one); ``status`` is ``ok`` or ``failed``;
* ``metrics``    - one row per (recording, metric key): posture and gait metrics from result.json
  (``domain`` = ``posture`` | ``gait``), value in the metric's ``unit``;
* ``findings``   - the screening findings of a recording (rule id, status, title).

The schema is versioned: ``schema_migrations`` lists the numbered migrations applied, and
:data:`MIGRATIONS` are applied in order, each in its own transaction, when a database is opened.
Each recording is written in ONE transaction (:meth:`History.record_result`), so a crash or kill
leaves either the complete previous state or the complete new one, never a partial row.

Only one process writes (the batch parent); readers (the dashboard) may read concurrently (WAL).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from .errors import DiskFullError, HistoryDatabaseError, InputNotFoundError, OutputError, translate
from .paths import display_path, display_text

#: (version, name, SQL). Append new migrations with the next number; never edit an applied one.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "initial schema",
        """
        CREATE TABLE subjects (
            id          TEXT PRIMARY KEY,
            height_cm   REAL,
            created_utc TEXT NOT NULL,
            updated_utc TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id           INTEGER PRIMARY KEY,
            subject_id   TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
            session_date TEXT NOT NULL DEFAULT '',
            UNIQUE (subject_id, session_date)
        );
        CREATE TABLE recordings (
            id             INTEGER PRIMARY KEY,
            path           TEXT NOT NULL UNIQUE,
            subject_id     TEXT REFERENCES subjects(id) ON DELETE SET NULL,
            session_id     INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
            input_sha256   TEXT,
            config_hash    TEXT,
            result_dir     TEXT,
            status         TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            error          TEXT,
            frames         INTEGER,
            fps            REAL,
            duration_s     REAL,
            detection_rate REAL,
            view_dominant  TEXT,
            analyzed_utc   TEXT NOT NULL
        );
        CREATE TABLE metrics (
            recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
            key          TEXT NOT NULL,
            domain       TEXT NOT NULL CHECK (domain IN ('posture', 'gait')),
            value        REAL,
            unit         TEXT,
            iqr          REAL,
            n_frames     INTEGER,
            status       TEXT,
            reason       TEXT,
            PRIMARY KEY (recording_id, domain, key)
        );
        CREATE TABLE findings (
            id           INTEGER PRIMARY KEY,
            recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
            rule_id      TEXT,
            status       TEXT,
            title        TEXT,
            data_json    TEXT NOT NULL
        );
    """,
    ),
    (
        2,
        "indexes for per-subject queries",
        """
        CREATE INDEX recordings_subject ON recordings(subject_id, session_id);
        CREATE INDEX metrics_key ON metrics(key);
        CREATE INDEX findings_recording ON findings(recording_id);
    """,
    ),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) != float("inf") else None


class History:
    """Read/write access to one history database (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        where = display_path(self.path)
        if read_only and not self.path.is_file():
            raise InputNotFoundError(f"history database not found: {where}")
        try:
            if read_only:
                uri = f"file:{quote(os.fsencode(self.path.resolve()))}?mode=ro"
                self._con = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA foreign_keys=ON")
            self._con.execute("PRAGMA busy_timeout=30000")
            if not read_only:
                self.migrate()
            version = self.schema_version()
            if read_only:
                self._check_tables()
        except (OSError, sqlite3.Error) as exc:
            mapped = translate(exc, where=where)
            if isinstance(mapped, (DiskFullError, HistoryDatabaseError)):
                raise mapped from None
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
                raise HistoryDatabaseError(
                    f"history database {where} is damaged or is not a posture_cam history ({exc}); "
                    "move it away (a batch then starts a new one) or point --db/--history elsewhere"
                ) from None
            raise OutputError(f"cannot open history database {where}: {exc}") from None
        if read_only and version < len(MIGRATIONS):
            raise OutputError(
                f"history database {where} has schema version {version}, "
                f"expected {len(MIGRATIONS)}; open it once for writing to migrate it"
            )

    def _check_tables(self) -> None:
        """A read-only open of a file that is SQLite but not ours fails here, with a clear message."""
        names = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = {"subjects", "sessions", "recordings", "metrics", "findings"} - names
        if missing and self.schema_version() >= len(MIGRATIONS):
            raise HistoryDatabaseError(
                f"history database {display_path(self.path)} lacks the table(s) {', '.join(sorted(missing))}"
            )

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    # ------------------------------------------------------------------ migrations
    def schema_version(self) -> int:
        """Highest migration number applied (0 for a new, empty database)."""
        has = self._con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
        ).fetchone()
        if not has:
            return 0
        row = self._con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations in order (up to ``target``); returns the versions applied."""
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_utc TEXT NOT NULL)"
        )
        applied = []
        for version, name, sql in MIGRATIONS:
            if target is not None and version > target:
                break
            with self._transaction() as con:
                done = con.execute("SELECT 1 FROM schema_migrations WHERE version=?", (version,)).fetchone()
                if done:
                    continue
                for stmt in (s.strip() for s in sql.split(";")):
                    if stmt:
                        con.execute(stmt)
                con.execute(
                    "INSERT INTO schema_migrations(version, name, applied_utc) VALUES (?, ?, ?)",
                    (version, name, _now()),
                )
            applied.append(version)
        return applied

    # ------------------------------------------------------------------ writing
    def record_result(
        self,
        path: str | os.PathLike[str],
        *,
        result: Mapping[str, Any] | None,
        subject_id: str | None = None,
        session_date: str | None = None,
        height_cm: float | None = None,
        input_sha256: str | None = None,
        config_hash: str | None = None,
        result_dir: str | os.PathLike[str] | None = None,
        error: str | None = None,
    ) -> int:
        """Insert or update one recording with its metrics and findings, in one transaction.

        ``result`` is the result.json dict (None for a failed recording, then ``error`` says why).
        Returns the recording's row id. Re-recording the same ``path`` replaces its row's content.
        """
        abspath = display_path(Path(path).resolve())  # text: a non-UTF-8 name shows its bytes as \\xNN
        subject_id = None if subject_id is None else display_text(subject_id)
        error = None if error is None else display_text(error)
        result = result or {}
        inp = result.get("input") or {}
        det = result.get("detection") or {}
        status = "ok" if result and error is None else "failed"
        with self._transaction() as con:
            session_id = None
            if subject_id:
                con.execute(
                    "INSERT INTO subjects(id, height_cm, created_utc, updated_utc) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET height_cm=COALESCE(excluded.height_cm, height_cm), "
                    "updated_utc=excluded.updated_utc",
                    (subject_id, _float(height_cm), _now(), _now()),
                )
                con.execute(
                    "INSERT INTO sessions(subject_id, session_date) VALUES (?, ?) "
                    "ON CONFLICT(subject_id, session_date) DO NOTHING",
                    (subject_id, session_date or ""),
                )
                session_id = con.execute(
                    "SELECT id FROM sessions WHERE subject_id=? AND session_date=?",
                    (subject_id, session_date or ""),
                ).fetchone()[0]
            row = (
                abspath,
                subject_id or None,
                session_id,
                input_sha256 or inp.get("sha256"),
                config_hash,
                None if result_dir is None else display_path(result_dir),
                status,
                error,
                inp.get("frames"),
                _float(inp.get("fps")),
                _float(inp.get("duration_s")),
                _float(det.get("detection_rate")),
                (result.get("view") or {}).get("dominant"),
                _now(),
            )
            rec_id = con.execute(
                "INSERT INTO recordings(path, subject_id, session_id, input_sha256, config_hash, result_dir, "
                "status, error, frames, fps, duration_s, detection_rate, view_dominant, analyzed_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "subject_id=excluded.subject_id, session_id=excluded.session_id, "
                "input_sha256=excluded.input_sha256, config_hash=excluded.config_hash, "
                "result_dir=excluded.result_dir, status=excluded.status, error=excluded.error, "
                "frames=excluded.frames, fps=excluded.fps, duration_s=excluded.duration_s, "
                "detection_rate=excluded.detection_rate, view_dominant=excluded.view_dominant, "
                "analyzed_utc=excluded.analyzed_utc RETURNING id",
                row,
            ).fetchone()[0]
            con.execute("DELETE FROM metrics WHERE recording_id=?", (rec_id,))
            con.execute("DELETE FROM findings WHERE recording_id=?", (rec_id,))
            con.executemany(
                "INSERT INTO metrics(recording_id, key, domain, value, unit, iqr, n_frames, status, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(_metric_rows(rec_id, result)),
            )
            con.executemany(
                "INSERT INTO findings(recording_id, rule_id, status, title, data_json) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        rec_id,
                        f.get("rule_id") or f.get("id"),
                        f.get("status"),
                        f.get("title"),
                        json.dumps(f, default=str),
                    )
                    for f in result.get("findings") or []
                    if isinstance(f, Mapping)
                ],
            )
        return int(rec_id)

    # ------------------------------------------------------------------ reading
    def list_subjects(self) -> pd.DataFrame:
        """One row per subject: id, height_cm, n_sessions, n_recordings, first/last session date."""
        return pd.read_sql_query(
            "SELECT s.id AS subject_id, s.height_cm, COUNT(DISTINCT r.session_id) AS n_sessions, "
            "COUNT(r.id) AS n_recordings, MIN(NULLIF(se.session_date, '')) AS first_session, "
            "MAX(NULLIF(se.session_date, '')) AS last_session FROM subjects s "
            "LEFT JOIN recordings r ON r.subject_id = s.id LEFT JOIN sessions se ON se.id = r.session_id "
            "GROUP BY s.id ORDER BY s.id",
            self._con,
        )

    def recordings(self, subject_id: str | None = None) -> pd.DataFrame:
        """One row per recording (optionally of one subject), newest session last."""
        where, params = ("WHERE r.subject_id = ?", (subject_id,)) if subject_id else ("", ())
        return pd.read_sql_query(
            "SELECT r.id AS recording_id, r.path, r.subject_id, se.session_date, r.status, r.error, "
            "r.frames, r.fps, r.duration_s, r.detection_rate, r.view_dominant, r.input_sha256, "
            "r.config_hash, r.result_dir, r.analyzed_utc, "
            "(SELECT COUNT(*) FROM findings f WHERE f.recording_id = r.id AND f.status = 'flagged') "
            "AS n_flagged FROM recordings r LEFT JOIN sessions se ON se.id = r.session_id "
            f"{where} ORDER BY se.session_date, r.path",
            self._con,
            params=params,
        )

    def subject_metrics(self, subject_id: str, metric: str | None = None) -> pd.DataFrame:
        """Long table of one subject's metrics across sessions.

        Columns: session_date, recording_id, path, key, domain, value, unit, iqr, status, reason.
        Sorted by session date, then path, then metric key.
        """
        sql = (
            "SELECT se.session_date, r.id AS recording_id, r.path, m.key, m.domain, m.value, m.unit, "
            "m.iqr, m.n_frames, m.status, m.reason FROM metrics m JOIN recordings r ON r.id = m.recording_id "
            "LEFT JOIN sessions se ON se.id = r.session_id WHERE r.subject_id = ?"
        )
        params: tuple[Any, ...] = (subject_id,)
        if metric:
            sql += " AND m.key = ?"
            params += (metric,)
        sql += " ORDER BY se.session_date, r.path, m.domain DESC, m.key"
        return pd.read_sql_query(sql, self._con, params=params)

    def findings(self, recording_id: int) -> pd.DataFrame:
        """The findings of one recording: rule_id, status, title, data_json."""
        return pd.read_sql_query(
            "SELECT rule_id, status, title, data_json FROM findings WHERE recording_id=? ORDER BY id",
            self._con,
            params=(recording_id,),
        )

    def counts(self) -> dict[str, int]:
        """Row count of each table (for checks and the CLI)."""
        return {
            t: int(self._con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in ("subjects", "sessions", "recordings", "metrics", "findings")
        }


def _metric_rows(rec_id: int, result: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    sections = (
        ("posture", result.get("metrics") or {}),
        ("gait", (result.get("gait") or {}).get("metrics") or {}),
    )
    for domain, metrics in sections:
        for key, m in metrics.items():
            if not isinstance(m, Mapping):
                continue
            yield (
                rec_id,
                key,
                domain,
                _float(m.get("value")),
                m.get("unit"),
                _float(m.get("iqr")),
                m.get("n_frames"),
                m.get("status"),
                m.get("reason"),
            )


def metrics_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Pivot :meth:`History.subject_metrics` to one row per recording, one column per metric key."""
    if long.empty:
        return pd.DataFrame(columns=["session_date", "path"])
    dedup = long.drop_duplicates(["session_date", "path", "key"])
    wide = dedup.set_index(["session_date", "path", "key"])["value"].unstack("key")
    wide = wide[list(dict.fromkeys(dedup["key"]))]  # metric columns in query order
    wide.columns.name = None
    return wide.reset_index()
