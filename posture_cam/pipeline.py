"""Orchestration: input -> landmarks -> metrics -> gait -> findings -> files.

This is the one place that strings the stages together; every stage is a pure-ish function in its
own module. Three entry points:

* :func:`analyze_file` - a video or image on disk (CLI ``analyze``, dashboard upload, batch worker);
* :func:`finish_analysis` - a ``PoseSequence`` already extracted (batch chunked long videos);
* :func:`analyze_sequence` - the ``result.json`` dict for a sequence without writing anything
  (webcam guided capture, tests).

Output folder contract (``docs/ARCHITECTURE.md``): ``landmarks.parquet`` (+ ``.json`` sidecar),
``metrics_timeseries.csv``, optional ``overlay.mp4`` and ``landmarks.csv``, and ``result.json``
written LAST. Files are first written into a hidden staging folder inside ``out_dir`` and then
renamed into place, so a failed or killed analysis never leaves a half-written file under a final
name, and a stale ``result.json`` from an earlier run is removed before new files land.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .config import Config
from .errors import NoPersonDetectedError, OutputError
from .measurement import MetricResult
from .memory import releases_memory
from .outputs import Staging
from .paths import display_path
from .sequence import PoseSequence, atomic_write_text

SCHEMA_VERSION = 1
ProgressFn = Callable[[int, int | None], None]


@dataclass(frozen=True)
class SubjectInfo:
    """What the user tells us about the person in the recording (all optional)."""

    id: str | None = None
    height_cm: float | None = None
    session_date: str | None = None
    view_hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "height_cm": self.height_cm,
            "session_date": self.session_date,
            "view_hint": self.view_hint,
        }


@dataclass
class AnalysisResult:
    out_dir: Path | None
    result: dict[str, Any]
    sequence: PoseSequence
    series: dict[str, np.ndarray] = field(default_factory=dict)
    posture: Any = None
    gait: Any = None

    @property
    def result_path(self) -> Path | None:
        return None if self.out_dir is None else self.out_dir / "result.json"


# --------------------------------------------------------------------------- helpers
def resolve_config(config: Config | None, subject: SubjectInfo | None) -> Config:
    """The config actually used: subject height given at run time overrides the file's value."""
    cfg = config or Config()
    if subject is not None and subject.height_cm is not None:
        cfg = replace(cfg, calibration=replace(cfg.calibration, subject_height_cm=float(subject.height_cm)))
    return cfg


def versions() -> dict[str, str]:
    out = {"posture_cam": __version__, "python": platform.python_version(), "numpy": np.__version__}
    for mod in ("mediapipe", "cv2", "av"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover - optional at analysis time
            pass
    return out


def check_output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and prove it is writable, before any heavy work starts."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path exists and is not a folder: {out}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {out}: {exc.strerror or exc}") from None
    return out


def _input_section(info: Any, seq: PoseSequence) -> dict[str, Any]:
    if info is None:
        return {
            "path": None,
            "sha256": None,
            "frames": seq.n_frames,
            "fps": round(seq.fps, 4),
            "duration_s": round(seq.duration_s, 4),
            "width": seq.frame_size[0],
            "height": seq.frame_size[1],
            "rotation_deg": 0,
            "codec": None,
            "source": "frames",
        }
    return {
        "path": display_path(info.path),  # text: bytes of a non-UTF-8 name appear as \\xNN
        "sha256": info.sha256,
        "frames": int(seq.n_frames),
        "fps": round(float(info.fps), 4),
        "duration_s": round(float(seq.duration_s), 4),
        "width": int(info.width),
        "height": int(info.height),
        "rotation_deg": int(info.rotation_deg),
        "codec": getattr(info, "codec", None),
        "is_image": bool(getattr(info, "is_image", False)),
        "size_bytes": getattr(info, "size_bytes", None),
    }


def _model_section(model: Any) -> dict[str, Any] | None:
    if model is None:
        return None
    return {
        "name": getattr(model, "name", None),
        "path": str(getattr(model, "path", "")),
        "source": getattr(model, "source", None),
        "sha256": getattr(model, "sha256", None),
    }


# --------------------------------------------------------------------------- analysis stage
def run_analysis(
    seq: PoseSequence,
    info: Any = None,
    config: Config | None = None,
    *,
    subject: SubjectInfo | None = None,
    model: Any = None,
    warnings: list[str] | None = None,
    corrections: Any = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], Any, Any]:
    """Metrics, gait and findings for an extracted sequence. Returns (result, series, posture, gait).

    ``corrections`` (:class:`posture_cam.corrections.Corrections`): the clinician's corrections. The
    automatic analysis runs first; the corrected one recomputes everything from the corrected
    landmarks and events through the same functions, and every metric then says whether it is
    automatic or corrected (``extra.provenance``, ``extra.automatic_value``).
    """
    if corrections:
        return _run_corrected(
            seq, info, config, subject=subject, model=model, warnings=warnings, corrections=corrections
        )
    return _run(seq, info, config, subject=subject, model=model, warnings=warnings)


