"""Shared fixtures.

Real media (third-party recordings) is read from one setting: the environment variable
``POSTURE_CAM_DATA``, defaulting to ``../shared/data`` beside the repository. Tests that need it use
the ``shared_data`` fixture and are skipped, with the reason, when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("POSTURE_CAM_DATA", REPO_ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if not (d / "MANIFEST.md").is_file():
        pytest.skip(f"real test media not found at {d} (set POSTURE_CAM_DATA to the shared/data folder)")
    return d


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
