"""posture_cam.report (+ report_model, report_figures): HTML and PDF from an analysis folder; PDF pages
rendered with pdftoppm."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from posture_cam import catalogue, report, report_figures, report_model
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
    hips = seq.xy(Landmark.LEFT_HIP) - seq.xy(Landmark.RIGHT_HIP)
    pelvis = np.degrees(np.arctan2(-hips[:, 1], hips[:, 0]))  # right side lower -> positive
    pelvis[20:26] = np.nan  # a gap: the chart must not draw across it
    lines = ["frame_index,timestamp_s,pelvic_obliquity_deg,trunk_chord_px,trunk_lateral_lean_deg"]
    lean = np.linspace(-1, 1, T)
    lines += [f"{i},{seq.timestamps_s[i]:.4f},{pelvis[i]:.4f},140,{lean[i]:.4f}" for i in range(T)]
    (out / "metrics_timeseries.csv").write_text("\n".join(lines) + "\n")
    result = {
        "schema_version": 1,
        "created_utc": "2026-01-01T00:00:00+00:00",
        "input": {"path": str(out / "walk °test.mp4"), "duration_s": T / FPS, "frames": T, "fps": FPS},
        "subject": {"id": "S01", "height_cm": 172.0},
        "detection": {"frames_with_person": T, "detection_rate": 1.0, "people_seen_max": 1},
        "view": {"dominant": "front", "fractions": {"front": 1.0}, "segments": []},
        "segments": [
            {"activity": "other", "view": "front", "start_s": 0.0, "end_s": 0.4},
            {"activity": "standing", "view": "front", "start_s": 0.4, "end_s": T / FPS},
        ],
        "metrics": {
            "pelvic_obliquity_deg": {
                "value": float(np.nanmedian(pelvis)),
                "unit": "deg",
                "iqr": 0.1,
                "n_frames": T,
                "view_required": ["front", "back"],
                "status": "ok",
                "reason": None,
                "low_side": "right",
                "segments": [{"activity": "standing", "view": "front", "start_s": 0.4, "end_s": T / FPS}],
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
                "id": "pelvis_level",
                "title": "Pelvis tilted to one side",
                "status": "borderline",
                "summary": "The right hip sits lower than the left.",
                "evidence": [
                    {
                        "metric": "metrics.pelvic_obliquity_deg",
                        "value": 2.0,
                        "unit": "deg",
                        "band": "borderline",
                        "threshold": {"borderline_at": 1.5, "flagged_at": 2.5},
                        "meaning": "one hip sits lower than the other",
                    }
                ],
                "chain": ["pelvis", "trunk", "shoulders"],
                "sources": ["How hip pain can cause neck pain (the kinetic chain)"],
            }
        ],
        "warnings": ["a test warning with a degree sign: 5°"],
    }
    (out / "result.json").write_text(json.dumps(result))
    return out


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|img)[^>]*>.*?(</style>)?", " ", html, flags=re.S))


def test_presentation_model(analysis_dir: Path) -> None:
    res = json.loads((analysis_dir / "result.json").read_text())
    m = report_model.build(res)
    assert [r.name for r in m.posture] == ["Pelvic obliquity"]
    row = m.posture[0]
    assert re.fullmatch(r"-?\d+\.\d°", row.value_text) and row.band_text == "within ±1.5°"
    assert row.in_band is False and "lower side: subject's right" in row.note
    assert row.segments_text == "standing 0.4-2.0 s" and row.first_start_s == 0.4
    assert [(r.name, r.reason) for r in m.missing] == [
        ("Craniovertebral angle (estimated C7)", "needs a side view")
    ]
    assert m.missing[0].needs == "standing side-on to the camera"
    assert m.status == "borderline" and m.n_borderline == 1
    assert m.view_text == "front view (facing the camera)" and m.duration_text == "2.0 s"
    ev = m.findings[0].evidence[0].text
    assert ev.startswith("Pelvic obliquity: 2.0° (borderline; borderline at 1.5°, flagged at 2.5°)")


def test_nothing_assessed_is_never_an_all_clear() -> None:
    res = {
        "detection": {"detection_rate": 1.0},
        "metrics": {"head_tilt_deg": {"value": None, "unit": "deg", "status": "not_assessable",
                                      "reason": "needs a front or back view; this recording has: left_side"}},
        "findings": [{"id": "x", "title": "X", "status": "not_assessable",
                      "reason": "head_tilt_deg: needs a front or back view"}],
    }  # fmt: skip
    m = report_model.build(res)
    assert m.status == "nothing_assessed"
    assert m.headline.startswith("Nothing could be assessed, because ")
    assert "needs a front or back view" in m.headline and "No flagged" not in m.headline
    assert "head_tilt_deg" not in m.headline and "left_side" not in m.missing[0].reason
    nobody = report_model.build({"detection": {"detection_rate": 0.0}})
    assert nobody.headline == "Nothing could be assessed, because nobody was detected in the recording."


def test_gaps_stay_gaps() -> None:
    t = np.array([0.0, 0.04, 0.08, 1.0, 1.04])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    t2, y2 = report_figures.with_gaps(t, y)
    assert len(t2) == 6 and np.isnan(y2[3]) and 0.08 < t2[3] < 1.0


def test_html_is_self_contained_and_uses_the_catalogue(analysis_dir: Path) -> None:
    text = report.build_html(analysis_dir)
    assert "Pelvis tilted to one side" in text and "needs a side view" in text and "not a diagnosis" in text
    assert not re.search(r"(src|href)=['\"](?!data:)", text), "external resource in the report"
    imgs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    assert len(imgs) >= 3, "expected the timeline, a key frame and a chart"
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in imgs)
    words = visible_text(text)
    raw = [k for k in catalogue.CATALOGUE if k in words]
    assert raw == [], f"raw metric keys in the report: {raw}"
    assert "None" not in words.split() and "left_side" not in words


def test_key_frame_per_finding_draws_the_measurement(analysis_dir: Path) -> None:
    from posture_cam.result_model import Result

    res = Result.load(analysis_dir)
    model = report_model.build(res)
    figs = report.figures(analysis_dir, res, model)
    kfs = figs["finding_frames"]["pelvis_level"]
    assert len(kfs) == 1 and kfs[0].key == "pelvic_obliquity_deg"
    assert kfs[0].caption.startswith("Pelvic obliquity: ") and "°" in kfs[0].caption
    assert 0.4 <= kfs[0].t_s <= 2.0  # from the standing segment that fed the metric
    # the measured line (yellow) is drawn on the frame
    rgb = kfs[0].rgb.astype(int)
    yellow = (rgb[..., 0] > 200) & (rgb[..., 1] > 180) & (rgb[..., 2] < 80)
    assert yellow.sum() > 30
    assert figs["timeline"][:4] == b"\x89PNG"
    assert [t for t, _ in figs["charts"]] == ["Pelvic obliquity"]  # not the internal trunk chord


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
    if shutil.which("pdftotext"):
        txt = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Pelvic obliquity" in txt and "pelvic_obliquity_deg" not in txt


def test_missing_result_is_a_clear_error(tmp_path: Path) -> None:
    from posture_cam.errors import OutputError

    with pytest.raises(OutputError, match="result.json not found"):
        report.build_html(tmp_path)


def test_walking_bouts_and_gait_figures(analysis_dir: Path, tmp_path: Path) -> None:
    """A treadmill bout reads as such; the gait section has foot trajectories and per-step bars."""
    from posture_cam.gait import analyze_gait
    from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait

    seq, truth = simulate_gait(GaitSpec(bouts=(Bout(1, 6),), treadmill=True))
    gait = analyze_gait(seq, None, view_per_frame=truth.view_per_frame).to_json()
    gait = json.loads(json.dumps(gait, default=float))
    rows = report_model.build({"gait": gait}).bouts
    assert len(rows) == 1 and rows[0]["Travel"].startswith("none (treadmill")
    assert rows[0]["Walking"] == "forwards" and rows[0]["Direction"] == "to the right of the image"
    back = {"gait": {"bouts": [{"start_s": 0.0, "end_s": 2.0, "view": "side", "direction": "image_left",
                                "backwards": True, "stationary": False}]}}  # fmt: skip
    assert report_model.build(back).bouts[0]["Walking"] == "backwards"
    folder = tmp_path / "with_gait"
    shutil.copytree(analysis_dir, folder)
    seq.save(folder / "landmarks.parquet")
    res = json.loads((folder / "result.json").read_text())
    res["gait"] = gait
    res["input"]["duration_s"] = float(seq.timestamps_s[-1])
    (folder / "result.json").write_text(json.dumps(res))
    html_path, pdf_path = report.write_reports(folder)
    html = html_path.read_text()
    assert "<h3>Walking bouts</h3>" in html and "treadmill or following camera" in html
    assert 'alt="foot trajectories"' in html and 'alt="per-step bars"' in html
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
