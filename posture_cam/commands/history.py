"""``posture-cam history [SUBJECT]``: a subject's metrics across sessions, from the batch history.

Everything printed comes from the database, i.e. from manifests and file names: it passes through
:func:`posture_cam.export.terminal_safe` so no stored text can send escape sequences to the terminal.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="show a subject's metrics across sessions",
        description="Show the metrics of one subject across sessions (one row per recording, "
        "one column per metric), or list the subjects when none is given.",
    )
    p.add_argument("subject", nargs="?", default=None, help="subject id (omit to list subjects)")
    p.add_argument(
        "--db",
        default="history.sqlite",
        help="history database (default: ./history.sqlite; a batch writes OUT/history.sqlite)",
    )
    p.add_argument(
        "--metric",
        action="append",
        default=None,
        metavar="KEY",
        help="only this metric (may repeat), e.g. pelvic_obliquity_deg",
    )
    p.add_argument("--long", action="store_true", help="one row per metric value (with unit and status)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..errors import InputNotFoundError
    from ..export import terminal_safe, terminal_safe_frame
    from ..history import History, metrics_wide

    db = Path(args.db)
    if db.is_dir():
        db = db / "history.sqlite"
    with History(db, read_only=True) as h:
        if args.subject is None:
            subjects = h.list_subjects()
            if subjects.empty:
                print(terminal_safe(f"no subjects in {db}"))
            else:
                print(terminal_safe_frame(subjects).to_string(index=False))
            return 0
        long = h.subject_metrics(args.subject)
        if long.empty and args.subject not in set(h.list_subjects()["subject_id"]):
            raise InputNotFoundError(f"subject '{args.subject}' is not in {db}")
    if args.metric:
        unknown = sorted(set(args.metric) - set(long["key"]))
        if unknown:
            raise InputNotFoundError(
                f"no values of {', '.join(unknown)} for subject '{args.subject}' "
                f"(known: {', '.join(sorted(set(long['key'])))})"
            )
        long = long[long["key"].isin(args.metric)]
    if long.empty:
        print(terminal_safe(f"subject '{args.subject}' has no metric values yet"))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        if args.long:
            cols = ["session_date", "path", "key", "value", "unit", "iqr", "status"]
            print(terminal_safe_frame(long[cols]).to_string(index=False))
        else:
            wide = metrics_wide(long)
            wide["path"] = wide["path"].map(lambda p: Path(p).name)
            print(terminal_safe_frame(wide).to_string(index=False, na_rep="-"))
    return 0
