"""The prepare stage (issue 12 item 1): one typed object, segments per activity and view, and
per-segment metrics (item 2): each metric from the segments whose view and activity it needs."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.config import Config
from posture_cam.gait import analyze_gait
from posture_cam.pipeline import analyze_sequence
from posture_cam.posture import analyze_posture
from posture_cam.prepare import ACTIVITIES, Prepared, prepare
from posture_cam.sequence import PoseSequence
from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait
from posture_cam.simulate.posture import simulate_posture

FPS = 30.0
SIZE = (1280, 720)
PX_PER_M = 170.0  # the simulated walker 5 m from the camera is ~300 px tall


def _chain(parts: list[PoseSequence]) -> PoseSequence:
    """One recording from consecutive parts (timestamps continue, frame indices run on)."""
    out = []
    t0 = 0.0
    for p in parts:
        out.append(p.replace(timestamps_s=p.timestamps_s - p.timestamps_s[0] + t0, meta={}))
        t0 = float(out[-1].timestamps_s[-1]) + 1.0 / FPS
    seq = PoseSequence.concat(out)
    return seq.replace(frame_index=np.arange(seq.n_frames))


def _mixed() -> tuple[PoseSequence, dict[str, tuple[float, float]]]:
    """Front standing (pelvis 3 deg, right side low) 0-3 s, side standing (CVA 40 deg) 3-6 s, then a
    side-view walk."""
    common = dict(fps=FPS, frame_size=SIZE, scale_px_per_m=PX_PER_M, noise_px=0.4, center_px=(640.0, 690.0))
    front = simulate_posture(view="front", duration_s=3.0, pelvic_obliquity_deg=3.0, seed=1, **common)
    side = simulate_posture(
        view="left_side", duration_s=3.0, craniovertebral_angle_deg=40.0, seed=2, **common
    )
    walk, _ = simulate_gait(GaitSpec(fps=FPS, frame_size=SIZE, bouts=(Bout(-1, 4),), noise_px=0.4, seed=3))
    seq = _chain([front, side, walk])
    return seq, {"front": (0.0, 3.0), "side": (3.0, 6.0), "walk": (6.0, seq.duration_s + 1)}


@pytest.fixture(scope="module")
def mixed() -> tuple[PoseSequence, dict[str, tuple[float, float]], Prepared]:
    seq, spans = _mixed()
    return seq, spans, prepare(seq, Config())


def test_prepared_is_one_typed_object_with_one_rate(mixed):
    seq, _, prep = mixed
    assert prep.raw is seq and prep.seq.meta.get("conditioned")
    assert prep.sampling_rate_hz == pytest.approx(FPS, rel=1e-6)
    n = seq.n_frames
    assert prep.activity.shape == (n,) and set(prep.activity) <= set(ACTIVITIES)
    assert prep.xy.shape == (n, 33, 2) and prep.body_height_px.shape == (n,)
    # segments tile the recording in order, without gaps or overlaps
    segs = prep.segments
    assert segs[0].start == 0 and segs[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(segs[:-1], segs[1:], strict=True))


def test_mixed_recording_yields_all_three_groups_each_from_its_own_frames(mixed):
    seq, spans, prep = mixed
    kinds = {(s.activity, s.view) for s in prep.segments if s.duration_s >= 1.0}
    assert ("standing", "front") in kinds and ("standing", "left_side") in kinds
    assert any(a == "walking" for a, _ in kinds)
    rep = analyze_posture(prep, Config())
    pel = rep.metrics["pelvic_obliquity_deg"]
    cva = rep.metrics["craniovertebral_angle_deg"]
    assert pel.ok and pel.value == pytest.approx(3.0, abs=0.5)
    assert cva.ok and cva.value == pytest.approx(40.0, abs=1.5)
    for m, (lo, hi), views in ((pel, spans["front"], {"front"}), (cva, spans["side"], {"left_side"})):
        refs = m.extra["segments"]
        assert refs and all(r["activity"] == "standing" and r["view"] in views for r in refs)
        assert all(lo - 0.05 <= r["start_s"] and r["end_s"] <= hi + 0.05 for r in refs), refs
    # no mixing: the side metrics never see the front frames and vice versa
    fed_cva = np.isfinite(rep.series["craniovertebral_angle_deg"])
    fed_pel = np.isfinite(rep.series["pelvic_obliquity_deg"])
    t = seq.timestamps_s
    assert not (fed_cva & (t < spans["side"][0])).any() and not (fed_pel & (t >= spans["front"][1])).any()
    gait = analyze_gait(prep, Config())
    assert gait.walking_detected
    assert gait.metrics["cadence_steps_per_min"].ok
    # the parts are joined with a jump of the body in the image, which the 0.5 s smoothing windows
    # spread over a few frames: the bout may start up to 0.3 s before the walking part
    assert all(b.start >= int(spans["walk"][0] * FPS) - 9 for b in gait.bouts)


def test_result_json_lists_segments_with_their_metrics(mixed):
    seq, _, _ = mixed
    result = analyze_sequence(seq, None, Config())
    segs = result["segments"]
    assert [s["activity"] for s in segs if s["activity"] in ("standing", "walking")][:2] == [
        "standing",
        "standing",
    ]
    front = next(s for s in segs if s["activity"] == "standing" and s["view"] == "front")
    side = next(s for s in segs if s["activity"] == "standing" and s["view"] == "left_side")
    assert front["metrics"]["pelvic_obliquity_deg"] == pytest.approx(3.0, abs=0.5)
    assert "craniovertebral_angle_deg" not in front["metrics"]
    assert side["metrics"]["craniovertebral_angle_deg"] == pytest.approx(40.0, abs=1.5)
    assert "pelvic_obliquity_deg" not in side["metrics"]
    assert result["metrics"]["craniovertebral_angle_deg"]["status"] == "ok"


def test_minority_view_still_assessed_from_its_segment():
    """A short clean side view after a long front view (the side view is a minority of frames, the
    case that used to come back not assessable below a 50 % view share)."""
    common = dict(fps=FPS, frame_size=SIZE, scale_px_per_m=PX_PER_M, noise_px=0.4, center_px=(640.0, 690.0))
    seq = _chain(
        [
            simulate_posture(view="front", duration_s=6.0, seed=4, **common),
            simulate_posture(
                view="right_side", duration_s=2.0, craniovertebral_angle_deg=45.0, seed=5, **common
            ),
        ]
    )
    rep = analyze_posture(seq, Config())
    cva = rep.metrics["craniovertebral_angle_deg"]
    assert cva.ok, cva.reason
    assert cva.value == pytest.approx(45.0, abs=1.5)
    assert cva.extra["segments"][0]["view"] == "right_side"


def test_treadmill_walking_is_not_quiet_standing():
    """Walking in place (treadmill): the hips do not travel, but the legs step - no standing metric."""
    seq, truth = simulate_gait(
        GaitSpec(
            fps=FPS, bouts=(Bout(1, 8),), treadmill=True, noise_px=0.5, seed=6, lead_in_s=0.0, lead_out_s=0.0
        )
    )
    prep = prepare(seq, Config(), view_per_frame=truth.view_per_frame)
    assert (prep.activity == "walking").mean() > 0.6
    rep = analyze_posture(prep, Config())
    for key in ("craniovertebral_angle_deg", "trunk_flexion_deg", "sagittal_pelvic_tilt_proxy_deg"):
        assert not rep.metrics[key].ok, key
        assert "no quiet standing" in (rep.metrics[key].reason or "")


def test_too_short_standing_segment_says_how_long_it_lasted():
    common = dict(fps=FPS, frame_size=SIZE, scale_px_per_m=PX_PER_M, noise_px=0.4, center_px=(640.0, 690.0))
    seq = _chain(
        [
            simulate_posture(view="front", duration_s=3.0, seed=7, **common),
            simulate_posture(view="left_side", duration_s=0.7, seed=8, **common),
        ]
    )
    cfg = Config()
    rep = analyze_posture(seq, cfg)
    r = rep.metrics["craniovertebral_angle_deg"]
    assert not r.ok
    assert "lasted only" in (r.reason or "") or "no quiet standing" in (r.reason or "")
