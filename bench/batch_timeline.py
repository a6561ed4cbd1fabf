"""Timeline of one chunked batch run of a long video: where does the wall time go?

Usage::

    python bench/batch_timeline.py [--repeats 12] [--mode chunked|sequential]

Builds the benchmark's long video (``walking/side_walk_60fps.mp4`` from ``$POSTURE_CAM_DATA`` played
``--repeats`` times, in a temporary folder), then runs the batch tasks by hand on a 2-worker process
pool and prints elapsed time and load average at each milestone: pool created, file hashed and
probed, each chunk finished (frames, task wall time, worker pid), stitch + analysis finished.
``--mode sequential`` runs the whole recording as one task on one worker instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from batch import LONG_SOURCE, concat_video, data_dir  # noqa: E402

from posture_cam.batch.chunking import plan_chunks  # noqa: E402
from posture_cam.batch.executors import ProcessExecutor  # noqa: E402
from posture_cam.batch.inputs import Recording  # noqa: E402
from posture_cam.batch.tasks import (  # noqa: E402
    ChunkTask,
    FinishTask,
    RecordingTask,
    extract_chunk,
    finish_chunked,
    run_recording,
)
from posture_cam.config import Config  # noqa: E402
from posture_cam.video import probe, sha256_file  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--mode", choices=("chunked", "sequential"), default="chunked")
    ap.add_argument("--overlap-s", type=float, default=1.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="posture-cam-timeline-"))
    try:
        vid = concat_video(data_dir() / LONG_SOURCE, tmp / "long.mp4", args.repeats)
        cfg = Config()
        rec = Recording(path=str(vid), name="long")
        work = tmp / "work"
        work.mkdir()
        t0 = time.perf_counter()

        def say(what: str) -> None:
            print(f"{time.perf_counter() - t0:7.1f} s  load {os.getloadavg()[0]:4.1f}  {what}", flush=True)

        ex = ProcessExecutor(2 if args.mode == "chunked" else 1)
        say("pool created")
        if args.mode == "chunked":
            info = probe(vid, cfg.extraction, sha256=sha256_file(vid))
            say(f"hashed + probed ({info.n_frames} frames, {info.duration_s:.1f} s)")
            plans = plan_chunks(info.duration_s, 2, fps=info.fps, overlap_s=args.overlap_s)
            futs = [ex.submit(extract_chunk, ChunkTask(rec, cfg, str(work), p, info)) for p in plans]
            for f in futs:
                o = f.result()
                where = f"task {o.wall_s:.1f} s pid {o.worker_pid}"
                say(f"chunk done: ok={o.ok} frames={o.frames} {where} {o.error or ''}")
            task = FinishTask(rec, cfg, str(work), tuple(plans), args.overlap_s, info)
            o = ex.submit(finish_chunked, task).result()
            say(f"stitch + analysis done: ok={o.ok} task {o.wall_s:.1f} s {o.error or ''}")
        else:
            o = ex.submit(run_recording, RecordingTask(rec, cfg, str(work))).result()
            say(f"recording done: ok={o.ok} frames={o.frames} task {o.wall_s:.1f} s {o.error or ''}")
        ex.close()
        say("pool closed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
