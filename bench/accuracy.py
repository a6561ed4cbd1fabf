"""End-to-end accuracy of posture_cam on synthetic subjects with known truth.

Renders (or reuses from ``--cache``) a grid of clips rendered by ``posture_cam.synth``, runs the
full pipeline (``posture_cam.pipeline.analyze_file``: video -> MediaPipe -> metrics) on each, and
prints per-metric error tables (n, bias, mean absolute error, slope of measured vs true) and gait
event timing errors. ``--write-docs`` also writes docs/accuracy.md.

    python bench/accuracy.py                 # full grid (~15-30 min on 2 shared cores)
    python bench/accuracy.py --quick         # a few cases
    python bench/accuracy.py --cache DIR --write-docs

No correction factor is fitted here: the numbers describe the method, they do not tune it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posture_cam.synth.gait import GaitParams  # noqa: E402
from posture_cam.synth.scenarios import Scenario, render_clip  # noqa: E402
from posture_cam.synth.skeleton import Body, Posture  # noqa: E402

STAND = dict(fps=15.0, n_frames=20)


def _obliquity_case(deg: float, compensated: bool) -> Scenario:
    body = Body(
        leg_length_right_delta_m=-2 * Body().m(Body().hip_joint_half_width) * float(np.sin(np.radians(deg)))
    )
    side_bend = 0.0 if compensated else deg * 0.5
    return Scenario(
        f"front_obliquity_{deg:+.0f}_{'comp' if compensated else 'free'}",
        "front",
        body=body,
        posture=Posture(pelvic_obliquity_deg=deg, trunk_side_bend_deg=side_bend),
        **STAND,
    )  # type: ignore[arg-type]


def grid(quick: bool = False) -> list[Scenario]:
    """The benchmark cases (names are unique; the cache key also hashes the parameters)."""
    cases: list[Scenario] = []
    for deg in (-6.0, 0.0, 6.0) if quick else (-6.0, -3.0, 0.0, 3.0, 6.0):
        cases.append(_obliquity_case(deg, compensated=True))
    if not quick:
        for deg in (-6.0, 6.0):
            cases.append(_obliquity_case(deg, compensated=False))
        for tilt in (-6.0, 6.0):
            cases.append(
                Scenario(
                    f"front_head_tilt_{tilt:+.0f}_shoulder",
                    "front",
                    posture=Posture(head_tilt_deg=tilt, shoulder_elevation_right_m=0.02 * np.sign(tilt)),
                    **STAND,
                )
            )  # type: ignore[arg-type]
    for neck in (12.0, 38.0) if quick else (5.0, 12.0, 25.0, 38.0):
        cases.append(
            Scenario(f"side_neck_{neck:.0f}", "left_side", posture=Posture(neck_flexion_deg=neck), **STAND)
        )  # type: ignore[arg-type]
    if not quick:
        for flex in (0.0, 15.0, 30.0):
            cases.append(
                Scenario(
                    f"side_trunk_{flex:.0f}_knee",
                    "right_side",
                    posture=Posture(
                        trunk_flexion_deg=flex,
                        knee_flexion_left_deg=flex / 2,
                        knee_flexion_right_deg=flex / 2,
                    ),
                    **STAND,
                )
            )  # type: ignore[arg-type]
        cases.append(
            Scenario("side_pelvic_tilt_post", "left_side", posture=Posture(pelvic_tilt_deg=-10.0), **STAND)
        )  # type: ignore[arg-type]
        cases.append(
            Scenario("side_pelvic_tilt_ant", "left_side", posture=Posture(pelvic_tilt_deg=10.0), **STAND)
        )  # type: ignore[arg-type]
    walk = dict(fps=30.0, n_frames=60 if quick else 90, width=640, height=360)
    cases.append(Scenario("walk_side_normal", "left_side", gait=GaitParams(), **walk))  # type: ignore[arg-type]
    if not quick:
        cases.append(
            Scenario(
                "walk_side_antalgic",
                "left_side",
                gait=GaitParams(
                    cadence_steps_per_min=100,
                    step_length_m=0.55,
                    right_step_phase=0.57,
                    stance_fraction_left=0.67,
                    stance_fraction_right=0.53,
                ),
                **walk,
            )
        )  # type: ignore[arg-type]
        cases.append(
            Scenario(
                "walk_front_trendelenburg",
                "front",
                gait=GaitParams(pelvic_drop_left_stance_deg=9.0),
                **{**walk, "width": 480},
            )
        )  # type: ignore[arg-type]
    return cases


def cache_key(scn: Scenario) -> str:
    blob = json.dumps({k: v for k, v in asdict(scn).items()}, sort_keys=True, default=str)
    return f"{scn.name}_{hashlib.sha256(blob.encode()).hexdigest()[:10]}"


def ensure_rendered(scn: Scenario, cache: Path) -> tuple[Path, dict[str, Any]]:
    key = cache_key(scn)
    mp4, js = cache / f"{key}.mp4", cache / f"{key}.json"
    if not (mp4.is_file() and js.is_file()):
        t = time.time()
        render_clip(replace(scn, name=key), cache)
        print(f"  rendered {scn.name} in {time.time() - t:.0f} s", flush=True)
    # the truth is pure geometry: recompute it every run so a change of metric definitions is never
    # compared against a stale cached truth (only the slow renders are cached)
    from posture_cam.synth.scenarios import truth as scenario_truth

    return mp4, scenario_truth(replace(scn, name=key))


def _value(m: Any) -> float | None:
    if isinstance(m, dict) and isinstance(m.get("value"), int | float) and m.get("status", "ok") == "ok":
        return float(m["value"])
    return None


def match_events(true_ev: list[dict], meas_ev: list[dict], tol_s: float = 0.25) -> list[float]:
    """Signed timing errors (measured - true, s) of each true event matched to the nearest measured
    event of the same foot and type within ``tol_s``."""
    out = []
    for e in true_ev:
        cands = [
            m
            for m in meas_ev
            if m.get("foot") == e["foot"]
            and m.get("type") == e["type"]
            and abs(float(m.get("time_s", m.get("time", 1e9))) - e["time_s"]) <= tol_s
        ]
        if cands:
            best = min(cands, key=lambda m: abs(float(m.get("time_s", m.get("time"))) - e["time_s"]))
            out.append(float(best.get("time_s", best.get("time"))) - e["time_s"])
    return out


def summarise(pairs: dict[str, list[tuple[float, float]]]) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for key, pts in sorted(pairs.items()):
        a = np.array(pts, float)
        err = a[:, 1] - a[:, 0]
        slope = (
            float(np.polyfit(a[:, 0], a[:, 1], 1)[0])
            if len(a) >= 3 and np.ptp(a[:, 0]) > 1e-6
            else float("nan")
        )
        rows.append((key, len(a), float(err.mean()), float(np.abs(err).mean()), slope))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=REPO / "tmp" / "accuracy_cache")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", default=None, help="case names to run")
    ap.add_argument("--write-docs", action="store_true", help="write docs/accuracy.md")
    args = ap.parse_args(argv)
    from posture_cam.pipeline import SubjectInfo, analyze_file

    args.cache.mkdir(parents=True, exist_ok=True)
    pairs: dict[str, list[tuple[float, float]]] = {}
    ev_err: dict[str, list[float]] = {}
    ev_counts = [0, 0]
    per_case: list[str] = []
    for scn in grid(args.quick):
        if args.only and scn.name not in args.only:
            continue
        print(f"case {scn.name}", flush=True)
        mp4, truth = ensure_rendered(scn, args.cache)
        out = args.cache / f"{cache_key(scn)}_result"
        res = analyze_file(mp4, out, subject=SubjectInfo(height_cm=truth["subject"]["height_cm"])).result
        det = res.get("detection", {}).get("detection_rate")
        per_case.append(f"| {scn.name} | {scn.view} | {res.get('view', {}).get('dominant')} | {det} |")
        for section, tm, mm in (
            ("metrics", truth["metrics"], res.get("metrics", {})),
            ("gait", truth["gait"]["metrics"], res.get("gait", {}).get("metrics", {})),
        ):
            for key, tv in tm.items():
                t = (
                    _value(tv)
                    if isinstance(tv, dict)
                    else (float(tv) if isinstance(tv, int | float) else None)
                )
                m = _value(mm.get(key))
                if t is not None and m is not None:
                    pairs.setdefault(key, []).append((t, m))
                    print(f"  {section}.{key}: true {t:.2f} measured {m:.2f}")
        true_ev = truth["gait"]["events"]
        if true_ev:
            meas = res.get("gait", {}).get("events", [])
            for typ in {e["type"] for e in true_ev}:
                errs = match_events([e for e in true_ev if e["type"] == typ], meas)
                ev_err.setdefault(typ, []).extend(errs)
                ev_counts[0] += sum(e["type"] == typ for e in true_ev)
                ev_counts[1] += len(errs)
    lines = ["| metric | n | bias | MAE | slope measured/true |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {k} | {n} | {b:+.2f} | {mae:.2f} | {s:.2f} |" for k, n, b, mae, s in summarise(pairs)]
    ev_lines = ["| event | n matched | bias (ms) | MAE (ms) |", "|---|---:|---:|---:|"]
    for typ, e in sorted(ev_err.items()):
        a = np.array(e) * 1000
        ev_lines.append(f"| {typ} | {len(a)} | {a.mean():+.0f} | {np.abs(a).mean():.0f} |")
    text = "\n".join(
        [
            "## Metric errors (measured - true)",
            *lines,
            "",
            f"## Gait events ({ev_counts[1]} of {ev_counts[0]} true events matched within 0.25 s)",
            *ev_lines,
            "",
            "## Cases",
            "| case | view | detected view | detection rate |",
            "|---|---|---|---:|",
            *per_case,
        ]
    )
    print(text)
    if args.write_docs:
        doc = REPO / "docs" / "accuracy.md"
        head = doc.read_text().split("<!-- results -->")[0] if doc.is_file() else "# Accuracy\n\n"
        doc.write_text(head + "<!-- results -->\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
