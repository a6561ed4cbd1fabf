"""Gait accuracy per gait type on GAITSIM recordings (landmark level, exact truth; issue 13).

Each recording (``posture_cam.simulate.gait_recording.recording``) stands, stands talking, walks a
bout, turns 180 degrees on the spot, walks back and stands (15-27 s, 24 fps, 1 px landmark noise,
camera 1.6 m high looking down). The full gait stage runs with the true view labels and prints one
Markdown row per recording: bouts found, contacts within 2 / 3 frames of the truth (walking contacts,
nearest plausible detected contact), false contacts (plausible contacts more than 3 frames from any
true contact, turns included), cadence and median step time against the truth, and the gait findings
the rules raise (flagged / borderline).

    python bench/gait_types.py            # ~1 min on 2 cores
    python bench/gait_types.py --noise 2  # landmark noise in px

No threshold is fitted here; docs/accuracy.md holds the table of the last run.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posture_cam.gait import analyze_gait  # noqa: E402
from posture_cam.rules.engine import evaluate, load_rules  # noqa: E402
from posture_cam.simulate.gait_recording import recording, simulate_recording  # noqa: E402

CASES = [
    ("healthy", None),
    ("healthy", "toward"),
    ("healthy", "oblique"),
    ("hemiplegic", None),
    ("hemiplegic", "toward"),
    ("parkinsonian", None),
    ("parkinsonian", "toward"),
    ("ataxic", None),
    ("waddling", None),
]
GAIT_RULES = (
    "antalgic_gait_chain",
    "trendelenburg_gait",
    "compensated_trendelenburg_left",
    "compensated_trendelenburg_right",
    "gait_asymmetry_right_leg",
    "gait_asymmetry_left_leg",
    "waddling_gait",
    "stooped_short_step_gait",
)


def row(gait: str, layout: str | None, noise_px: float) -> tuple[dict[str, object], np.ndarray]:
    seq, truth = simulate_recording(
        recording(gait, noise_px=noise_px, **({"layout": layout} if layout else {}))
    )
    fps = float(seq.fps)
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    det = [e.time_s for e in rep.events if e.plausible and e.type == "heel_strike"]
    true_walk = truth.contacts(phase="walking")
    err = np.array([min((abs(d - t.time_s) * fps for d in det), default=np.inf) for t in true_walk])
    every = [t.time_s for t in truth.events if t.type == "foot_contact"]
    false = sum(1 for d in det if min(abs(d - t) for t in every) * fps > 3)
    cad = rep.metrics["cadence_steps_per_min"]
    t_cad = truth.metrics["cadence_steps_per_min"]
    st = np.array([s.step_time_s for s in rep.steps])
    t_st = 0.5 * (truth.metrics["step_time_left_s"] + truth.metrics["step_time_right_s"])
    res = json.loads(json.dumps({"gait": rep.to_json()}))
    flags = [
        f"{f.id} ({f.status})"
        for f in evaluate(res, load_rules())
        if f.id in GAIT_RULES and f.status in ("flagged", "borderline")
    ]
    return {
        "gait": gait,
        "layout": layout or "default",
        "view": rep.view,
        "bouts": f"{len(rep.bouts)}/{len(truth.bouts)}",
        "contacts": len(true_walk),
        "within_2": f"{np.mean(err <= 2):.0%}",
        "within_3": f"{np.mean(err <= 3):.0%}",
        "false": false,
        "cadence": f"{cad.value:.1f} / {t_cad:.1f} ({100 * (cad.value / t_cad - 1):+.1f} %)"
        if cad.ok
        else "n/a",
        "step_time_err_ms": f"{1000 * (float(np.median(st)) - t_st):+.0f}" if st.size else "n/a",
        "flags": ", ".join(flags) or "none",
    }, err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--noise", type=float, default=1.0, help="landmark noise (px SD)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    done = [row(g, lay, args.noise) for g, lay in CASES]
    rows = [r for r, _ in done]
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    side = [e for r, e in done if r["view"] in ("left_side", "right_side") and r["gait"] != "healthy"]
    patho = [e for r, e in done if r["gait"] != "healthy"]
    for name, errs in (("side-view pathological", side), ("all pathological (every view)", patho)):
        e = np.concatenate(errs) if errs else np.zeros(0)
        print(f"{name}: {np.sum(e <= 3)}/{e.size} contacts within 3 frames ({np.mean(e <= 3):.0%}), "
              f"{np.sum(e <= 2)} within 2 ({np.mean(e <= 2):.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
