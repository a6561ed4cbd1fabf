"""``posture-cam samples``: list the bundled synthetic sample videos, or rebuild them.

Rebuilding needs the optional ``[synth]`` extra (pyrender + trimesh, Mesa EGL) and takes a few
minutes on a CPU (about 1-2 s per frame).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "sample_videos"


def register(sub: Any) -> None:
    p = sub.add_parser("samples", help="list (or --regenerate) the synthetic sample videos with ground truth")
    p.add_argument(
        "--regenerate", action="store_true", help="render the videos again (needs the [synth] extra)"
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_DIR, help="folder of the samples (default: %(default)s)"
    )
    p.add_argument("--only", nargs="*", default=None, metavar="NAME", help="regenerate only these samples")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import OutputError
    from ..synth.scenarios import SAMPLES, render_clip

    out: Path = args.out
    if args.regenerate:
        chosen = [s for s in SAMPLES if not args.only or s.name in args.only]
        unknown = set(args.only or ()) - {s.name for s in SAMPLES}
        if unknown:
            print(f"unknown sample(s): {', '.join(sorted(unknown))}")
            return 2
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {out}: {exc.strerror}") from None
        from ..synth.render import RenderUnavailableError

        for s in chosen:
            print(f"rendering {s.name} ({s.n_frames} frames) ...", flush=True)
            try:
                render_clip(s, out)
            except RenderUnavailableError as exc:
                print(f"posture-cam: error: {exc}")
                return 5
    missing = 0
    print(f"{'sample':<38} {'view':<10} {'frames':>6} {'size':>8}  description")
    for s in SAMPLES:
        mp4, js = out / f"{s.name}.mp4", out / f"{s.name}.json"
        ok = mp4.is_file() and js.is_file()
        missing += not ok
        size = f"{mp4.stat().st_size / 1e3:.0f} kB" if mp4.is_file() else "missing"
        print(f"{s.name:<38} {s.view:<10} {s.n_frames:>6} {size:>8}  {s.description}")
        if ok:
            json.loads(js.read_text(encoding="utf-8"))  # a broken truth file should fail loudly
    if missing:
        print(f"{missing} sample(s) missing in {out}: run `posture-cam samples --regenerate`")
        return 1
    return 0
