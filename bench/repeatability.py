"""Test-retest repeatability of the posture metrics on rendered subjects (issue 17).

Each "subject" is one rendered standing posture (posture_cam.synth sample scenarios: neutral front,
neutral side, forward-head side, compensated pelvic obliquity front). Each is filmed again under
conditions that should not change the numbers: new sensor noise, camera 0.4 m nearer or further,
camera 0.3 m higher, another clothing colour, light from another side. Every clip goes through the
whole pipeline (``analyze_file``: MediaPipe, prepare, posture). Per metric: SEM (within-subject SD) and
SDC95 = 1.96 sqrt(2) SEM (posture_cam.repeatability).

    python bench/repeatability.py            # prints the table
    python bench/repeatability.py --write    # also writes posture_cam/repeatability.toml

Rendering needs the synth extra (pyrender, EGL/OSMesa). About 4 x 7 clips of 20 frames.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture_cam.metric_keys import POSTURE_METRIC_KEYS  # noqa: E402
from posture_cam.repeatability import repeatability  # noqa: E402

SUBJECTS = (
    "standing_neutral_front",
    "pelvic_obliquity_compensated_front",
    "standing_neutral_side",
    "forward_head_chain_side",
)
#: (label, changes to the Scenario, camera height offset m, light direction, pixel noise SD, seed)
CONDITIONS: tuple[tuple[str, dict, float, tuple[float, float, float] | None, float, int], ...] = (
    ("base", {}, 0.0, None, 2.0, 1),
    ("new noise", {}, 0.0, None, 2.0, 2),
    ("nearer 0.4 m", {"distance_m": 3.2}, 0.0, None, 2.0, 3),
    ("further 0.4 m", {"distance_m": 4.0}, 0.0, None, 2.0, 4),
    ("camera 0.3 m higher", {}, 0.3, None, 2.0, 5),
    ("other clothing", {"style": "red"}, 0.0, None, 2.0, 7),
    ("light from the other side", {}, 0.0, (0.5, -1.0, -0.4), 2.0, 8),
)


def render(scn, cam_dy: float, light, noise_sd: float, seed: int, out: Path) -> Path:
    from posture_cam.synth.camera import Camera
    from posture_cam.synth.render import Renderer
    from posture_cam.synth.scenarios import build, write_mp4

    sks, cam = build(scn)
    if cam_dy:
        cam = Camera(
            (cam.position[0], cam.position[1] + cam_dy, cam.position[2]),
            cam.target,
            cam.yfov_deg,
            cam.width,
            cam.height,
            cam.roll_deg,
        )
    kw = {} if light is None else {"light_dir": light}
    rng = np.random.default_rng(seed)
    frames = []
    with Renderer(cam, supersample=scn.supersample, style=scn.style, **kw) as r:
        for sk in sks:
            img = r.render(sk).astype(np.float32)
            img += rng.normal(0.0, noise_sd, img.shape)
            frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return write_mp4(out, frames, scn.fps)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write posture_cam/repeatability.toml")
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--cache", type=Path, default=None, help="keep the rendered clips here (re-used)")
    ap.add_argument("--json", type=Path, default=None, help="also save the raw values as JSON here")
    args = ap.parse_args()

    from posture_cam.pipeline import analyze_file
    from posture_cam.synth.scenarios import sample

    values: dict[str, dict[str, list[float]]] = {}  # key -> subject -> values
    units: dict[str, str] = {}
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        clips = args.cache or Path(tmp)
        clips.mkdir(parents=True, exist_ok=True)
        for subj in SUBJECTS:
            base = dataclasses.replace(sample(subj), n_frames=args.frames)
            for label, change, dy, light, noise, seed in CONDITIONS:
                scn = dataclasses.replace(base, **change)
                clip = clips / f"{subj}-{seed}-{args.frames}.mp4"
                if not clip.is_file():
                    render(scn, dy, light, noise, seed, clip)
                res = analyze_file(clip, Path(tmp) / f"out-{subj}-{seed}").result
                for key in POSTURE_METRIC_KEYS:
                    m = res["metrics"].get(key) or {}
                    if m.get("status") == "ok" and m.get("value") is not None:
                        values.setdefault(key, {}).setdefault(subj, []).append(float(m["value"]))
                        units[key] = m.get("unit") or ""
                print(f"  {subj:38s} {label:26s} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    rows = []
    for key in POSTURE_METRIC_KEYS:
        per_subject = values.get(key)
        if not per_subject:
            continue
        try:
            rows.append(repeatability(key, units[key], list(per_subject.values()), source="renders"))
        except ValueError:
            continue
    print(f"\n{'metric':40s} {'unit':5s} {'SEM':>7s} {'SDC95':>7s} {'subjects':>8s} {'values':>7s}")
    for r in rows:
        print(f"{r.key:40s} {r.unit:5s} {r.sem:7.2f} {r.sdc95:7.2f} {r.n_subjects:8d} {r.n_trials:7d}")
    if args.json:
        args.json.write_text(json.dumps({"values": values, "units": units}, indent=1))
    if args.write:
        lines = [
            "# Test-retest repeatability of the posture metrics: SEM (within-subject SD) and",
            "# SDC95 = 1.96 * sqrt(2) * SEM. Written by `python bench/repeatability.py --write`;",
            "# protocol and discussion in docs/repeatability.md. Do not edit by hand.",
            "",
            "[protocol]",
            f'date = "{date.today().isoformat()}"',
            f'summary = "rendered standing subjects x {len(CONDITIONS)} capture conditions (noise, camera '
            'distance +-0.4 m, 0.3 m higher, clothing, lighting), whole pipeline"',
            f"subjects = {json.dumps(list(SUBJECTS))}",
            f"conditions = {json.dumps([c[0] for c in CONDITIONS])}",
            f"frames_per_clip = {args.frames}",
            "",
        ]
        for r in rows:
            if not (math.isfinite(r.sem) and math.isfinite(r.sdc95)):
                continue
            lines += [
                f"[metrics.{r.key}]",
                f'unit = "{r.unit}"',
                f"sem = {r.sem:.4f}",
                f"sdc95 = {r.sdc95:.4f}",
                f"n_subjects = {r.n_subjects}",
                f"n_trials = {r.n_trials}",
                'source = "renders (bench/repeatability.py)"',
                "",
            ]
        (ROOT / "posture_cam" / "repeatability.toml").write_text("\n".join(lines))
        print("wrote posture_cam/repeatability.toml", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
