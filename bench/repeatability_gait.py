"""Test-retest repeatability of the gait metrics on simulated walkers (issue 17).

Each "subject" is one simulated walker (posture_cam.simulate.gait_recording: healthy, hemiplegic,
parkinsonian, ataxic, waddling, each in its default layout: side, oblique or toward the camera),
recorded again with a new realisation of the sensor noise and of the pose-model faults measured on
MediaPipe renders (``realistic=True``: legs drawn together, correlated landmark errors, far-side
noise, leg-label swaps, dropped frames). The walker's own step pattern is the same, so this is a lower
bound of a real person's test-retest variability. Every recording goes through the analysis stage
(prepare, gait) as a video's landmarks would. Per metric: SEM and SDC95 (posture_cam.repeatability).

    python bench/repeatability_gait.py            # prints the table
    python bench/repeatability_gait.py --write    # adds the gait metrics to posture_cam/repeatability.toml
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture_cam.metric_keys import GAIT_METRIC_KEYS  # noqa: E402
from posture_cam.repeatability import Repeatability, repeatability  # noqa: E402

WALKERS = ("healthy", "hemiplegic", "parkinsonian", "ataxic", "waddling")
SEEDS = (1, 2, 3, 4, 5)
BEGIN = "# --- gait metrics: written by bench/repeatability_gait.py --write ---"


def measure(seeds: tuple[int, ...]) -> list[Repeatability]:
    from posture_cam.config import Config
    from posture_cam.pipeline import analyze_sequence
    from posture_cam.simulate.gait_recording import recording, simulate_recording

    values: dict[str, dict[str, list[float]]] = {}
    units: dict[str, str] = {}
    t0 = time.time()
    for walker in WALKERS:
        for seed in seeds:
            seq, _ = simulate_recording(recording(walker, seed=seed, realistic=True))
            res = analyze_sequence(seq, None, Config())
            for key, m in (res["gait"]["metrics"] or {}).items():
                if key in GAIT_METRIC_KEYS and m.get("status") == "ok" and m.get("value") is not None:
                    values.setdefault(key, {}).setdefault(walker, []).append(float(m["value"]))
                    units[key] = m.get("unit") or ""
            print(f"  {walker:14s} seed {seed} done ({time.time() - t0:.0f} s)", file=sys.stderr)
    rows = []
    for key in GAIT_METRIC_KEYS:
        per = values.get(key)
        if not per:
            continue
        try:
            rows.append(repeatability(key, units[key], list(per.values()), source="simulated walkers"))
        except ValueError:
            continue
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="add the gait rows to repeatability.toml")
    args = ap.parse_args()
    rows = measure(SEEDS)
    print(f"\n{'metric':34s} {'unit':10s} {'SEM':>8s} {'SDC95':>8s} {'subjects':>8s} {'values':>7s}")
    for r in rows:
        print(f"{r.key:34s} {r.unit:10s} {r.sem:8.3f} {r.sdc95:8.3f} {r.n_subjects:8d} {r.n_trials:7d}")
    if args.write:
        path = ROOT / "posture_cam" / "repeatability.toml"
        text = path.read_text(encoding="utf-8").split(BEGIN)[0].rstrip("\n") + "\n\n" + BEGIN + "\n"
        have = tomllib.loads(text).get("metrics", {})
        for r in rows:
            if r.key in have or not (math.isfinite(r.sem) and math.isfinite(r.sdc95)):
                continue
            text += (
                f'\n[metrics.{r.key}]\nunit = "{r.unit}"\nsem = {r.sem:.4f}\nsdc95 = {r.sdc95:.4f}\n'
                f"n_subjects = {r.n_subjects}\nn_trials = {r.n_trials}\n"
                'source = "simulated walkers with pose-model faults (bench/repeatability_gait.py)"\n'
            )
        path.write_text(text, encoding="utf-8")
        print("added the gait metrics to posture_cam/repeatability.toml", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
