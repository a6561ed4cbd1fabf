"""Benchmark pose extraction and `analyze` against a bare single-person MediaPipe loop (issue 15).

Each measurement is a fresh Python process; its wall time is taken by the parent from process start to
exit, so imports, model loading and file output count exactly as a user pays them. Kinds:

* ``bare1``  - a bare Tasks API loop: OpenCV decode, ``detect_for_video``, ``num_poses=1`` (the baseline);
* ``bare3``  - the same loop with ``num_poses=3`` (MediaPipe then runs its person detector on every
  frame, because it never tracks as many people as it may find);
* ``extract`` - ``posture_cam.video.iter_frames`` + ``extract_sequence`` with the default config (one
  subject followed by a one-person landmarker, a multi-person pass every 0.5 s);
* ``extract_every`` - the same with ``people_detection_interval_s = 0`` (multi-person landmarker on
  every frame: the behaviour before issue 15);
* ``analyze`` - ``posture_cam.pipeline.analyze_file`` (decode, extraction, conditioning, posture, gait,
  rules, files written).

The kinds run interleaved (A/B/C, A/B/C, ...) so that load from other processes on the shared machine
hits them alike; the table reports the median wall time over ``--repeats`` and the ratio to ``bare1`` of
the same round. Videos: ``--video`` (default the 2.3 s 1080p clip ``walking/side_walk_60fps.mp4``) and,
with ``--long``, two longer recordings (``--long-s``, default 16 s) made in a temporary folder from it by
playing it forwards, backwards, forwards... (the subject walks to and fro, never jumps; a plain loop would
teleport it at every seam, which a follower must treat as a new person): at the source's 1080p and 60 fps,
and at 1280x720, 30 fps.

Prints a Markdown table and writes it to docs/bench_extract.md.
Usage: ``python bench/extract.py [--video walking/side_walk_60fps.mp4] [--long] [--repeats 2] [--no-write]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KINDS = ("bare1", "bare3", "extract", "extract_every", "analyze")


def _data_dir() -> Path:
    return Path(os.environ.get("POSTURE_CAM_DATA", REPO.parent / "shared" / "data")).resolve()


def make_concatenated(video: Path, out: Path, repeat: int = 5) -> Path:
    """Write ``video`` ``repeat`` times in a row into ``out`` by remuxing packets (no re-encoding)."""
    import av

    with av.open(str(video)) as src, av.open(str(out), "w") as dst:
        ist = src.streams.video[0]
        ost = dst.add_stream_from_template(ist)
        offset = 0
        for _ in range(repeat):
            src.seek(0)
            last = 0
            for pkt in src.demux(ist):
                if pkt.pts is None:
                    continue
                end = pkt.pts + (pkt.duration or 0)
                last = max(last, end)
                pkt.pts += offset
                if pkt.dts is not None:
                    pkt.dts += offset
                pkt.stream = ost
                dst.mux(pkt)
            offset += last
    return out


def make_long(
    video: Path, out: Path, seconds: float, *, size: tuple[int, int] | None = None, fps: float = 0.0
) -> Path:
    """A recording of at least ``seconds`` made from ``video`` played forwards, backwards, forwards...
    (so the subject moves continuously, never jumps), re-encoded (H.264) at ``size`` (default: the
    source's) and ``fps`` (default: the source's; lower keeps every frame at or after the next tick)."""
    import cv2

    from posture_cam.overlay import H264Writer
    from posture_cam.video import iter_frames, probe

    info = probe(video)
    rate = fps or info.fps
    w, h = size or (info.width, info.height)
    clip, next_t = [], 0.0  # JPEG in memory: 135 frames of 1080p stay ~30 MB
    for f in iter_frames(video):
        if f.timestamp_s + 1e-6 >= next_t:
            rgb = (
                f.rgb
                if (w, h) == (info.width, info.height)
                else cv2.resize(f.rgb, (w, h), interpolation=cv2.INTER_AREA)
            )
            clip.append(cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 95])[1])
            next_t += 1.0 / rate
    n_needed = int(np.ceil(seconds * rate))
    with H264Writer(out, rate, (w, h)) as writer:
        written, forwards = 0, True
        while written < n_needed:
            for buf in clip if forwards else clip[::-1]:
                writer.write(cv2.imdecode(buf, cv2.IMREAD_UNCHANGED))
                written += 1
            forwards = not forwards
    return out


def _bare(video: Path, num_poses: int) -> int:
    """The baseline a user would write: OpenCV decode + Tasks API VIDEO mode."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from posture_cam.model_bundle import ensure_model

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(ensure_model("full"))),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=num_poses,
    )
    n, last = 0, -1
    cap = cv2.VideoCapture(str(video))
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            ts = max(int(round(cap.get(cv2.CAP_PROP_POS_MSEC))), last + 1)
            last = ts
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ts)
            n += 1
    cap.release()
    return n


