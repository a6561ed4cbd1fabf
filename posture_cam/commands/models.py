"""``posture-cam models``: list the pose models available offline and where each came from."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="list available pose models (and build the default one)")
    p.add_argument(
        "--build", action="store_true", help="build models/pose_landmarker_full.task now if missing"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..model_bundle import ensure_model, list_models

    if args.build:
        ensure_model("full")
    models = list_models()
    if not models:
        print("no pose models found (run: posture-cam models --build)")
        return 1
    print(f"{'name':<8} {'source':<34} {'size':>9}  path")
    for m in models:
        size = f"{m.size_bytes / 1e6:.1f} MB" if m.size_bytes else "-"
        print(f"{m.name:<8} {str(m.source):<34} {size:>9}  {m.path}")
    return 0
