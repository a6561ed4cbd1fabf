"""Benchmark of the live (webcam) path at 640x480: detect + One Euro smoothing + overlay per frame.

    python bench/live.py [VIDEO] [--frames 150] [--out docs/bench_live.md]

VIDEO defaults to a clip from the shared test media ($POSTURE_CAM_DATA or ../shared/data). Frames are
letterboxed to 640x480 and fed through ``posture_cam.live.LiveAnalyzer.process`` with 30 fps
timestamps, exactly as the webcam callback does. Reported: mean / median / p95 added latency per frame
(ms) and the sustainable frame rate (1 / mean). The first frame (model initialisation) is excluded.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def letterbox(rgb: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    import cv2

    w, h = size
    ih, iw = rgb.shape[:2]
    s = min(w / iw, h / ih)
    small = cv2.resize(rgb, (round(iw * s), round(ih * s)), interpolation=cv2.INTER_AREA)
    out = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def run(video: Path, n_frames: int) -> dict[str, float]:
    from posture_cam.live import LiveAnalyzer
    from posture_cam.video import iter_frames

    frames = []
    for f in iter_frames(video):
        frames.append(letterbox(f.rgb))
        if len(frames) >= n_frames:
            break
    while len(frames) < n_frames:  # loop a short clip
        frames += frames[: n_frames - len(frames)]
    an = LiveAnalyzer()
    an.warm_up()
    times, cpu = [], []
    try:
        for i, rgb in enumerate(frames):
            t0, c0 = time.perf_counter(), time.process_time()
            an.process(rgb, i / 30.0)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        stats = an.stats()
    finally:
        an.close()
    ms = 1000.0 * np.asarray(times[1:])
    return {
        "frames": len(ms),
        "with_landmarks": stats.frames_with_landmarks,
        "mean_ms": float(ms.mean()),
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "fps": float(1000.0 / ms.mean()),
        # CPU time of the process per frame (all threads): what a frame costs regardless of other load
        "cpu_ms": float(1000.0 * np.mean(cpu[1:])),
    }


def main(argv: list[str] | None = None) -> int:
    data = Path(os.environ.get("POSTURE_CAM_DATA", REPO.parent / "shared" / "data"))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("video", nargs="?", type=Path, default=data / "walking" / "side_walk_60fps.mp4")
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "bench_live.md")
    args = p.parse_args(argv)
    r = run(args.video, args.frames)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    head = (
        "# Live path benchmark (640x480)\n\n`python bench/live.py`: detect (MediaPipe full, VIDEO mode) "
        "+ One Euro smoothing + overlay + live angles per frame, as in the webcam callback.\n"
        "Target: >= 25 fps, < 150 ms added latency on 2 cores.\n\n"
    )
    machine = (
        f"Input: `{args.video.name}` letterboxed to 640x480, {r['frames']} timed frames "
        f"({r['with_landmarks']} with landmarks). Machine: {os.cpu_count()} cores "
        f"{platform.processor() or ''}, 1-min load average at the end {load:.1f}.\n\n"
    )
    rows = (
        "| frames | mean [ms] | median [ms] | p95 [ms] | fps (1/mean) | CPU per frame [ms] |\n"
        "|---|---|---|---|---|---|\n"
        f"| {r['frames']} | {r['mean_ms']:.1f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} "
        f"| {r['fps']:.1f} | {r['cpu_ms']:.1f} |\n"
    )
    table = head + machine + rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
