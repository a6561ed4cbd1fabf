"""posture_cam.batch.inputs: folder scan, result folder names, manifest validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from posture_cam.batch.inputs import discover, folder_name, read_manifest
from posture_cam.errors import InputNotFoundError, ManifestError


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    for rel in ("a/walk.mp4", "b/walk.mp4", "b/deep/still.JPG", "notes.txt", ".hidden/x.mp4", "c/.y.mov"):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    return root


def test_folder_scan_is_recursive_by_extension_and_skips_hidden(tree: Path) -> None:
    recs = discover([tree])
    assert [Path(r.path).relative_to(tree).as_posix() for r in recs] == [
        "a/walk.mp4",
        "b/deep/still.JPG",
        "b/walk.mp4",
    ]


def test_folder_names_are_stable_unique_and_readable(tree: Path) -> None:
    first = [r.name for r in discover([tree])]
    assert first == [r.name for r in discover([tree])]
    assert len(set(first)) == len(first)  # same file name in two folders -> two folders
    assert first[0].startswith("study__a__walk.mp4-") and len(first[0].rsplit("-", 1)[1]) == 8
    long = tree / ("x" * 200 + ".mp4")
    assert len(folder_name(long)) <= 80


def test_same_file_given_twice_is_analysed_once(tree: Path) -> None:
    recs = discover([tree / "a" / "walk.mp4", tree, tree / "a" / "walk.mp4"])
    assert len(recs) == 3


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="input not found"):
        discover([tmp_path / "nope"])


def _manifest(tmp_path: Path, body: str) -> Path:
    (tmp_path / "v1.mp4").write_bytes(b"x")
    (tmp_path / "v2.mp4").write_bytes(b"x")
    p = tmp_path / "manifest.csv"
    p.write_text(body, encoding="utf-8")
    return p


def test_manifest_rows_become_recordings_with_subject_details(tmp_path: Path) -> None:
    p = _manifest(
        tmp_path,
        "path,subject_id,session_date,subject_height_cm,view_hint\n"
        "v1.mp4,p01,2024-05-01,172.5,front\n"
        f"{tmp_path / 'v2.mp4'},p01,,,\n",
    )
    recs = discover([p])
    assert [(r.subject_id, r.session_date, r.height_cm, r.view_hint) for r in recs] == [
        ("p01", "2024-05-01", 172.5, "front"),
        ("p01", None, None, None),
    ]
    assert recs[0].path == str((tmp_path / "v1.mp4").resolve())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("file,subject_id\nv1.mp4,p1\n", "needs a 'path' column"),
        ("path,weight\nv1.mp4,80\n", "unknown manifest column"),
        ("path\n", "no rows"),
        ("path,subject_id\nv1.mp4,p1\n,p2\n", "line 3: 'path' is empty"),
        ("path\nv1.mp4\nmissing.mp4\n", "line 3: file not found"),
        ("path\nv1.mp4\nv1.mp4\n", "line 3: .*already listed on line 2"),
        ("path,session_date\nv1.mp4,01/05/2024\n", "line 2: session_date must be YYYY-MM-DD"),
        ("path,subject_height_cm\nv1.mp4,tall\n", "line 2: subject_height_cm must be a number"),
        ("path,subject_height_cm\nv1.mp4,1.75\n", "line 2: subject_height_cm must be between 50 and 250"),
        ("path,view_hint\nv1.mp4,sideways\n", "line 2: view_hint must be one of"),
    ],
)
def test_manifest_errors_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        read_manifest(_manifest(tmp_path, body))


def test_largest_recordings_start_first_and_unreadable_ones_last(tmp_path) -> None:
    """Longest processing time first: a batch must not end with one long recording running alone."""
    from posture_cam.batch.inputs import Recording
    from posture_cam.batch.runner import largest_first

    sizes = {"a": 10, "b": 3000, "c": 500, "d": 500}
    recs = []
    for name, n in sizes.items():
        (tmp_path / f"{name}.mp4").write_bytes(b"\0" * n)
        recs.append(Recording(str(tmp_path / f"{name}.mp4"), name))
    recs.insert(1, Recording(str(tmp_path / "gone.mp4"), "gone"))
    assert [r.name for r in largest_first(recs)] == ["b", "c", "d", "a", "gone"]
    assert [r.name for r in recs] == ["a", "gone", "b", "c", "d"]  # the input list is left as it was
