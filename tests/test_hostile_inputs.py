"""Hostile inputs and faults through the real command line (#16): each gets its documented exit code,
one line on stderr, no traceback, and nothing half-written or stale. README "Exit codes" lists them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pandas as pd
import pytest

from posture_cam.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"
A = SAMPLES / "standing_neutral_front.mp4"
B = SAMPLES / "standing_neutral_side.mp4"
NON_UTF8 = os.fsdecode(b"Zo\xeb-\xff")


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "posture_cam.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        errors="backslashreplace",
    )


def _one_line_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("posture-cam: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _leftovers(out: Path) -> list[str]:
    return [
        p.name
        for p in out.rglob("*")
        if p.name.startswith((".staging-", ".write-test-", ".incoming-")) or p.name.endswith(".tmp")
    ]


# --------------------------------------------------------------------------- 1. reused --out
@pytest.mark.slow
def test_reused_out_folder_keeps_no_output_of_the_other_recording(tmp_path: Path) -> None:
    out = tmp_path / "D"
    assert main(["analyze", str(A), "--out", str(out), "--overlay", "--csv", "-q"]) == 0
    assert {"overlay.mp4", "landmarks.csv"} <= {p.name for p in out.iterdir()}
    (out / "my_notes.txt").write_text("kept")
    from posture_cam import report

    report.write_reports(out)  # reports of A (the dashboard writes these into the folder)
    assert main(["analyze", str(B), "--out", str(out), "-q"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "landmarks.json",
        "landmarks.parquet",
        "metrics_timeseries.csv",
        "my_notes.txt",
        "result.json",
    ], names
    result = json.loads((out / "result.json").read_text())
    assert result["input"]["path"].endswith(B.name)
    assert sorted(result["files"]) == [n for n in names if n != "my_notes.txt"]
    assert _leftovers(out) == []


# --------------------------------------------------------------------------- 2/3. names and special files
@pytest.mark.slow
def test_batch_with_a_non_utf8_file_name_runs_to_the_end(tmp_path: Path) -> None:
    clips = tmp_path / NON_UTF8
    clips.mkdir()
    shutil.copy(A, clips / f"{NON_UTF8}.mp4")
    (clips / f"{NON_UTF8}-broken.mp4").write_text("not a video\n" * 20)
    out = tmp_path / "out"
    proc = _run("batch", str(clips), "--out", str(out), "--workers", "1", "-q")
    assert proc.returncode == 1, proc.stderr[-2000:]  # finished, one recording failed
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["status"]) == ["failed", "ok"]
    assert all("Zo\\xeb-\\xff" in p for p in summary["path"])
    assert len(pd.read_parquet(out / "summary.parquet")) == 2
    for name in summary["name"]:
        name.encode("ascii")
        assert (out / name).is_dir()
    from posture_cam.history import History

    with History(out / "history.sqlite", read_only=True) as h:
        assert len(h.recordings()) == 2
    from posture_cam import report

    ok = out / summary.loc[summary["status"] == "ok", "name"].iloc[0]
    assert json.loads((ok / "result.json").read_text())["input"]["path"].endswith("Zo\\xeb-\\xff.mp4")
    html, pdf = report.write_reports(ok)  # failed the same way before (UnicodeEncodeError)
    assert html.stat().st_size > 0 and pdf.stat().st_size > 0


def test_batch_refuses_fifo_and_char_device_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.mp4"
    zero.symlink_to("/dev/zero")
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = _run("batch", str(fifo), str(zero), "--out", str(out), "-q", timeout=120)
    assert time.monotonic() - t0 < 60
    assert proc.returncode == 1, proc.stderr[-2000:]
    errors = pd.read_csv(out / "summary.csv").set_index("path")["error"]
    assert "named pipe" in errors[str(fifo)]
    assert "character device" in errors[str(zero.resolve())]  # recordings are resolved paths


# --------------------------------------------------------------------------- 4. exit codes
def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG that declares a huge image (what a decompression bomb looks like to the decoder)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_decompression_bomb_image_is_unreadable_media(tmp_path: Path) -> None:
    bomb = _png_header_only(tmp_path / "bomb.png", 30000, 30000)  # 900 Mpixel, 100 bytes on disk
    out = tmp_path / "out"
    _one_line_error(_run("analyze", str(bomb), "--out", str(out)), 3, "bomb.png", "too large")
    assert not out.exists() or _leftovers(out) == [] and not any(out.iterdir())


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_batch_reads_a_manifest_saved_by_a_spreadsheet(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "clip.mp4").write_text("not a video")
    manifest = tmp_path / "m.csv"
    manifest.write_bytes("path,subject_id\r\nclip.mp4,Zoë\r\n".encode(encoding))
    proc = _run("batch", str(manifest), "--out", str(tmp_path / "out"), "--workers", "1", "-q")
    assert proc.returncode == 1, proc.stderr[-2000:]  # the manifest was read; the clip itself is bad
    assert pd.read_csv(tmp_path / "out" / "summary.csv")["subject_id"].tolist() == ["Zoë"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_dask_scheduler_fails_fast_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_text("x")
    t0 = time.monotonic()
    proc = _run(
        "batch",
        str(tmp_path / "clip.mp4"),
        "--out",
        str(tmp_path / "out"),
        "--executor",
        "dask",
        "--scheduler",
        f"tcp://127.0.0.1:{_closed_port()}",
        "-q",
        timeout=120,
    )
    _one_line_error(proc, 2, "Dask scheduler", "127.0.0.1")
    assert time.monotonic() - t0 < 25  # was 30 s of waiting, then exit 70


def test_damaged_history_database(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"\x00garbage, not SQLite\n" * 200)
    _one_line_error(_run("history", "--db", str(db)), 2, "damaged")
    (tmp_path / "clip.mp4").write_text("x")
    proc = _run("batch", str(tmp_path / "clip.mp4"), "--out", str(tmp_path / "o"), "--history", str(db), "-q")
    _one_line_error(proc, 2, "damaged")
    assert db.read_bytes().startswith(b"\x00garbage")  # never overwritten


def test_deeply_nested_result_json(tmp_path: Path) -> None:
    folder = tmp_path / "res"
    folder.mkdir()
    (folder / "result.json").write_text("[" * 200_000 + "]" * 200_000)
    _one_line_error(_run("explain", str(folder)), 2, "nested too deeply")


def test_history_output_carries_no_terminal_escapes(tmp_path: Path) -> None:
    from posture_cam.history import History

    evil = "p1\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\x1b[2J\x1b]0;pwned\x07"
    with History(tmp_path / "history.sqlite") as h:
        h.record_result(
            tmp_path / "a\x1b[31m.mp4",
            result={"input": {}, "metrics": {"head_tilt_deg": {"value": 1.0, "unit": "deg"}}},
            subject_id=evil,
            session_date="2024-01-02",
        )
    for args in (["history"], ["history", evil], ["history", evil, "--long"]):
        proc = _run(*args, "--db", str(tmp_path / "history.sqlite"))
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
        assert ("p1click" if args == ["history"] else "a.mp4") in proc.stdout


# --------------------------------------------------------------------------- disk full (fault injection)
def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return res.returncode == 0


def _fill(fs: Path, leave_bytes: int = 0) -> None:
    """Fill a file system to within ``leave_bytes`` of full."""
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize - leave_bytes
    with open(fs / "filler", "wb", buffering=0) as fh:
        try:
            while free > 0:
                n = min(free, 1 << 16)
                fh.write(b"\0" * n)
                free -= n
        except OSError:
            pass


@pytest.fixture()
def full_disk(tmp_path: Path):  # noqa: ANN201
    """A small tmpfs, nearly full (root only; elsewhere the patched-writer tests cover the same code)."""
    mnt = tmp_path / "small_disk"
    if not _mount_tmpfs(mnt, "2m"):
        pytest.skip("needs root and mount to create a small tmpfs")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_analyze_on_a_full_disk_exits_6_and_leaves_nothing(full_disk: Path) -> None:
    out = full_disk / "out"
    out.mkdir()
    _fill(full_disk, leave_bytes=8 << 10)
    line = _one_line_error(_run("analyze", str(A), "--out", str(out), "--overlay", "-q"), 6, "disk is full")
    assert "No space left" in line
    assert list(out.iterdir()) == []


def test_batch_on_a_full_disk_exits_6(full_disk: Path, tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_text("not a video")
    out = full_disk / "out"
    _fill(full_disk)
    _one_line_error(_run("batch", str(tmp_path / "clip.mp4"), "--out", str(out), "-q"), 6, "disk is full")


def test_batch_with_history_on_a_full_disk_exits_6(full_disk: Path, tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_text("not a video")
    _fill(full_disk)
    proc = _run(
        "batch",
        str(tmp_path / "clip.mp4"),
        "--out",
        str(tmp_path / "out"),
        "--history",
        str(full_disk / "history.sqlite"),
        "-q",
    )
    _one_line_error(proc, 6, "disk is full")


@pytest.mark.slow
def test_disk_full_from_a_patched_writer_in_analyze(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """Without root: the landmark writer raises ENOSPC as pyarrow does on a full disk."""
    import errno

    from posture_cam.sequence import PoseSequence

    def full(self, path):  # noqa: ANN001, ANN202
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(PoseSequence, "save", full)
    out = tmp_path / "out"
    assert main(["analyze", str(A), "--out", str(out), "-q"]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk is full" in err
    assert list(out.iterdir()) == []


def test_disk_full_from_sqlite_in_batch(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """Without root: SQLite reports SQLITE_FULL while the batch records a recording."""
    import sqlite3

    from posture_cam.history import History

    def full(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(History, "record_result", full)
    (tmp_path / "clip.mp4").write_text("not a video")
    assert main(["batch", str(tmp_path / "clip.mp4"), "--out", str(tmp_path / "out"), "-q", "-j", "1"]) == 6
    assert "disk is full" in capsys.readouterr().err
