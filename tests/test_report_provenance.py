"""Provenance in the reports (issue 18): a corrected analysis says so in the HTML and the PDF report,
with each corrected value beside its automatic one, the corrections (who, when, what) and the
measurements taken by hand; an automatic analysis says nothing of the kind."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from posture_cam import report, report_model
from posture_cam.config import Config
from posture_cam.corrections import Correction, Corrections
from posture_cam.landmarks import Landmark
from posture_cam.pipeline import run_analysis
from posture_cam.simulate.posture import simulate_posture

TILT_DEG = 6.0


@pytest.fixture(scope="module")
def analyses() -> tuple[dict, dict]:
    """(automatic, corrected) results of a level-hipped simulated subject whose right hip a
    clinician moved down by a 6 deg hip line in the middle frame."""
    seq = simulate_posture(view="front", duration_s=2.0, noise_px=0.3)
    auto = run_analysis(seq, None, Config())[0]
    i = seq.n_frames // 2
    left = seq.image_px[i, int(Landmark.LEFT_HIP), :2].astype(float)
    right = seq.image_px[i, int(Landmark.RIGHT_HIP), :2].astype(float)
    y = float(left[1]) + abs(float(right[0] - left[0])) * math.tan(math.radians(TILT_DEG))
    frame, by = int(seq.frame_index[i]), "Dr. Example"
    hip = Correction("landmark", frame, by=by, landmark="RIGHT_HIP", x_px=float(right[0]), y_px=y)
    line = ((float(left[0]), float(left[1]) - 300.0), (float(left[0]) + 20.0, float(left[1])))
    tilt = Correction("measurement", frame, by=by, tool="line_tilt", label="trunk line", points=line)
    cor = Corrections().add(hip).add(tilt)
    corrected = run_analysis(seq, None, Config(), corrections=cor)[0]
    return auto, corrected


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    p = tmp_path / "report.pdf"
    p.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True, check=True)
    return " ".join(text.stdout.split())


def test_model_lists_corrected_values_corrections_and_manual_measurements(analyses) -> None:
    auto, corrected = analyses
    assert report_model.build(auto).provenance is None
    pv = report_model.build(corrected).provenance
    assert pv is not None
    assert "corrected by a clinician" in pv.summary
    row = next(v for v in pv.values if v["Measurement"] == "Pelvic obliquity")
    m = corrected["metrics"]["pelvic_obliquity_deg"]
    assert float(row["Corrected"].rstrip("°")) == pytest.approx(m["value"], abs=0.06)
    assert float(row["Corrected"].rstrip("°")) == pytest.approx(TILT_DEG, abs=0.7)
    assert float(row["Automatic"].rstrip("°")) == pytest.approx(m["extra"]["automatic_value"], abs=0.06)
    assert abs(m["extra"]["automatic_value"]) < 1.0  # the simulated hips are level
    who = [c["Who"] for c in pv.corrections]
    assert who == ["Dr. Example", "Dr. Example"]
    assert "right hip moved to" in pv.corrections[0]["What"] and "RIGHT_HIP" not in pv.corrections[0]["What"]
    assert pv.corrections[0]["When"].endswith("UTC")
    assert [x["Measurement"] for x in pv.manual] == ["trunk line"]
    manual = corrected["manual_measurements"][0]
    assert pv.manual[0]["Value"] == f"{manual['value']:.1f}°"
    # the measurement table marks the corrected number too
    note = report_model.build(corrected).rows_by_key["pelvic_obliquity_deg"].note
    assert note.startswith("corrected by a clinician (automatic ")


def test_html_and_pdf_show_provenance(analyses, tmp_path: Path) -> None:
    auto, corrected = analyses
    pv = report_model.build(corrected).provenance
    assert pv is not None
    row = next(v for v in pv.values if v["Measurement"] == "Pelvic obliquity")
    html = report.build_html(tmp_path, result=corrected)
    pdf = _pdf_text(report.build_pdf(tmp_path, result=corrected), tmp_path)
    for text in (html, pdf):
        assert "Corrected values" in text
        assert "This report contains values corrected by a clinician" in text
        assert "Corrections (who, when, what)" in text
        assert "Dr. Example" in text
        assert "right hip moved to" in text
        assert "Measured by hand" in text and "trunk line" in text
        assert row["Corrected"] in text and row["Automatic"] in text
        assert "RIGHT_HIP" not in text and "pelvic_obliquity_deg" not in text
    assert "not flagged automatically, flagged with the corrections" in html  # leg-length finding
    auto_html = report.build_html(tmp_path, result=auto)
    auto_pdf = _pdf_text(report.build_pdf(tmp_path, result=auto), tmp_path)
    for text in (auto_html, auto_pdf):
        assert "Corrected values" not in text and "corrected by a clinician" not in text
    assert np.isfinite(corrected["metrics"]["pelvic_obliquity_deg"]["value"])
