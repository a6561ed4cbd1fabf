"""posture_cam.report: HTML and PDF from an analysis folder; PDF pages rendered with pdftoppm."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from posture_cam import report
from posture_cam.landmarks import Landmark
from posture_cam.sequence import PoseSequence

W, H, FPS, T = 320, 480, 25.0, 50


def standing_figure(t: int) -> np.ndarray:
    """(33, 2) pixels of a front-facing stick figure swaying slightly (subject's left = image right)."""
    pts = np.full((33, 2), np.nan)
    sway = 6 * np.sin(2 * np.pi * t / 25)
    xc = W / 2 + sway
    spec = {
        Landmark.NOSE: (0, 60),
        Landmark.LEFT_EYE: (8, 52),
        Landmark.RIGHT_EYE: (-8, 52),
        Landmark.LEFT_EAR: (16, 58),
        Landmark.RIGHT_EAR: (-16, 58),
        Landmark.LEFT_SHOULDER: (40, 110),
        Landmark.RIGHT_SHOULDER: (-40, 114),
        Landmark.LEFT_ELBOW: (48, 180),
        Landmark.RIGHT_ELBOW: (-48, 184),
        Landmark.LEFT_WRIST: (50, 240),
        Landmark.RIGHT_WRIST: (-50, 244),
        Landmark.LEFT_HIP: (25, 250),
        Landmark.RIGHT_HIP: (-25, 254),
        Landmark.LEFT_KNEE: (27, 340),
        Landmark.RIGHT_KNEE: (-27, 342),
        Landmark.LEFT_ANKLE: (28, 420),
        Landmark.RIGHT_ANKLE: (-28, 422),
        Landmark.LEFT_HEEL: (26, 432),
        Landmark.RIGHT_HEEL: (-26, 434),
        Landmark.LEFT_FOOT_INDEX: (36, 440),
        Landmark.RIGHT_FOOT_INDEX: (-36, 442),
    }
    for lm, (dx, y) in spec.items():
        pts[lm] = (xc + dx, y)
    return pts


@pytest.fixture(scope="module")
def analysis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder in the pipeline's layout: landmarks, time series, overlay video, result.json."""
    from posture_cam.overlay import H264Writer, draw_pose

    out = tmp_path_factory.mktemp("analysis")
    xy = np.stack([standing_figure(t) for t in range(T)])
    seq = PoseSequence.from_image_points(xy, fps=FPS, frame_size=(W, H))
    seq.save(out / "landmarks.parquet")
    with H264Writer(out / "overlay.mp4", FPS, (W, H)) as wr:
        for i in range(T):
            bg = np.full((H, W, 3), 235, np.uint8)
            wr.write(draw_pose(bg, seq.image_px[i], seq.visibility[i]))
    sh = seq.xy(Landmark.LEFT_SHOULDER) - seq.xy(Landmark.RIGHT_SHOULDER)
    shoulder = np.degrees(np.arctan2(-sh[:, 1], sh[:, 0]))  # right side lower -> positive
    lines = ["frame_index,timestamp_s,shoulder_obliquity_deg,trunk_lateral_lean_deg"]
    lean = np.linspace(-1, 1, T)
    lines += [f"{i},{seq.timestamps_s[i]:.4f},{shoulder[i]:.4f},{lean[i]:.4f}" for i in range(T)]
    (out / "metrics_timeseries.csv").write_text("\n".join(lines) + "\n")
    result = {
        "schema_version": 1,
        "created_utc": "2026-01-01T00:00:00+00:00",
        "input": {"path": str(out / "walk °test.mp4"), "duration_s": T / FPS, "frames": T, "fps": FPS},
        "subject": {"id": "S01", "height_cm": 172.0},
        "detection": {"frames_with_person": T, "detection_rate": 1.0, "people_seen_max": 1},
        "view": {"dominant": "front", "fractions": {"front": 1.0}, "segments": []},
        "metrics": {
            "shoulder_obliquity_deg": {
                "value": float(np.median(shoulder)),
                "unit": "deg",
                "iqr": 0.1,
                "n_frames": T,
                "view_required": ["front", "back"],
                "status": "ok",
                "reason": None,
                "low_side": "right",
            },
            "craniovertebral_angle_deg": {
                "value": None,
                "unit": "deg",
                "iqr": None,
                "n_frames": 0,
                "view_required": ["left_side", "right_side"],
                "status": "not_assessable",
                "reason": "needs a side view",
            },
        },
        "gait": {"walking_detected": False, "events": [], "steps": [], "metrics": {}},
        "findings": [
            {
                "rule_id": "shoulder_level",
                "title": "Uneven shoulders",
                "status": "borderline",
                "summary": "The right shoulder sits lower than the left.",
                "evidence": [{"metric": "shoulder_obliquity_deg", "value": 2.0, "unit": "deg"}],
                "chain": ["pelvis", "trunk", "shoulders"],
                "sources": ["How hip pain can cause neck pain (the kinetic chain)"],
            }
        ],
        "warnings": ["a test warning with a degree sign: 5°"],
    }
    (out / "result.json").write_text(json.dumps(result))
    return out


def test_tables_from_result(analysis_dir: Path) -> None:
    res = json.loads((analysis_dir / "result.json").read_text())
    rows = report.metric_rows(res)
    assert [r["key"] for r in rows] == ["shoulder_obliquity_deg"]
    assert "low side: right" in rows[0]["note"]
    na = report.not_assessed(res)
    assert na == [
        {
            "group": "posture",
            "metric": "Craniovertebral angle",
            "key": "craniovertebral_angle_deg",
            "reason": "needs a side view",
            "view needed": "left_side, right_side",
        }
    ]
    assert report.summary(res)["n_borderline"] == 1


def test_rule_bands_follow_direction() -> None:
    rules = {
        "rule": [
            {"condition": [{"metric": "metrics.a_deg", "direction": "above", "borderline_at": 8.0}]},
            {
                "condition": [
                    {"metric": "metrics.a_deg", "direction": "above", "borderline_at": 5.0},
                    {"metric": "gait.metrics.b_pct", "direction": "abs_above", "borderline_at": 4.0},
                    {"metric": "metrics.c_deg", "direction": "below", "borderline_at": 48.0},
                ]
            },
            {
                "condition": [
                    {"metric": "metrics.d", "direction": "above", "borderline_at": 1.0},
                    {"metric": "metrics.d", "direction": "below", "borderline_at": 2.0},
                ]
            },
        ]
    }
    bands = report.rule_bands(rules)
    assert bands == {"a_deg": (None, 5.0), "b_pct": (-4.0, 4.0), "c_deg": (48.0, None)}


def test_html_is_self_contained(analysis_dir: Path) -> None:
    text = report.build_html(analysis_dir)
    assert "Uneven shoulders" in text and "needs a side view" in text and "not a diagnosis" in text
    assert not re.search(r"(src|href)=['\"](?!data:)", text), "external resource in the report"
    imgs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    assert len(imgs) >= 3, "expected key frames and a chart"
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in imgs)


