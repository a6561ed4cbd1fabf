"""Batch throughput benchmark: 1 vs N workers on many short clips, chunked vs sequential on one long video.

Usage::

    python bench/batch.py [--workers 2] [--copies 2] [--long-repeats 6] [--out docs/bench_batch.md]

Inputs come from ``$POSTURE_CAM_DATA`` (default ``../shared/data``): the short clips are copied
``--copies`` times into a temporary folder; the long video is ``walking/side_walk_60fps.mp4``
concatenated ``--long-repeats`` times (re-encoded at half size with PyAV, in a temporary folder that
is deleted afterwards; nothing is written into the repository except the report).

Reported: wall time (including worker start-up), videos/min, frames/s, speed-up ratios, and peak
resident memory per worker process (ru_maxrss reported by each worker, and the maximum over all
finished child processes from ``getrusage(RUSAGE_CHILDREN)``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import av

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posture_cam.batch import BatchOptions, run_batch  # noqa: E402
from posture_cam.config import Config  # noqa: E402

SHORT_CLIPS = (
    "standing/single_leg_balance_front_vp9.mp4",
    "standing/single_leg_balance_back_oblique.mp4",
    "standing/tpose_back_11frames.mp4",
    "standing/tpose_front_oblique_11frames.mp4",
    "walking/side_walk_60fps.mp4",
)
LONG_SOURCE = "walking/side_walk_60fps.mp4"


def data_dir() -> Path:
    return Path(os.environ.get("POSTURE_CAM_DATA", REPO.parent / "shared" / "data")).resolve()


def concat_video(src: Path, dst: Path, repeats: int, *, scale: float = 0.5) -> Path:
    """Write ``src`` played ``repeats`` times in a row (H.264 or MPEG-4), with continuous timestamps."""
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        rate = stream.average_rate
        w, h = stream.codec_context.width, stream.codec_context.height
    w2, h2 = int(w * scale) // 2 * 2, int(h * scale) // 2 * 2
    with av.open(str(dst), "w") as out:
        try:
            vs = out.add_stream("libx264", rate=rate)
        except Exception:  # pragma: no cover - PyAV build without x264
            vs = out.add_stream("mpeg4", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w2, h2, "yuv420p"
        for _ in range(repeats):  # re-read the clip each time: never hold all frames in memory
            with av.open(str(src)) as inp:
                for frame in inp.decode(inp.streams.video[0]):
                    rgb = frame.reformat(width=w2, height=h2, format="rgb24").to_ndarray()
                    small = av.VideoFrame.from_ndarray(rgb, format="rgb24")  # fresh frame: new timestamps
                    for pkt in vs.encode(small):
                        out.mux(pkt)
        for pkt in vs.encode(None):
            out.mux(pkt)
    return dst


def run(
    inputs: list[Path], out: Path, *, workers: int, chunk_s: float, pipelined: bool | None = None
) -> dict[str, float]:
    t0 = time.perf_counter()
    report = run_batch(
        inputs,
        out,
        Config(),
        BatchOptions(
            workers=workers, chunk_long_videos_s=chunk_s, overlap_s=1.0, progress=False, pipelined=pipelined
        ),
    )
    wall = time.perf_counter() - t0
    if report.n_failed:
        failed = report.summary[report.summary["status"] == "failed"]
        print(
            f"warning: {report.n_failed} recording(s) failed:\n{failed[['path', 'error']].to_string()}",
            file=sys.stderr,
        )
    frames = float(report.summary["frames"].sum())
    per_worker: dict[int, float] = {}
    for o in report.outcomes:
        per_worker[o.worker_pid] = max(per_worker.get(o.worker_pid, 0.0), o.worker_peak_rss_mb)
    result = {
        "wall_s": wall,
        "videos": float(len(report.summary)),
        "frames": frames,
        "failed": float(report.n_failed),
        "videos_per_min": 60.0 * len(report.summary) / wall,
        "frames_per_s": frames / wall,
        "peak_rss_mb": max(per_worker.values()) if per_worker else float("nan"),
        "n_worker_pids": float(len(per_worker)),
    }
    print(f"{out.name}: {result}", file=sys.stderr, flush=True)  # nothing is lost if a later run fails
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--copies", type=int, default=2, help="copies of each short clip")
    ap.add_argument("--long-repeats", type=int, default=6, help="how often the long video repeats its clip")
    ap.add_argument("--out", default=str(REPO / "docs" / "bench_batch.md"))
    ap.add_argument("--only", choices=("all", "short", "long"), default="all", help="which half to run")
    args = ap.parse_args()
    data = data_dir()
    if not (data / "MANIFEST.md").is_file():
        raise SystemExit(f"test media not found at {data} (set POSTURE_CAM_DATA)")
    tmp = Path(tempfile.mkdtemp(prefix="posture-cam-bench-"))
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        short = tmp / "short"
        short.mkdir()
        for k in range(args.copies):
            for rel in SHORT_CLIPS:
                shutil.copy(data / rel, short / f"copy{k}_{Path(rel).name}")
        long_dir = tmp / "long"
        long_dir.mkdir()
        long_video = concat_video(data / LONG_SOURCE, long_dir / "long_walk.mp4", args.long_repeats)
        from posture_cam.video import probe

        long_s = probe(long_video).duration_s
        print(f"short clips: {len(list(short.iterdir()))}; long video: {long_s:.1f} s", file=sys.stderr)
        n = args.workers
        if args.only in ("all", "short"):
            rows.append(("short clips, 1 worker", run([short], tmp / "o1", workers=1, chunk_s=0)))
            rows.append(
                (
                    "short clips, 1 worker, not pipelined",
                    run([short], tmp / "o1b", workers=1, chunk_s=0, pipelined=False),
                )
            )
            rows.append((f"short clips, {n} workers", run([short], tmp / "o2", workers=n, chunk_s=0)))
        if args.only in ("all", "long"):
            rows.append(
                ("long video, 1 worker, sequential", run([long_video], tmp / "o3", workers=1, chunk_s=0))
            )
            rows.append(
                (
                    f"long video, {n} workers, {n} chunks",
                    run([long_video], tmp / "o4", workers=n, chunk_s=long_s / n * 1.01),
                )
            )
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    speeds = {
        "short clips" if name.startswith("short") else "one long video in chunks": None for name, _ in rows
    }
    for label in list(speeds):
        same = [r for name, r in rows if name.startswith("short") == (label == "short clips")]
        one, many = same[0], same[-1]  # 1 worker as a user gets it (pipelined), n workers
        speeds[label] = many["frames_per_s"] / one["frames_per_s"]
        if (
            len(same) == 3
        ):  # and against one worker without the second-core pipelining: the workers' own scaling
            speeds[label + " (vs 1 worker not pipelined)"] = many["frames_per_s"] / same[1]["frames_per_s"]
    lines = [
        "# Batch throughput (bench/batch.py)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average at start {os.getloadavg()[0]:.1f} (shared machine). "
        "Model: full. Wall time includes starting the worker processes. Peak memory = VmHWM of each worker.",
        "",
        "| run | videos (failed) | frames | wall [s] | videos/min | frames/s | peak RSS per worker [MB] |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['videos']:.0f} ({r['failed']:.0f}) | {r['frames']:.0f} | {r['wall_s']:.1f} | "
            f"{r['videos_per_min']:.1f} | {r['frames_per_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        f"Speed-up, {args.workers} workers vs 1: "
        + ", ".join(f"{label} **{v:.2f}x**" for label, v in speeds.items())
        + " (target >= 1.6x on 2 cores).",
        f"Peak RSS over all finished worker processes (RUSAGE_CHILDREN): {children_mb:.0f} MB.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
