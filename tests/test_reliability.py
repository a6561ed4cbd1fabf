"""Reliability (#16), the parts that need no pose model: output replacement, names, exit-code mapping,
export sanitising, uploads, leases. Each test names the issue item it guards."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from posture_cam import errors
from posture_cam.batch.inputs import decode_manifest, discover, folder_name, read_manifest
from posture_cam.batch.summary import summary_row, write_summary
from posture_cam.batch.tasks import Lease, LeaseWatch
from posture_cam.errors import (
    BatchAbandonedError,
    DiskFullError,
    HistoryDatabaseError,
    ImageTooLargeError,
    InputTooLargeError,
    ManifestError,
    NotAFileError,
)
from posture_cam.export import csv_cell, md_escape, terminal_safe
from posture_cam.history import History
from posture_cam.outputs import Staging, clean_stale_staging, commit_folder, commit_guard, owned_outputs
from posture_cam.paths import display_path, sha256_regular_file
from posture_cam.uploads import discard_upload, save_upload

NON_UTF8 = os.fsdecode(b"caf\xe9-\xff.mp4")  # Latin-1 e-acute and a byte that is never UTF-8


def _result(files: list[str]) -> str:
    return json.dumps({"schema_version": 1, "files": files, "input": {}, "config": {}})


def _age(path: Path, seconds: float = 30.0) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


# --------------------------------------------------------------------------- 1. stale outputs
def test_commit_removes_old_posture_cam_outputs_and_keeps_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = ["landmarks.parquet", "landmarks.json", "landmarks.csv", "overlay.mp4", "metrics_timeseries.csv"]
    for name in old:
        (out / name).write_text("A")
    (out / "result.json").write_text(_result([*old, "result.json"]))
    (out / "report.html").write_text("<!doctype html><html><head><title>posture_cam report - A</title>")
    (out / "report.pdf").write_bytes(b"%PDF-1.3 ... /Creator (posture_cam)\n/Title (x)")
    (out / "notes.txt").write_text("the user's own notes")
    assert owned_outputs(out) == {*old, "result.json", "report.html", "report.pdf"}

    new = tmp_path / "new"
    new.mkdir()
    for name in ("landmarks.parquet", "landmarks.json", "metrics_timeseries.csv"):
        (new / name).write_text("B")
    (new / "result.json").write_text(_result(["landmarks.parquet", "landmarks.json", "result.json"]))
    commit_folder(new, out)

    assert sorted(p.name for p in out.iterdir()) == [
        "landmarks.json",
        "landmarks.parquet",
        "metrics_timeseries.csv",
        "notes.txt",
        "result.json",
    ]
    assert (out / "landmarks.parquet").read_text() == "B"
    assert (out / "notes.txt").read_text() == "the user's own notes"
    # result.json lands last: no file is newer
    assert all(p.stat().st_mtime_ns <= (out / "result.json").stat().st_mtime_ns for p in out.iterdir())


def test_a_crafted_result_json_cannot_make_posture_cam_delete_other_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("thesis.docx", "report.html", "overlay.mp4"):
        (out / name).write_text("mine")
    (tmp_path / "outside.txt").write_text("mine")
    (out / "result.json").write_text(
        _result(["thesis.docx", "../outside.txt", "/etc/hostname", "report.html"])
    )
    new = tmp_path / "new"
    new.mkdir()
    (new / "result.json").write_text(_result(["result.json"]))
    commit_folder(new, out)
    # report.html without posture_cam's signature and overlay.mp4 not in the list are the user's
    assert sorted(p.name for p in out.iterdir()) == [
        "overlay.mp4",
        "report.html",
        "result.json",
        "thesis.docx",
    ]
    assert (tmp_path / "outside.txt").read_text() == "mine"


def test_batch_error_json_replaces_an_old_result_and_the_reverse(tmp_path: Path) -> None:
    final = tmp_path / "rec"
    final.mkdir()
    (final / "landmarks.parquet").write_text("A")
    (final / "result.json").write_text(_result(["landmarks.parquet", "result.json"]))
    failed = tmp_path / "w1"
    failed.mkdir()
    (failed / "error.json").write_text(json.dumps({"error": "x", "error_type": "E", "config_hash": "c"}))
    (failed / ".started-recording").touch()  # work markers are never installed
    commit_folder(failed, final)
    assert sorted(p.name for p in final.iterdir()) == ["error.json"]
    ok = tmp_path / "w2"
    ok.mkdir()
    (ok / "result.json").write_text(_result(["result.json"]))
    commit_folder(ok, final)
    assert sorted(p.name for p in final.iterdir()) == ["result.json"]


def test_staging_is_locked_while_used_and_cleaned_when_its_writer_died(tmp_path: Path) -> None:
    live = Staging(tmp_path)
    _age(live.dir)
    abandoned = tmp_path / ".staging-killed"
    abandoned.mkdir()
    _age(abandoned)
    assert clean_stale_staging(tmp_path) == [abandoned]
    assert live.dir.is_dir()  # its writer holds the lock
    live.abort()
    assert not list(tmp_path.iterdir())


def test_a_killed_writer_leaves_no_staging_folder_after_the_next_run(tmp_path: Path) -> None:
    """Item 6: a process killed while staging (SIGKILL, no clean-up) leaves .staging-*; the next
    Staging in that folder removes it (its flock died with the process)."""
    code = (
        "import sys, time; from posture_cam.outputs import Staging; "
        "s = Staging(sys.argv[1]); s.path('landmarks.parquet').write_text('half'); "
        "print(s.dir, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    staged = Path(proc.stdout.readline().strip())
    assert staged.is_dir()
    _age(staged)
    assert clean_stale_staging(tmp_path) == []  # still alive: untouched
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    _age(staged)
    stage = Staging(tmp_path)
    assert not staged.exists()
    stage.abort()
    assert list(tmp_path.iterdir()) == []


def test_commit_guard_refuses_the_commit_and_nothing_lands(tmp_path: Path) -> None:
    stage = Staging(tmp_path)
    stage.path("result.json").write_text(_result(["result.json"]))

    def dead() -> None:
        raise BatchAbandonedError("the batch is gone")

    with commit_guard(dead), pytest.raises(BatchAbandonedError):
        stage.commit()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- 2/3. names, FIFOs
def test_non_utf8_file_names_get_folder_names_summary_and_history(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / NON_UTF8).write_bytes(b"x")
    (recording,) = discover([clips])
    assert recording.path.endswith(NON_UTF8)
    name = folder_name(Path(recording.path), tmp_path)
    name.encode("ascii")
    assert name == folder_name(Path(recording.path), tmp_path)  # stable
    assert display_path(recording.path).endswith("caf\\xe9-\\xff.mp4")
    df = write_summary([summary_row(recording, status="failed", error=f"{NON_UTF8}: broken")], tmp_path)
    for read in (pd.read_csv(tmp_path / "summary.csv"), pd.read_parquet(tmp_path / "summary.parquet")):
        assert read["path"][0] == df["path"][0] and read["path"][0].endswith("\\xff.mp4")
        assert read["error"][0].startswith("caf\\xe9")
    with History(tmp_path / "h.sqlite") as h:
        h.record_result(recording.path, result=None, subject_id=NON_UTF8, error=f"{NON_UTF8}: broken")
        assert h.recordings()["path"][0].endswith("\\xff.mp4")


@pytest.mark.parametrize("kind", ["fifo", "chardev", "directory"])
def test_fifo_device_and_directory_are_refused_before_hashing(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pipe.mp4"
        os.mkfifo(path)
        words = "named pipe"
    elif kind == "chardev":
        path = tmp_path / "zero.mp4"
        path.symlink_to("/dev/zero")  # a symlink is followed: the target is what would be read
        words = "character device"
    else:
        path = tmp_path / "folder.mp4"
        path.mkdir()
        words = "directory"
    t0 = time.perf_counter()
    with pytest.raises(NotAFileError, match=words):
        sha256_regular_file(path)
    assert time.perf_counter() - t0 < 1.0


# --------------------------------------------------------------------------- 4. exit codes
@pytest.mark.parametrize(
    ("exc", "cls", "code"),
    [
        (OSError(28, "No space left on device"), DiskFullError, 6),
        (OSError(122, "Disk quota exceeded"), DiskFullError, 6),
        (OSError("[Errno 28] Error writing bytes to file"), None, None),
        (OSError("Error writing bytes. Detail: [errno 28] No space left on device"), DiskFullError, 6),
        (sqlite3.OperationalError("database or disk is full"), DiskFullError, 6),
        (sqlite3.DatabaseError("file is not a database"), HistoryDatabaseError, 2),
        (ValueError("something else"), None, None),
    ],
)
def test_translate_maps_library_failures_to_documented_codes(exc, cls, code) -> None:  # noqa: ANN001
    mapped = errors.translate(exc)
    if cls is None:
        assert mapped is None
    else:
        assert isinstance(mapped, cls) and mapped.exit_code == code


def test_translate_follows_the_cause_chain() -> None:
    from PIL import Image

    try:
        try:
            raise Image.DecompressionBombError("Image size (400000000 pixels) exceeds limit")
        except Image.DecompressionBombError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        mapped = errors.translate(outer)
    assert isinstance(mapped, ImageTooLargeError) and mapped.exit_code == 3


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda t: t.encode("latin-1"), "latin-1"),
        (lambda t: t.encode("cp1252"), "cp1252"),
        (lambda t: t.encode("utf-16"), "utf-16 BOM"),
        (lambda t: t.encode("utf-16-le"), "utf-16-le no BOM"),
        (lambda t: t.encode("utf-16-be"), "utf-16-be no BOM"),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8 BOM"),
    ],
)
def test_manifest_in_spreadsheet_encodings(tmp_path: Path, encode, label: str) -> None:  # noqa: ANN001
    (tmp_path / "v1.mp4").write_bytes(b"x")
    text = "path,subject_id\r\nv1.mp4,Zoë Müller\r\n"
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(encode(text))
    (rec,) = read_manifest(manifest)
    assert rec.subject_id == "Zoë Müller", label


def test_manifest_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(b"path\n\x00\x01\x02\x00garbage\x00\n")
    with pytest.raises(ManifestError, match="cannot read the manifest as text"):
        read_manifest(manifest)
    assert decode_manifest("path\n".encode("utf-16"), "m") == "path\n"


def test_damaged_history_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"this is not SQLite at all " * 100)
    for read_only in (True, False):
        with pytest.raises(HistoryDatabaseError, match="damaged or is not a posture_cam history"):
            History(db, read_only=read_only)


# --------------------------------------------------------------------------- 5. leases
def test_lease_watch_stops_when_the_heartbeat_stops_or_changes_hands(tmp_path: Path) -> None:
    path = tmp_path / ".lease"
    path.write_text("run-1")
    watch = LeaseWatch(Lease(str(path), "run-1", timeout_s=0.3))
    watch.check()
    time.sleep(0.15)
    os.utime(path)  # a heartbeat
    watch.check()
    time.sleep(0.5)  # no heartbeat for longer than the timeout
    with pytest.raises(BatchAbandonedError, match="heartbeat"):
        watch.check()
    path.write_text("run-2")
    with pytest.raises(BatchAbandonedError, match="another batch"):
        LeaseWatch(Lease(str(path), "run-1")).check()
    path.unlink()
    with pytest.raises(BatchAbandonedError, match="gone"):
        LeaseWatch(Lease(str(path), "run-1")).check()
    LeaseWatch(None).check()  # no lease (plain analyze): nothing to check


# --------------------------------------------------------------------------- 7. export
@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_csv_formula_cells_are_neutralised(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell
    assert csv_cell("plain") == "plain" and csv_cell(-3.5) == -3.5


def test_summary_csv_neutralises_injected_cells_and_parquet_keeps_them(tmp_path: Path) -> None:
    from posture_cam.batch.inputs import Recording

    rec = Recording("/d/=cmd.mp4", "x-1", subject_id='=HYPERLINK("http://evil","click")')
    bad = Recording("/d/b.mp4", "b-2", subject_id="+cmd|' /C calc'!A0")
    write_summary(
        [summary_row(rec, status="ok"), summary_row(bad, status="failed", error="-1 bad")], tmp_path
    )
    raw = (tmp_path / "summary.csv").read_text(encoding="utf-8")
    for line in raw.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), line
    assert "'=HYPERLINK" in raw and "'+cmd" in raw and "'-1 bad" in raw
    parquet = pd.read_parquet(tmp_path / "summary.parquet")
    assert parquet["subject_id"].tolist()[0].startswith("=HYPERLINK")


def test_terminal_safe_strips_escape_sequences_and_controls() -> None:
    nasty = "p\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\x9b31m\x07\x00ok\nnext\tcol"
    clean = terminal_safe(nasty)
    assert clean == "plinkok\nnext\tcol"
    assert not any(ord(c) < 32 and c not in "\n\t" for c in clean)


def test_md_escape_keeps_links_and_markup_literal() -> None:
    name = "[click me](http://evil.example/x) **bold** <b>x</b> :red[alarm] $x$ www.evil.example"
    escaped = md_escape(name)
    for ch in "[]()*<>:$":
        assert ch not in escaped.replace("\\" + ch, "")
    assert "\n" not in md_escape("a\nb")


# --------------------------------------------------------------------------- 8. uploads
class _Upload(io.BytesIO):
    """What Streamlit hands over (UploadedFile is a BytesIO with name and size)."""

    def __init__(self, data: bytes, *, size: int | None = None) -> None:
        super().__init__(data)
        self.size = len(data) if size is None else size
        self.largest_read = 0

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.largest_read = max(self.largest_read, len(chunk))
        return chunk


def test_oversized_upload_is_refused_and_nothing_stays(tmp_path: Path) -> None:
    declared = _Upload(b"x" * 5000)
    with pytest.raises(InputTooLargeError, match="not kept"):
        save_upload(declared, "big.mp4", root=tmp_path, max_bytes=4000)
    assert declared.largest_read == 0  # refused on the declared size, nothing read
    lying = _Upload(b"x" * (3 << 20), size=10)  # a size that lies: caught while streaming
    with pytest.raises(InputTooLargeError):
        save_upload(lying, "big.mp4", root=tmp_path, max_bytes=2 << 20)
    assert lying.largest_read <= 1 << 20  # streamed in chunks, never read whole
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_upload_is_stored_once_by_hash_and_discarded_on_rejection(tmp_path: Path) -> None:
    up = _Upload(b"video bytes" * 1000)
    a = save_upload(up, "../../evil name.mp4", root=tmp_path, max_bytes=1 << 20)
    b = save_upload(b"video bytes" * 1000, "../../evil name.mp4", root=tmp_path, max_bytes=1 << 20)
    assert a.path == b.path and a.path.parent.parent == tmp_path / "uploads"
    assert a.path.name == "evil name.mp4" and a.size_bytes == 11000
    discard_upload(a.path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_review_page_deletes_a_rejected_upload(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The dashboard path end to end (no pose model needed: the file is refused at probing)."""
    from posture_cam.config import Config
    from posture_cam.pipeline import SubjectInfo
    from posture_cam.ui import review

    monkeypatch.setenv("POSTURE_CAM_CACHE_DIR", str(tmp_path))
    opened = review.analyse_uploads(
        [("[x](http://evil).mp4", _Upload(b"this is not a video" * 100))], Config(), SubjectInfo()
    )
    assert opened == []
    assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []
    tiny = Config().with_overrides({"extraction.max_file_size_mb": 0.001})
    assert review.analyse_uploads([("big.mp4", _Upload(b"x" * 5000))], tiny, SubjectInfo()) == []
    assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []


def test_release_upload_is_harmless_outside_a_streamlit_server() -> None:
    from posture_cam.uploads import release_upload

    up = _Upload(b"x" * 10)
    assert release_upload(up) is False  # no file_id: not a Streamlit upload
    up.file_id = "f-1"  # type: ignore[attr-defined]
    assert release_upload(up) is False and not up.closed  # no running server: nothing to release