def _run(
    seq: PoseSequence,
    info: Any = None,
    config: Config | None = None,
    *,
    subject: SubjectInfo | None = None,
    model: Any = None,
    warnings: list[str] | None = None,
    corrections: Any = None,
    automatic_prep: Any = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], Any, Any]:
    from .capture import capture_conditions
    from .gait import analyze_gait
    from .posture import analyze_posture
    from .prepare import prepare
    from .rules import evaluate, load_rules

    cfg = resolve_config(config, subject)
    warnings = list(warnings or [])
    detected = seq.detected
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "input": _input_section(info, seq),
        "subject": (subject or SubjectInfo(height_cm=cfg.calibration.subject_height_cm)).to_json(),
        "detection": {
            "frames_with_person": int(detected.sum()),
            "detection_rate": round(float(detected.mean()) if seq.n_frames else 0.0, 4),
            "people_seen_max": int(seq.people_count.max()) if seq.n_frames else 0,
        },
        "model": _model_section(model),
        "versions": versions(),
        "config": cfg.to_dict(),
    }
    if result["detection"]["people_seen_max"] > 1:
        warnings.append(
            f"up to {result['detection']['people_seen_max']} people were in view; "
            "the analysis follows the main subject chosen at the start"
        )
    if seq.n_frames and result["detection"]["detection_rate"] < 0.5:
        warnings.append(
            f"the subject was found in only {result['detection']['detection_rate']:.0%} of frames; "
            "metrics use the frames where they were found"
        )

    applied: list[dict[str, Any]] = []
    analysed = seq
    if corrections and automatic_prep is not None:
        from .corrections import apply_landmark_corrections

        analysed, applied = apply_landmark_corrections(
            seq, automatic_prep.seq.image_px[..., :2].astype(np.float64), automatic_prep.segments, corrections
        )
    prep = prepare(analysed, cfg)
    posture = analyze_posture(prep, cfg)
    pj = posture.to_json()
    result["view"] = pj.get("view")
    result["calibration"] = pj.get("calibration")
    result["metrics"] = pj.get("metrics", {})
    series = dict(posture.series)

    scale = prep.calibration.scale
    px_per_cm = scale.px_per_cm
    edits = corrections.of("event") if corrections else None
    gait = analyze_gait(
        prep, cfg, px_per_m=None if px_per_cm is None else 100.0 * px_per_cm, event_edits=edits
    )
    result["gait"] = gait.to_json()
    result["segments"] = _segments_section(prep, posture, gait)
    result["capture"] = capture_conditions(seq, info, result["view"] or {}, result["calibration"] or {})
    result["prepare"] = {
        "sampling_rate_hz": round(prep.sampling_rate_hz, 4),
        "leg_swaps_repaired_frames": int(prep.swapped.sum()),
    }
    if result["gait"].get("walking_detected") and result["gait"].get("sides_reliable") is False:
        warnings.append(
            "the pose model's left/right leg labels did not follow the legs in this side view; "
            "step timing and the size of any asymmetry stand, but which side is 'left' may be "
            "exchanged (a front or back view, or a marker on one leg, settles it)"
        )

    if corrections:
        from .corrections import manual_measurement

        result["manual_measurements"] = [
            manual_measurement(
                c,
                roll_deg=prep.calibration.roll_deg,
                frame_size=seq.frame_size,
                px_per_cm=scale.px_per_cm,
                body_height_px=scale.body_height_px,
            )
            for c in corrections.of("measurement")
        ]
        result["clinical_points"] = [c.to_json() for c in corrections.of("point")]
        result["landmark_corrections"] = applied

    rules = load_rules(cfg.rules.rules_file)
    findings = evaluate(result, rules, series=series, timestamps_s=seq.timestamps_s)
    result["findings"] = [f.to_json() for f in findings]
    result["warnings"] = warnings
    return result, series, posture, gait


