"""BlazePose landmark names and skeleton connections.

Code refers to landmarks by name (``Landmark.LEFT_HIP``), never by bare index. "Left" and "right"
are the *subject's* left and right, as MediaPipe reports them.
"""

from __future__ import annotations

from enum import IntEnum


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @property
    def label(self) -> str:
        """Lower-case name used in file columns, e.g. ``left_hip``."""
        return self.name.lower()


N_LANDMARKS = len(Landmark)
LANDMARK_NAMES: tuple[str, ...] = tuple(lm.label for lm in Landmark)

# Left/right pairs, used for mirroring and for swap repair.
MIRROR_PAIRS: tuple[tuple[Landmark, Landmark], ...] = tuple(
    (Landmark[n], Landmark["RIGHT" + n[4:]]) for n in Landmark.__members__ if n.startswith("LEFT")
) + (
    (Landmark.LEFT_EYE_INNER, Landmark.RIGHT_EYE_INNER),
    (Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT),
)
MIRROR_PAIRS = tuple(dict.fromkeys(MIRROR_PAIRS))


def mirror_index() -> list[int]:
    """Permutation that swaps every left landmark with its right partner."""
    perm = list(range(N_LANDMARKS))
    for a, b in MIRROR_PAIRS:
        perm[a], perm[b] = int(b), int(a)
    return perm


# Skeleton drawn by the overlay (the BlazePose body topology without the face mesh detail).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_EAR, Landmark.LEFT_EYE),
    (Landmark.RIGHT_EAR, Landmark.RIGHT_EYE),
    (Landmark.LEFT_EYE, Landmark.NOSE),
    (Landmark.RIGHT_EYE, Landmark.NOSE),
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)
