"""The batch summary table: one row per recording, written as ``summary.csv`` and ``summary.parquet``.

Columns (fixed first, then one column per metric key seen in the batch):

``name`` (result folder), ``path``, ``subject_id``, ``session_date``, ``status`` (``ok`` | ``failed``
| ``pending``), ``reused`` (True when an earlier finished result was kept), ``error`` (one line),
``duration_s``, ``frames``, ``detection_rate`` (0-1), ``view``, ``n_flagged``, ``n_borderline``,
``flagged_findings`` (``"title [status]"`` joined by ``"; "``), then posture metric values
(``<key>``, in the metric's unit, empty when not assessable) and gait metric values (``gait.<key>``).

Text comes from users and file names: every cell is UTF-8 (a file name that is not valid UTF-8 shows
its odd bytes as ``\\xNN``, :mod:`posture_cam.paths`), and in ``summary.csv`` a text cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) starts with ``'``
(:func:`posture_cam.export.csv_cell`); ``summary.parquet`` keeps the text as it is.

Both files are rewritten atomically (temp file + rename) each time a recording finishes, so a reader
never sees a half-written table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..export import csv_safe_frame
from ..paths import display_path, display_text
from ..sequence import atomic_path
from .inputs import Recording

FIXED_COLUMNS = (
    "name",
    "path",
    "subject_id",
    "session_date",
    "status",
    "reused",
    "error",
    "duration_s",
    "frames",
    "detection_rate",
    "view",
    "n_flagged",
    "n_borderline",
    "flagged_findings",
)


def summary_row(
    rec: Recording,
    *,
    status: str,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
    reused: bool = False,
) -> dict[str, Any]:
    """The summary row of one recording (``result`` is its result.json dict when finished), read
    through the typed result model (:mod:`posture_cam.result_model`)."""
    from ..errors import NotAResultError
    from ..result_model import Result

    try:
        res = Result.coerce(result) if result else None
    except NotAResultError as exc:  # a reused result.json with a malformed section: say so, no crash
        res, error = None, str(exc)
    shown = [] if res is None else res.findings_with("flagged", "borderline")
    row: dict[str, Any] = {
        "name": rec.name,
        "path": display_path(rec.path),
        "subject_id": None if rec.subject_id is None else display_text(rec.subject_id),
        "session_date": rec.session_date,
        "status": status,
        "reused": bool(reused),
        "error": None if error is None else display_text(error),
        "duration_s": None if res is None else res.input.duration_s,
        "frames": None if res is None else res.input.frames,
        "detection_rate": None if res is None else res.detection.detection_rate,
        "view": None if res is None else res.view.dominant,
        "n_flagged": None if res is None else len(res.findings_with("flagged")),
        "n_borderline": None if res is None else len(res.findings_with("borderline")),
        "flagged_findings": None
        if res is None
        else "; ".join(f"{f.title or f.extra.get('rule_id') or f.id} [{f.status}]" for f in shown),
    }
    if res is not None:
        for key, m in res.metrics.items():
            row[key] = m.value
        for key, m in res.gait.metrics.items():
            row[f"gait.{key}"] = m.value
    return row


def summary_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows -> DataFrame with the fixed columns first, posture metrics, then gait metrics."""
    metric_cols = sorted({k for r in rows for k in r if k not in FIXED_COLUMNS and not k.startswith("gait.")})
    gait_cols = sorted({k for r in rows for k in r if k.startswith("gait.")})
    df = pd.DataFrame(rows, columns=list(FIXED_COLUMNS) + metric_cols + gait_cols)
    for col in ("duration_s", "detection_rate", *metric_cols, *gait_cols):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in ("frames", "n_flagged", "n_borderline"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    df["reused"] = df["reused"].astype(bool)
    for col in ("name", "path", "subject_id", "session_date", "status", "error", "view", "flagged_findings"):
        df[col] = df[col].astype("string")
    return df


def write_summary(rows: list[dict[str, Any]], out_dir: Path) -> pd.DataFrame:
    """Write ``summary.csv`` and ``summary.parquet`` into ``out_dir`` atomically; returns the table."""
    df = summary_frame(rows)
    with atomic_path(out_dir / "summary.csv") as tmp:
        csv_safe_frame(df).to_csv(tmp, index=False, encoding="utf-8")
    with atomic_path(out_dir / "summary.parquet") as tmp:
        df.to_parquet(tmp, index=False)
    return df