def _run_corrected(
    seq: PoseSequence,
    info: Any,
    config: Config | None,
    *,
    subject: SubjectInfo | None,
    model: Any,
    warnings: list[str] | None,
    corrections: Any,
) -> tuple[dict[str, Any], dict[str, np.ndarray], Any, Any]:
    """The corrected analysis, with the automatic one kept beside it (``result["automatic"]``)."""
    auto, _, auto_posture, _ = _run(seq, info, config, subject=subject, model=model, warnings=warnings)
    result, series, posture, gait = _run(
        seq,
        info,
        config,
        subject=subject,
        model=model,
        warnings=warnings,
        corrections=corrections,
        automatic_prep=auto_posture.prepared,
    )
    mark_provenance(result, auto, corrections)
    return result, series, posture, gait


def mark_provenance(result: dict[str, Any], automatic: Mapping[str, Any], corrections: Any) -> None:
    """Say for every metric and finding whether it is automatic or corrected (in place).

    A metric is "corrected" when its value or status differs from the automatic run; it then carries
    ``automatic_value``. ``result["provenance"]`` lists who changed what and when, and
    ``result["automatic"]`` keeps the automatic metrics and findings.
    """
    changed: list[str] = []
    for section, auto_section in (
        (result.get("metrics") or {}, automatic.get("metrics") or {}),
        ((result.get("gait") or {}).get("metrics") or {}, (automatic.get("gait") or {}).get("metrics") or {}),
    ):
        for key, m in section.items():
            a = auto_section.get(key) or {}
            mj = m.to_json() if isinstance(m, MetricResult) else m
            differs = mj.get("status") != a.get("status") or not _same(mj.get("value"), a.get("value"))
            extra = dict(mj.get("extra") or {})
            extra["provenance"] = "corrected" if differs else "automatic"
            if differs:
                extra["automatic_value"] = a.get("value")
                extra["automatic_status"] = a.get("status")
                changed.append(key)
            mj = {**mj, "extra": extra}
            section[key] = mj
    auto_findings = {f.get("id"): f.get("status") for f in automatic.get("findings") or []}
    for f in result.get("findings") or []:
        was = auto_findings.get(f.get("id"))
        f["provenance"] = "automatic" if was == f.get("status") else "corrected"
        if was != f.get("status"):
            f["automatic_status"] = was
    result["provenance"] = {
        "kind": "corrected",
        "changed_metrics": changed,
        "corrections": [{"what": c.describe(), **c.to_json()} for c in corrections.entries],
    }
    result["automatic"] = {
        "metrics": automatic.get("metrics"),
        "gait_metrics": (automatic.get("gait") or {}).get("metrics"),
        "findings": automatic.get("findings"),
        "created_utc": automatic.get("created_utc"),
    }


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    except (TypeError, ValueError):
        return bool(a == b)


def _segments_section(prep: Any, posture: Any, gait: Any) -> list[dict[str, Any]]:
    """``result.json`` ``segments``: each part of the recording with the metrics its own frames gave.

    Standing segments carry the posture metrics of their view; walking segments the gait metrics of
    their bout when the gait stage reports per-bout metrics (``GaitReport.bout_metrics``).
    """
    per_bout = list(getattr(gait, "bout_metrics", None) or [])
    bout_starts = [b.start for b in getattr(gait, "bouts", [])]
    out = []
    for seg, vals in zip(prep.segments, posture.segment_metrics, strict=True):
        item = seg.to_json()
        metrics: dict[str, Any] = dict(vals)
        if seg.activity == "walking" and per_bout:
            i = next((j for j, s in enumerate(bout_starts) if seg.start <= s < seg.stop), None)
            if i is not None and i < len(per_bout):
                metrics.update(per_bout[i])
        item["metrics"] = metrics
        out.append(item)
    return out


