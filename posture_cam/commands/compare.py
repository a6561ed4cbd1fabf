"""``posture-cam compare DIR_A DIR_B [...]``: did anything change beyond measurement noise?

Sessions are given oldest first (analysis folders, each with a result.json). For every metric measured
in them: the values, the change (last minus first), the smallest detectable change (SDC95, measured,
docs/repeatability.md) and whether the change exceeds it. ``--json`` prints
``{"metrics": {KEY: {"values": [...], "change": x, "sdc95": y, "changed": true|false, ...}}, ...}``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import PostureCamError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare two or more analyses of one person (oldest first): change vs measurement noise",
        description="Compare analysis folders of one person, oldest first. A metric is reported as "
        "changed only when the change (last minus first) exceeds its smallest detectable change "
        "(SDC95) measured in test-retest (docs/repeatability.md).",
    )
    p.add_argument(
        "dirs", nargs="+", metavar="DIR", help="analysis folders (each has result.json), oldest first"
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument(
        "--repeatability",
        metavar="FILE",
        default=None,
        help="a repeatability TOML (default: the shipped posture_cam/repeatability.toml)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..catalogue import label
    from ..compare import compare_dirs
    from ..export import terminal_safe
    from ..repeatability import load_sdc

    if len(args.dirs) < 2:
        raise PostureCamError("compare needs at least two analysis folders (oldest first)")
    cmp = compare_dirs(args.dirs, sdc=load_sdc(args.repeatability))
    if args.json:
        print(json.dumps(cmp.to_json(), indent=2, allow_nan=False))
        return 0
    labels = [s.label for s in cmp.sessions]
    print(f"Comparing {len(labels)} sessions (oldest first): {', '.join(terminal_safe(x) for x in labels)}")
    for w in cmp.subject_warnings + cmp.capture_warnings:
        print(f"  warning: {terminal_safe(w)}")
    if not cmp.metrics:
        print("  no metric was measured in these sessions")
        return 0
    for key, m in cmp.metrics.items():
        vals = ", ".join("-" if v is None else f"{v:.1f}" for v in m.values)
        if m.change is None:
            verdict = "not compared (" + (m.reason or "") + ")"
        elif m.changed:
            verdict = f"CHANGED by {m.change:+.1f} {m.unit} (beyond the SDC of {m.sdc95:.1f})"
        else:
            verdict = f"no detectable change ({m.change:+.1f} {m.unit}; {m.reason})"
        print(f"  {label(key)}: {vals} -> {verdict}")
    return 0