def test_key_frames_show_the_overlay(analysis_dir: Path) -> None:
    res = json.loads((analysis_dir / "result.json").read_text())
    frames = report.key_frames(analysis_dir, res, 3)
    assert len(frames) == 3
    assert frames[0].t_s == 0.0 and frames[-1].t_s == pytest.approx((T - 1) / FPS)
    # the skeleton is drawn in colour on a grey background
    rgb = frames[1].rgb.astype(int)
    assert (np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max(axis=2) > 40).sum() > 200


def test_pdf_renders(analysis_dir: Path, tmp_path: Path) -> None:
    html_path, pdf_path = report.write_reports(analysis_dir)
    assert html_path.read_text().startswith("<!doctype html>")
    data = pdf_path.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 20_000
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: PDF not rasterised")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf_path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    import cv2

    first = cv2.imread(str(pages[0]))
    assert first is not None and first.shape[0] > first.shape[1]  # A4 portrait
    assert (first < 128).mean() > 0.005, "first page looks blank"


def test_missing_result_is_a_clear_error(tmp_path: Path) -> None:
    from posture_cam.errors import OutputError

    with pytest.raises(OutputError, match="result.json not found"):
        report.build_html(tmp_path)


def test_walking_bouts_in_plain_words(analysis_dir: Path, tmp_path: Path) -> None:
    """A treadmill bout and a backwards bout read as such in the tables, the HTML and the PDF."""
    from posture_cam.gait import analyze_gait
    from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait

    seq, truth = simulate_gait(GaitSpec(bouts=(Bout(1, 6),), treadmill=True))
    gait = analyze_gait(seq, None, view_per_frame=truth.view_per_frame).to_json()
    rows = report.bout_rows({"gait": gait})
    assert len(rows) == 1 and rows[0]["travel"].startswith("none (treadmill")
    assert rows[0]["walking"] == "forwards" and rows[0]["direction"] == "to the right of the image"
    back = {"gait": {"bouts": [{"start_s": 0.0, "end_s": 2.0, "view": "side", "direction": "image_left",
                                "backwards": True, "stationary": False}]}}  # fmt: skip
    assert report.bout_rows(back)[0] | {} == {
        "from (s)": 0.0, "to (s)": 2.0, "view": "side", "direction": "to the left of the image",
        "walking": "backwards", "travel": "over ground",
    }  # fmt: skip
    folder = tmp_path / "with_gait"
    shutil.copytree(analysis_dir, folder)
    res = json.loads((folder / "result.json").read_text())
    res["gait"] = json.loads(json.dumps(gait, default=float))
    (folder / "result.json").write_text(json.dumps(res))
    html_path, pdf_path = report.write_reports(folder)
    html = html_path.read_text()
    assert "<h2>Walking bouts</h2>" in html and "treadmill or following camera" in html
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
