"""``posture-cam explain DIR``: the screening findings of ``DIR/result.json`` in plain words.

Uses the findings stored in ``result.json``; with ``--rules FILE`` (or when the result has no
findings) they are evaluated again from the stored measurements, with the per-frame series of
``DIR/metrics_timeseries.csv`` when present (for the duration/hysteresis test).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputNotFoundError, NotAFileError, PostureCamError


class ResultFileError(PostureCamError):
    """result.json exists but cannot be read as an analysis result."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "explain",
        help="print the screening findings of an analysis folder in plain words",
        description="Print the screening findings of DIR/result.json in plain words. "
        "A screening aid, not a diagnosis.",
    )
    p.add_argument("dir", metavar="DIR", help="an analysis output folder (contains result.json)")
    p.add_argument(
        "--rules",
        metavar="FILE",
        default=None,
        help="re-evaluate with this rules TOML file instead of the stored findings",
    )
    p.add_argument("--json", action="store_true", help="print the findings as JSON instead of text")
    p.set_defaults(run=run)


def read_result(folder: str | Path) -> dict[str, Any]:
    """``DIR/result.json`` as a dict, or a one-line error from posture_cam.errors."""
    d = Path(folder)
    if not d.exists():
        raise InputNotFoundError(f"folder not found: {d}")
    if not d.is_dir():
        raise NotAFileError(f"not a folder: {d} (give the analysis output folder that holds result.json)")
    f = d / "result.json"
    if not f.is_file():
        raise InputNotFoundError(
            f"no result.json in {d} (run 'posture-cam analyze' first, or the analysis did not finish)"
        )
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{f} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ResultFileError(f"{f} is nested too deeply to be an analysis result") from None
    if not isinstance(data, dict):
        raise ResultFileError(f"{f} does not hold an analysis result (expected a JSON object)")
    from ..errors import NotAResultError
    from ..result_model import Result

    try:  # the typed model checks every section's shape (a clear error instead of a crash later)
        Result.from_json(data)
    except NotAResultError as exc:
        raise ResultFileError(f"{f}: {exc}") from None
    return data


def read_series(folder: str | Path) -> tuple[dict[str, list[float]], list[float] | None]:
    """Per-frame series from ``DIR/metrics_timeseries.csv`` (empty when the file is absent)."""
    f = Path(folder) / "metrics_timeseries.csv"
    if not f.is_file():
        return {}, None
    cols: dict[str, list[float]] = {}
    with f.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for k, v in row.items():
                if k is None:
                    continue
                try:
                    x = float(v) if v not in (None, "") else math.nan
                except ValueError:
                    x = math.nan
                cols.setdefault(k, []).append(x)
    ts = cols.pop("timestamp_s", None)
    cols.pop("frame_index", None)
    return cols, ts


def run(args: argparse.Namespace) -> int:
    from ..result_model import Result
    from ..rules import evaluate, explain_findings, load_rules
    from ..rules.engine import Finding

    result = read_result(args.dir)
    stored = [f.to_json() for f in Result.from_json(result).findings]
    if args.rules is not None or not stored:
        rules = load_rules(args.rules)
        series, ts = read_series(args.dir)
        findings = evaluate(result, rules, series=series or None, timestamps_s=ts)
    else:
        try:
            findings = [Finding.from_json(f) for f in stored]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{Path(args.dir) / 'result.json'}: malformed 'findings' ({exc}); "
                "rerun with --rules to evaluate them again"
            ) from None
    if args.json:
        print(json.dumps([f.to_json() for f in findings], indent=2))
    else:
        print(explain_findings(findings))
    return 0
