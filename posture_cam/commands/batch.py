"""``posture-cam batch INPUT... --out DIR``: analyse many recordings in parallel, resumably."""

from __future__ import annotations

import argparse
import sys
from typing import Any

EPILOG = """\
inputs: folders (searched recursively for video/image files), single files, or a manifest CSV with the
columns path, subject_id, session_date (YYYY-MM-DD), subject_height_cm, view_hint.

output: DIR/<recording>/ (same files as 'analyze', or error.json), DIR/summary.csv and summary.parquet
(one row per recording), DIR/history.sqlite (see 'posture-cam history'). A rerun skips recordings whose
result.json matches the file's SHA-256 and the config; failed recordings are retried.

exit codes: 0 every recording finished; 1 the batch finished but some recordings failed (see the
'status' and 'error' columns of summary.csv); 2 usage error (bad arguments, manifest or config, no
inputs, output folder in use by another batch, Dask scheduler unreachable, damaged history
database); 6 output folder not writable or the disk is full (finished recordings are kept);
130 interrupted (finished recordings are kept).
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help="analyse many recordings (parallel, resumable)",
        description="Analyse many recordings on every core or on a Dask cluster.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="folder, media file or manifest .csv")
    p.add_argument("--out", "-o", required=True, help="output folder (created if needed)")
    p.add_argument("--workers", "-j", type=int, default=None, help="worker processes (default: every core)")
    p.add_argument(
        "--executor",
        choices=("process", "dask"),
        default="process",
        help="process: local process pool (default); dask: dask.distributed",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (e.g. tcp://host:8786); without it --executor dask starts a "
        "LocalCluster with one single-threaded worker process per core",
    )
    p.add_argument("--config", default=None, help="TOML config file (see posture_cam/default_config.toml)")
    p.add_argument(
        "--manifest",
        action="append",
        default=[],
        metavar="CSV",
        help="manifest CSV (same as giving it as an INPUT; may repeat)",
    )
    p.add_argument(
        "--history", default=None, metavar="PATH", help="history database (default: DIR/history.sqlite)"
    )
    p.add_argument(
        "--chunk-long-videos-s",
        type=float,
        default=60.0,
        metavar="S",
        help="split videos longer than S seconds into chunks processed in parallel (0 = never; default 60)",
    )
    p.add_argument(
        "--overlap-s",
        type=float,
        default=1.0,
        metavar="S",
        help="warm-up overlap of each chunk in seconds (default 1.0)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import BatchOptions, run_batch
    from ..config import load_config
    from ..errors import ConfigError
    from ..export import terminal_safe
    from ..paths import display_path

    if args.executor == "process" and args.scheduler:
        raise ConfigError("--scheduler needs --executor dask")
    if args.overlap_s < 0 or args.chunk_long_videos_s < 0:
        raise ConfigError("--overlap-s and --chunk-long-videos-s must be >= 0")
    cfg = load_config(args.config)
    opts = BatchOptions(
        workers=args.workers,
        executor=args.executor,
        scheduler=args.scheduler,
        history_path=args.history,
        chunk_long_videos_s=args.chunk_long_videos_s,
        overlap_s=args.overlap_s,
        progress=not args.quiet,
    )
    report = run_batch([*args.inputs, *args.manifest], args.out, cfg, opts)
    print(
        f"{report.n_ok + report.n_failed} recordings: {report.n_ok} ok ({report.n_reused} reused), "
        f"{report.n_failed} failed, in {report.wall_s:.1f} s"
    )
    failed = report.summary[report.summary["status"] == "failed"]
    for _, row in failed.iterrows():
        print(terminal_safe(f"  failed: {row['path']}: {row['error']}"), file=sys.stderr)
    if report.interrupted:
        print("posture-cam: interrupted; finished recordings are kept, rerun to continue", file=sys.stderr)
    print(terminal_safe(f"summary: {display_path(report.out_dir / 'summary.csv')}"))
    return report.exit_code