def analyze_sequence(
    seq: PoseSequence,
    info: Any = None,
    config: Config | None = None,
    *,
    subject: SubjectInfo | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """The ``result.json`` dict for an extracted sequence, nothing written."""
    return run_analysis(seq, info, config, subject=subject, model=model)[0]


def _timeseries_csv(seq: PoseSequence, series: Mapping[str, np.ndarray]) -> str:
    cols = ["frame_index", "timestamp_s"] + sorted(series)
    lines = [",".join(cols)]
    data = [seq.frame_index.astype(np.float64), seq.timestamps_s] + [
        np.asarray(series[k], np.float64) for k in sorted(series)
    ]
    for i in range(seq.n_frames):
        vals = []
        for j, arr in enumerate(data):
            v = arr[i] if i < len(arr) else np.nan
            vals.append("" if not np.isfinite(v) else (f"{int(v)}" if j == 0 else f"{v:.6g}"))
        lines.append(",".join(vals))
    return "\n".join(lines) + "\n"


# How outputs replace old outputs (staging, stale files, commit order) is decided in posture_cam.outputs.
_Staging = Staging


def finish_analysis(
    seq: PoseSequence,
    info: Any,
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    *,
    subject: SubjectInfo | None = None,
    model: Any = None,
    warnings: list[str] | None = None,
    staging: _Staging | None = None,
    corrections: Any = None,
) -> AnalysisResult:
    """Analyse an extracted sequence and write the output folder (result.json last).

    ``corrections``: a :class:`~posture_cam.corrections.Corrections`, or None to use the
    ``corrections.json`` already beside the analysis when it belongs to this recording (so
    corrections survive a re-analysis of the same file).
    """
    out = check_output_dir(out_dir)
    cfg = resolve_config(config, subject)
    if corrections is None:
        from .corrections import corrections_for

        corrections = corrections_for(out, getattr(info, "sha256", None))
    stage = staging or _Staging(out)
    try:
        if not seq.detected.any():
            what = "image" if getattr(info, "is_image", False) else "recording"
            raise NoPersonDetectedError(
                f"no person was detected in any frame of the {what}"
                + (f" ({info.path})" if info is not None else "")
            )
        result, series, posture, gait = run_analysis(
            seq, info, cfg, subject=subject, model=model, warnings=warnings, corrections=corrections
        )
        if corrections:
            _store_corrections(out, corrections, getattr(info, "sha256", None))
        seq.save(stage.path("landmarks.parquet"))
        if cfg.output.csv:
            seq.to_csv(stage.path("landmarks.csv"))
        atomic_write_text(stage.path("metrics_timeseries.csv"), _timeseries_csv(seq, series))
        result["files"] = sorted({p.name for p in stage.dir.iterdir()} | {"result.json"})
        atomic_write_text(
            stage.path("result.json"), json.dumps(_clean_json(result), indent=2, allow_nan=False)
        )
        stage.commit()
    except BaseException:
        stage.abort()
        raise
    return AnalysisResult(out, result, seq, series, posture, gait)


def _store_corrections(out: Path, corrections: Any, sha256: str | None) -> None:
    """Keep the corrections beside the analysis (``corrections.json``, tied to the recording's hash)."""
    from dataclasses import replace as dc_replace

    from .corrections import FILE_NAME

    if sha256 and not corrections.input_sha256:
        corrections = dc_replace(corrections, input_sha256=sha256)
    target = out / FILE_NAME
    text = json.dumps(corrections.to_json(), indent=2) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)


def reanalyze(out_dir: str | os.PathLike[str], corrections: Any) -> AnalysisResult:
    """Recompute a finished analysis with the clinician's corrections, without decoding the video again.

    Reads ``landmarks.parquet`` and the stored settings of ``out_dir/result.json``, applies
    ``corrections`` (landmarks, events, manual measurements) and writes the corrected ``result.json``
    (the automatic values kept inside it) and ``corrections.json``; the annotated video and the
    landmark files stay as they are.
    """
    from types import SimpleNamespace

    from .config import config_from_dict

    out = Path(out_dir)
    old = load_result(out)
    seq = PoseSequence.load(out / "landmarks.parquet")
    cfg = config_from_dict(old.get("config") or {}, source=str(out / "result.json"))
    inp = dict(old.get("input") or {})
    info = None if inp.get("path") is None else SimpleNamespace(**{"is_image": False, "codec": None, **inp})
    subj = old.get("subject") or {}
    subject = SubjectInfo(
        subj.get("id"), subj.get("height_cm"), subj.get("session_date"), subj.get("view_hint")
    )
    stage = _Staging(out)
    try:
        for name in ("overlay.mp4", "landmarks.csv"):  # kept: not recomputed
            if (out / name).is_file():
                try:
                    os.link(out / name, stage.path(name))
                except OSError:
                    shutil.copy2(out / name, stage.path(name))
        model = old.get("model")
        return finish_analysis(
            seq,
            info,
            out,
            cfg,
            subject=subject,
            model=None if model is None else SimpleNamespace(**model),
            staging=stage,
            corrections=corrections,
        )
    except BaseException:
        stage.abort()
        raise


