"""SubjectTracker with synthetic candidates: no mediapipe, known answers."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.landmarks import N_LANDMARKS, Landmark
from posture_cam.tracking import PoseCandidate, SubjectTracker, group_duplicates, select_main_person

FRAME = (1280, 720)
FPS = 30.0


def person(hip_x: float, hip_y: float, height: float) -> PoseCandidate:
    """A standing person: landmarks spread over a box ``height`` tall with the hips at (hip_x, hip_y)."""
    img = np.zeros((N_LANDMARKS, 3), np.float32)
    top, bottom = hip_y - 0.5 * height, hip_y + 0.5 * height
    img[:, 0] = hip_x
    img[:, 1] = np.linspace(top, bottom, N_LANDMARKS)
    img[Landmark.LEFT_HIP, :2] = (hip_x - 0.05 * height, hip_y)
    img[Landmark.RIGHT_HIP, :2] = (hip_x + 0.05 * height, hip_y)
    img[Landmark.LEFT_SHOULDER, 0] = hip_x - 0.12 * height  # some width
    img[Landmark.RIGHT_SHOULDER, 0] = hip_x + 0.12 * height
    ones = np.ones(N_LANDMARKS, np.float32)
    return PoseCandidate(img, np.zeros((N_LANDMARKS, 3)), ones, ones)


def hip_x(c: PoseCandidate) -> float:
    return float(c.hip_center_px[0])


def test_candidate_geometry() -> None:
    c = person(300, 400, 500)
    assert c.hip_center_px == pytest.approx([300, 400])
    assert c.size_px == pytest.approx(500)


def test_candidate_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="image_px: expected shape"):
        PoseCandidate(np.zeros((17, 3)), np.zeros((33, 3)), np.ones(33), np.ones(33))


@pytest.mark.parametrize(
    ("cands", "expected"),
    [
        ([person(640, 360, 300), person(200, 360, 500)], 1),  # bigger wins even off-centre
        ([person(640, 360, 400), person(150, 360, 400)], 0),  # same size: the central one
        ([person(100, 360, 200)], 0),
    ],
)
def test_select_main_person(cands: list[PoseCandidate], expected: int) -> None:
    assert select_main_person(cands, FRAME) == expected


def test_no_candidates_means_no_subject() -> None:
    tr = SubjectTracker(FRAME)
    assert tr.update([], 0.0) is None
    assert not tr.has_subject


def test_follows_subject_in_any_candidate_order() -> None:
    tr = SubjectTracker(FRAME)
    for i in range(60):
        t = i / FPS
        subject = person(300 + 100 * t, 400, 400)  # walks right at 0.25 body heights/s
        other = person(1000, 380, 380)  # stands still
        cands = [subject, other] if i % 2 else [other, subject]
        idx = tr.update(cands, t)
        assert idx is not None and cands[idx] is subject
    assert tr.acquisitions_ == 1 and tr.rejected_frames_ == 0


def test_bystander_crossing_does_not_steal_the_subject() -> None:
    """The subject walks right, a bystander of similar size walks left and crosses in front."""
    tr = SubjectTracker(FRAME)
    followed = []
    for i in range(90):
        t = i / FPS
        subject = person(300 + 300 * t, 400, 400)  # 0.75 body heights/s to the right
        bystander = person(1000 - 300 * t, 420, 380)  # to the left
        crossing = abs(hip_x(subject) - hip_x(bystander)) < 80
        cands = [bystander] if crossing else [bystander, subject]  # the subject is hidden while crossing
        idx = tr.update(cands, t)
        followed.append(np.nan if idx is None else hip_x(cands[idx]))
        if idx is not None:
            assert cands[idx] is subject, f"frame {i}: followed the bystander"
    followed_arr = np.asarray(followed)
    assert np.isnan(followed_arr).any(), "the occluded frames must be reported missing"
    assert np.isfinite(followed_arr[-10:]).all(), "the subject must be picked up again after the crossing"


def test_subject_occluded_then_back() -> None:
    """The subject disappears for 1 s behind an obstacle while walking, and reappears further on."""
    tr = SubjectTracker(FRAME)
    other = person(1100, 300, 250)
    results = []
    for i in range(120):
        t = i / FPS
        subject = person(200 + 200 * t, 450, 400)
        hidden = 1.0 <= t < 2.0
        cands = [other] if hidden else [other, subject]
        idx = tr.update(cands, t)
        results.append(None if idx is None else cands[idx])
    for i, got in enumerate(results):
        t = i / FPS
        if 1.0 <= t < 2.0:
            assert got is None, f"frame {i}: jumped to the bystander while the subject was hidden"
        else:
            assert got is not None and hip_x(got) < 1000, f"frame {i}: subject not followed"


def test_new_person_far_away_is_not_taken_after_short_loss() -> None:
    tr = SubjectTracker(FRAME)
    tr.update([person(300, 400, 400)], 0.0)
    assert tr.update([], 0.1) is None
    assert tr.update([person(1150, 400, 400)], 0.2) is None  # 2 body heights in 0.2 s: implausible
    assert tr.rejected_frames_ == 1


def test_size_jump_is_rejected() -> None:
    tr = SubjectTracker(FRAME)
    tr.update([person(600, 400, 400)], 0.0)
    assert tr.update([person(610, 400, 150)], 1 / FPS) is None  # same place, far smaller: someone else


def test_long_loss_reacquires_the_main_person() -> None:
    tr = SubjectTracker(FRAME, reacquire_after_s=2.0)
    tr.update([person(300, 400, 400)], 0.0)
    newcomer = person(1100, 400, 420)
    assert tr.update([newcomer], 0.3) is None  # 2 body heights away after 0.3 s: implausible
    for i in range(10):
        tr.update([], 1.5 + i * 0.1)
    assert tr.update([newcomer], 3.0) == 0
    assert tr.acquisitions_ == 2


def test_duplicates_count_as_one_person() -> None:
    a = person(600, 400, 400)
    dup = person(610, 405, 410)
    b = person(100, 400, 300)
    assert group_duplicates([a, dup, b]) == [[0, 1], [2]]
    tr = SubjectTracker(FRAME)
    tr.update([a, dup, b], 0.0)
    assert tr.people_ == 2


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError, match="frame_size"):
        SubjectTracker((0, 10))
    with pytest.raises(ValueError, match="max speed"):
        SubjectTracker(FRAME, max_speed_body_heights_per_s=0)


def test_subject_that_failed_the_gate_once_is_adopted_back() -> None:
    """A noisy frame moves the hips too far; the next frames continue from there. That person was never
    seen together with the subject, so it is the subject again (not a new bystander)."""
    tr = SubjectTracker(FRAME)
    assert tr.update([person(300, 400, 400)], 0.0) == 0
    assert tr.update([person(500, 400, 400)], 1 / FPS) is None  # 0.5 body heights in one frame
    assert tr.update([person(505, 400, 400)], 2 / FPS) == 0
    assert tr.update([person(510, 400, 400)], 3 / FPS) == 0
    assert tr.acquisitions_ == 1 and len(tr._tracks) == 1