def _worker(kind: str, video: Path) -> dict[str, float]:
    if kind in ("bare1", "bare3"):
        n = _bare(video, int(kind[-1]))
    elif kind.startswith("extract"):
        from posture_cam.config import ExtractionConfig
        from posture_cam.extract import extract_sequence
        from posture_cam.video import iter_frames, probe

        info = probe(video)
        cfg = (
            ExtractionConfig(people_detection_interval_s=0.0)
            if kind == "extract_every"
            else ExtractionConfig()
        )
        seq = extract_sequence(
            iter_frames(video), fps=info.fps, frame_size=(info.width, info.height), config=cfg
        )
        n = seq.n_frames
    elif kind == "analyze":
        from posture_cam.pipeline import analyze_file

        with tempfile.TemporaryDirectory() as out:
            res = analyze_file(video, Path(out) / "run")
            n = int(res.result["input"]["frames"])
    else:
        raise SystemExit(f"unknown measurement {kind}")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = ru.ru_maxrss / 1024.0  # Linux: KiB
    # CPU seconds of the whole process (all threads): unlike wall time, barely affected by other load
    return {"frames": n, "peak_rss_mb": peak_mb, "cpu_s": ru.ru_utime + ru.ru_stime}


def _measure(kind: str, video: Path) -> dict[str, float] | None:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--video", str(video)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        why = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode
        print(f"{kind}: failed ({why})", file=sys.stderr)
        return None
    out = json.loads(lines[-1])
    out["seconds"] = wall
    return out


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover
        return "?"


def bench_video(label: str, video: Path, kinds: list[str], repeats: int) -> list[str]:
    from posture_cam.video import probe

    info = probe(video)
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    ratios: dict[str, list[float]] = {k: [] for k in kinds}
    cpu_ratios: dict[str, list[float]] = {k: [] for k in kinds}
    loads = [_load()]
    for _ in range(repeats):
        this: dict[str, dict[str, float]] = {}
        for k in kinds:
            r = _measure(k, video)
            print(f"  {label} {k}: {r}", file=sys.stderr, flush=True)
            if r is not None:
                runs[k].append(r)
                this[k] = r
        for k in kinds:
            if k in this and "bare1" in this:
                ratios[k].append(this[k]["seconds"] / this["bare1"]["seconds"])
                cpu_ratios[k].append(this[k]["cpu_s"] / this["bare1"]["cpu_s"])
        loads.append(_load())
    rows = []
    for k in kinds:
        if not runs[k]:
            rows.append(f"| {label} | {k} | failed | | | | |")
            continue
        secs = statistics.median(r["seconds"] for r in runs[k])
        frames = int(runs[k][0]["frames"])
        ratio = f"{statistics.median(ratios[k]):.2f}x" if ratios[k] else "-"
        cpu = statistics.median(r["cpu_s"] for r in runs[k])
        cpu_ratio = f"{statistics.median(cpu_ratios[k]):.2f}x" if cpu_ratios[k] else "-"
        rt = info.duration_s / cpu  # real time per core: recording seconds per CPU second
        mem = max(r["peak_rss_mb"] for r in runs[k])
        rows.append(
            f"| {label} | {k} | {frames} | {secs:.1f} | {ratio} | {cpu:.1f} | {cpu_ratio} | {rt:.2f}x "
            f"| {mem:.0f} |"
        )
    rows.append(f"| {label} | (load average during the runs: {' -> '.join(loads)}) | | | | | | | |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", default="walking/side_walk_60fps.mp4", help="path, or relative to shared/data")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved rounds per video (median reported)")
    ap.add_argument("--long", action="store_true", help="also the >= 15 s 1080p and 720p recordings")
    ap.add_argument("--long-only", action="store_true", help="only the long recordings")
    ap.add_argument("--long-s", type=float, default=16.0, help="length of the long recordings (s)")
    ap.add_argument("--no-write", action="store_true", help="do not write docs/bench_extract.md")
    args = ap.parse_args()
    video = Path(args.video)
    if not video.is_file():
        video = _data_dir() / args.video
    if not video.is_file():
        print(f"video not found: {video} (set POSTURE_CAM_DATA)", file=sys.stderr)
        return 2
    if args.worker:
        print(json.dumps(_worker(args.worker, video)))
        return 0
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if "bare1" not in kinds:
        kinds.insert(0, "bare1")
    rows = [
        "| recording | measurement | frames | wall [s] | wall vs bare1 | CPU [s] | CPU vs bare1 "
        "| real time per core | peak RSS [MB] |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    from posture_cam.video import probe

    with tempfile.TemporaryDirectory() as tmp:
        todo: list[tuple[str, Path]] = []
        if not args.long_only:
            info = probe(video)
            todo.append((f"{video.name} ({info.width}x{info.height}, {info.duration_s:.1f} s)", video))
        if args.long or args.long_only:
            info = probe(video)
            long1080 = make_long(video, Path(tmp) / "long_1080.mp4", args.long_s)
            long720 = make_long(video, Path(tmp) / "long_720p30.mp4", args.long_s, size=(1280, 720), fps=30.0)
            for p in (long1080, long720):
                i = probe(p)
                todo.append(
                    (
                        f"{video.stem} to+fro ({i.width}x{i.height}, {i.fps:.0f} fps, {i.duration_s:.0f} s)",
                        p,
                    )
                )
        for label, path in todo:
            rows += bench_video(label, path, kinds, args.repeats)
    text = "\n".join(
        [
            "## Pose extraction benchmark (bench/extract.py)",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), Python "
            f"{platform.python_version()}. Wall time of a fresh process per measurement (imports, model "
            f"load, decode, detection, and for analyze everything up to result.json), median of "
            f"{args.repeats} interleaved round(s); ratios within one round. CPU = user + system seconds "
            "of the process (all threads), little affected by other load; real time per core = recording "
            "duration / CPU seconds.",
            "",
            *rows,
            "",
        ]
    )
    print(text)
    if not args.no_write:
        (REPO / "docs" / "bench_extract.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