def _clean_json(obj: Any) -> Any:
    """Make a result JSON-safe: numpy scalars to Python, NaN/inf to None, MetricResult to dicts."""
    if isinstance(obj, MetricResult):
        return _clean_json(obj.to_json())
    if isinstance(obj, Mapping):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean_json(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


# --------------------------------------------------------------------------- file entry point
_DECODE_READ_AHEAD_FRAMES = 4  # decoded frames held ahead of MediaPipe (4 x 6 MB at 1080p)


@releases_memory  # a long-lived process (batch worker, dashboard) must not creep per recording
def analyze_file(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    *,
    subject: SubjectInfo | None = None,
    progress: ProgressFn | None = None,
    sha256: str | None = None,
    corrections: Any = None,
    pipelined: bool = True,
) -> AnalysisResult:
    """Analyse one video or image file into ``out_dir``. Raises ``posture_cam.errors`` exceptions.

    ``corrections``: clinician corrections to apply (default: a ``corrections.json`` already in
    ``out_dir`` for the same recording).

    ``sha256``: the file's hash if the caller already has it (a batch hashes every input to decide
    what to skip), so the file is not read twice for it.

    ``pipelined``: decode ahead, run the scheduled people check on another thread and the pose models
    on every core, so that a second core shortens the analysis (the result is the same). A batch
    running one worker per core passes False: there the other core is busy with another recording.
    """
    from .extract import extract_sequence
    from .model_bundle import resolve_model
    from .pose_adapter import inference_threads_available
    from .video import iter_frames, probe

    cfg = resolve_config(config, subject)
    out = check_output_dir(out_dir)
    info = probe(path, cfg.extraction, sha256=sha256)
    model = resolve_model(cfg.extraction.model)
    warnings = list(getattr(info, "warnings", []) or [])
    stage = _Staging(out)
    try:
        writer = None
        on_frame = None
        if cfg.output.overlay and not info.is_image:
            from .overlay import H264Writer, blur_faces, draw_pose

            writer = H264Writer(stage.path("overlay.mp4"), info.fps, (info.width, info.height))
            writer.__enter__()

            def on_frame(frame: Any, cand: Any) -> None:
                rgb = frame.rgb
                if cand is not None:
                    if cfg.output.blur_faces:
                        rgb = blur_faces(rgb, cand.image_px, cand.visibility)
                    rgb = draw_pose(rgb, cand.image_px, cand.visibility)
                elif cfg.output.blur_faces:
                    rgb = rgb  # nobody found: nothing to blur by landmarks
                writer.write(rgb)

        from .capture import LumaSampler
        from .scene import SceneRollSampler, compose_hooks

        cal = cfg.calibration  # camera roll from the scene's verticals, ~1 frame/s (posture_cam.scene)
        scene = SceneRollSampler(cal.scene_roll_every_s) if cal.estimate_roll_from_scene else None
        luma = LumaSampler()  # lighting of the capture (result.json capture), ~1 frame/s
        # decoding runs one core over while MediaPipe works (it releases the GIL): frames come ready
        frames = None
        try:
            frames = iter_frames(path, read_ahead=_DECODE_READ_AHEAD_FRAMES if pipelined else 0)
            seq = extract_sequence(
                frames,
                fps=info.fps,
                frame_size=(info.width, info.height),
                config=cfg.extraction,
                model_path=model.path,
                progress=progress,
                meta={"source": str(path), "sha256": info.sha256},
                on_frame=compose_hooks(on_frame, scene, luma),
                running_mode="image" if info.is_image else "video",
                total_frames=info.n_frames,
                concurrent_people_check=pipelined,
                # the models' own threads: all cores for one analysis, one in a batch worker per core
                inference_threads=inference_threads_available() if pipelined else 1,
                # the analysis stage's imports (~3 s: scipy.signal, pyarrow) load while MediaPipe runs
                prefetch_imports=(
                    "posture_cam.prepare",
                    "posture_cam.posture",
                    "posture_cam.gait",
                    "posture_cam.rules",
                    "pyarrow.parquet",
                ),
            )
            if scene is not None:
                seq = scene.attach(seq)
            seq = luma.attach(seq)
            stats = getattr(frames, "stats", None)
            warnings += list(getattr(stats, "warnings", []) or [])
        except BaseException as exc:
            if writer is not None:
                writer.__exit__(type(exc), exc, exc.__traceback__)
            raise
        finally:
            if frames is not None:
                frames.close()
        if writer is not None:
            writer.__exit__(None, None, None)
        return finish_analysis(
            seq,
            info,
            out,
            cfg,
            subject=subject,
            model=model,
            warnings=warnings,
            staging=stage,
            corrections=corrections,
        )
    except BaseException:
        stage.abort()
        raise


def load_result(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``out_dir/result.json`` (raises OutputError with a clear message when absent/invalid)."""
    p = Path(out_dir) / "result.json"
    if not p.is_file():
        raise OutputError(f"no finished analysis in {out_dir} (result.json not found)")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise OutputError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
