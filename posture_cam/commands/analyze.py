"""``posture-cam analyze INPUT --out DIR``: one video or image -> landmarks, metrics, findings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "analyze",
        help="analyse one video or image",
        description="Analyse one video or image. Writes DIR/landmarks.parquet, "
        "DIR/metrics_timeseries.csv and DIR/result.json (last).",
    )
    p.add_argument("input", help="video (mp4, mov, avi, mkv, webm) or image (jpg, png)")
    p.add_argument("--out", "-o", required=True, help="output folder (created if needed)")
    p.add_argument("--overlay", action="store_true", default=None, help="also write overlay.mp4 (H.264)")
    p.add_argument("--blur-faces", action="store_true", default=None, help="blur faces in the overlay")
    p.add_argument("--csv", action="store_true", default=None, help="also write landmarks.csv")
    p.add_argument("--model", default=None, help="lite | full | heavy or a .task path (default: full)")
    p.add_argument("--config", default=None, help="TOML config file (see posture_cam/default_config.toml)")
    p.add_argument("--height-cm", type=float, default=None, help="subject height, for distances in cm")
    p.add_argument("--subject-id", default=None, help="subject identifier stored in result.json")
    p.add_argument(
        "--corrections",
        default=None,
        metavar="FILE",
        help="apply a clinician's corrections (corrections.json: moved landmarks, edited gait events, "
        "manual measurements); default: the corrections.json already in --out for this recording",
    )
    p.add_argument(
        "--roll-deg",
        type=float,
        default=None,
        help="known camera roll in degrees (default: estimated from the feet)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..pipeline import SubjectInfo, analyze_file

    cfg = load_config(args.config).with_overrides(
        {
            "extraction.model": args.model,
            "output.overlay": args.overlay,
            "output.blur_faces": args.blur_faces,
            "output.csv": args.csv,
            "calibration.camera_roll_deg": args.roll_deg,
            "calibration.subject_height_cm": args.height_cm,
        }
    )
    subject = SubjectInfo(id=args.subject_id, height_cm=args.height_cm)
    progress, close = _progress_bar(disable=args.quiet)
    try:
        corrections = None
        if getattr(args, "corrections", None):
            from ..corrections import Corrections

            corrections = Corrections.load(args.corrections)
        res = analyze_file(
            args.input, args.out, cfg, subject=subject, progress=progress, corrections=corrections
        )
    finally:
        close()
    r = res.result
    view = (r.get("view") or {}).get("dominant")
    print(
        f"analysed {r['input']['frames']} frames ({r['input']['duration_s']:.1f} s); "
        f"person found in {r['detection']['detection_rate']:.0%}; view: {view}"
    )
    flagged = [f for f in r.get("findings", []) if f.get("status") in ("flagged", "borderline")]
    for f in flagged:
        print(f"  {f['status']}: {f['title']}")
    if not flagged:
        print("  no screening findings flagged")
    for w in r.get("warnings", []):
        print(f"  note: {w}")
    print(f"results: {Path(args.out) / 'result.json'}  (explain: posture-cam explain {args.out})")
    return 0


def _progress_bar(disable: bool) -> tuple[Any, Any]:
    """A tqdm bar on stderr, created on the first frame (so an early error prints only its message)."""
    from tqdm import tqdm

    state: dict[str, Any] = {}

    def progress(done: int, total: int | None) -> None:
        if disable:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(
                total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, desc="analysing"
            )
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        if done % 10 == 0 or done == total:
            bar.refresh()

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return progress, close
