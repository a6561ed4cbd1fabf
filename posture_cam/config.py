"""One typed configuration, mirrored by the commented ``posture_cam/default_config.toml``.

CLI flags and UI widgets only *override* it; the resolved config is written into every
``result.json`` (``config`` section) so a result can always be reproduced.

Each subsystem owns one section (a frozen dataclass below). Units live in the field names.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class ExtractionConfig:
    model: str = "full"  # "lite" | "full" | "heavy" or a path to a .task file
    num_poses: int = 3  # look for up to this many people (the multi-person pass), then follow one subject
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    output_segmentation_masks: bool = False
    max_subject_speed_body_heights_per_s: float = 4.0  # subject-follow gate (jump rejection)
    max_file_size_mb: float = 4096.0  # refuse larger inputs with a clear message
    max_duration_s: float = 3600.0
    subject_reacquire_after_s: float = (
        2.0  # after this long without the subject, acquire the main person anew
    )
    subject_max_size_ratio: float = 1.6  # follow only candidates whose body size is within this ratio
    pelvis_outline: bool = False  # EXPERIMENTAL: measure the hip outline (person mask) in front/back frames
    pelvis_outline_per_s: float = 2.0  # ... in at most this many frames per second (a second model pass)
    # The subject is followed by a one-person landmarker; everyone else is looked for by a multi-person
    # pass (num_poses people) this often, and at once when the subject is lost, jumps, fades or has
    # someone near. 0 = the multi-person landmarker on every frame (1.5x slower, issue 15).
    people_detection_interval_s: float = 0.5
    people_nearby_body_heights: float = 1.5  # another person this close to the subject: look every frame
    people_check_below_presence: float = 0.5  # subject's mean torso presence below this: look at once

    def __post_init__(self) -> None:
        def bad(key: str, expected: str, value: object) -> ConfigError:
            return ConfigError(f"config: 'extraction.{key}' must be {expected}, got {value!r}")

        if isinstance(self.num_poses, bool) or not isinstance(self.num_poses, int) or self.num_poses < 1:
            raise bad("num_poses", "an integer >= 1", self.num_poses)
        interval = self.people_detection_interval_s
        if not (isinstance(interval, int | float) and 0.0 <= interval <= self.subject_reacquire_after_s):
            raise bad(
                "people_detection_interval_s",
                f"a number of seconds in [0, subject_reacquire_after_s = {self.subject_reacquire_after_s}]"
                " (people seen longer ago are forgotten)",
                interval,
            )
        near = self.people_nearby_body_heights
        if not (isinstance(near, int | float) and 0.0 <= near < float("inf")):
            raise bad("people_nearby_body_heights", "a finite number >= 0 (body heights)", near)
        pres = self.people_check_below_presence
        if not (isinstance(pres, int | float) and 0.0 <= pres <= 1.0):
            raise bad("people_check_below_presence", "a presence in [0, 1]", pres)


@dataclass(frozen=True)
class FilterConfig:
    visibility_threshold: float = 0.5  # landmarks below this visibility are dropped (NaN)
    hampel_window_s: float = 0.25  # half-window of the Hampel outlier filter
    hampel_n_sigmas: float = 3.0
    max_gap_s: float = 0.12  # gaps up to this long are interpolated; longer ones stay missing
    lowpass_cutoff_hz: float = 6.0  # zero-lag Butterworth (offline)
    lowpass_order: int = 4
    one_euro_min_cutoff_hz: float = 1.0  # One Euro filter (live)
    one_euro_beta: float = 0.05
    one_euro_d_cutoff_hz: float = 1.0
    hampel_min_scale_px: float = (
        0.5  # floor of the Hampel spread (px) so sub-pixel jitter is never "outlying"
    )


@dataclass(frozen=True)
class CalibrationConfig:
    camera_roll_deg: float | None = (
        None  # user-given roll (positive = camera rotated clockwise); None = estimate
    )
    subject_height_cm: float | None = None  # scale: when given, distances are also reported in cm
    estimate_roll_from_feet: bool = True
    max_roll_estimate_deg: float = (
        10.0  # a floor line steeper than this is rejected (feet not on a level floor)
    )
    foot_still_speed_heights_per_s: float = 0.1  # a foot point slower than this (body heights/s) is "still"
    min_foot_still_s: float = 0.15  # a still-foot episode must last this long to mark the floor
    min_floor_span_px: float = (
        150.0  # floor marks closer together than this give a too-uncertain roll (~1 px error)
    )
    # camera roll from the scene's vertical lines (posture_cam.scene), read during extraction
    estimate_roll_from_scene: bool = True
    scene_roll_every_s: float = 1.0  # one frame read per this many seconds (s)
    scene_min_confidence: float = 0.5  # scene confidence (0..1) at or above this is used for the roll
    scene_min_lines: int = 3  # a frame's reading counts with at least this many supporting lines
    # the feet line is used only when both feet stand still side by side at the same depth:
    feet_max_depth_diff_m: float = 0.08  # |heel-to-heel depth| in MediaPipe world metres
    feet_max_image_depth_diff_heights: float = 0.05  # |heel image z| difference, share of body height
    feet_max_roll_deg: float = 3.0  # feet heights must be similar: a steeper feet line is not used
    feet_scene_max_disagreement_deg: float = 1.5  # feet line differing more from a confident scene: rejected


@dataclass(frozen=True)
class PostureConfig:
    min_valid_frames: int = 10
    min_view_fraction: float = 0.5  # unused since per-segment metrics; kept so old config files load
    view_frontal_min_cos_yaw: float = (
        0.87  # frontalness (~cos of body yaw) at or above -> front/back (yaw <~30 deg)
    )
    view_side_max_cos_yaw: float = (
        0.45  # at or below -> left_side/right_side (yaw >~63 deg); between -> oblique
    )
    view_smoothing_s: float = 0.5  # majority filter window for per-frame view labels
    # front/back metrics leave out frames whose body yaw (view.subject_yaw_deg) is further than this
    # from facing or backing the camera: a turned, level pelvis seen from above projects tilted
    # (docs/metrics.md "Subject yaw and camera height", bench/yaw_camera_height.py)
    frontal_max_yaw_deg: float = 12.0
    view_min_segment_s: float = 0.4  # shorter view segments are merged into their neighbours
    level_tolerance_deg: float = 1.0  # |tilt| below this reads "level" in low_side / toward
    # C7 relative to the shoulder landmark (side view), fractions of body height: up / back along the trunk
    c7_above_shoulder_fraction_height: float = 0.047
    c7_behind_shoulder_fraction_height: float = 0.0354
    quiet_standing_max_speed_body_heights_per_s: float = 0.05  # hip centre slower than this = still
    quiet_standing_max_scale_rate_per_s: float = 0.08  # |d ln(shoulder-floor span)/dt|: not walking in depth
    # trunk within this of vertical: a stooped stance (parkinsonian 20-30 deg) is still standing; forward
    # bends are told apart as movements (prepare stage)
    quiet_standing_max_trunk_lean_deg: float = 35.0
    quiet_standing_min_duration_s: float = 1.0  # still runs shorter than this are not quiet standing
    # prepare stage: a forward bend leans at least this much further than the subject's own usual lean
    # (a stooped stance is standing) and peaks at >= 30 deg from vertical
    forward_bend_min_rise_deg: float = 20.0
    # a standing segment feeds a metric only when it lasts at least this long (per segment, its view)
    segment_min_duration_s: float = 1.0


@dataclass(frozen=True)
class GaitConfig:
    min_steps: int = (
        3  # steps for cadence (3 step intervals = 4 heel strikes, ~1.5 strides); per side: min_steps // 2
    )
    min_step_time_s: float = 0.25
    max_step_time_s: float = 1.5
    walking_min_speed_body_heights_per_s: float = 0.15  # side view: mid-hip progression to count as walking
    walking_min_scale_rate_per_s: float = 0.04  # front/back view: |d ln(body size)/dt| to count as walking
    walking_min_duration_s: float = 1.0  # shorter runs of progression are not a walking bout
    standing_max_speed_body_heights_per_s: float = 0.05  # mid-hip and feet slower than this = standing
    swap_penalty_body_heights: float = 0.1  # leg-swap repair: cost of one label change
    event_min_prominence_fraction: float = 0.25  # side view: extremum prominence / signal range
    trendelenburg_min_trunk_lean_deg: float = 5.0  # compensated Trendelenburg: lean toward the stance side
    level_pelvis_max_drop_deg: float = 2.0  # ... with a pelvic drop no larger than this
    min_steps_per_side_for_symmetry: int = 2  # left/right symmetry indices need this many steps per side
    min_steps_for_variability: int = 6  # step-time CV needs this many steps (pooled over bouts)
    event_margin_s: float = 0.4  # events are searched this far beyond each bout (first / closing step)


@dataclass(frozen=True)
class RulesConfig:
    rules_file: str | None = None  # None = the packaged posture_cam/rules/rules.toml


@dataclass(frozen=True)
class OutputConfig:
    overlay: bool = False  # write an annotated H.264 MP4
    blur_faces: bool = False
    csv: bool = False  # also write landmarks.csv


@dataclass(frozen=True)
class Config:
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    posture: PostureConfig = field(default_factory=PostureConfig)
    gait: GaitConfig = field(default_factory=GaitConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        """Apply ``{"section.key": value}`` overrides (``None`` values are ignored)."""
        data = self.to_dict()
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            if section not in data or key not in data[section]:
                raise ConfigError(f"config: unknown key '{dotted}'")
            data[section][key] = value
        return config_from_dict(data)


def config_from_dict(data: Mapping[str, Any], *, source: str = "config") -> Config:
    """Build a Config from nested mappings, validating names and types with clear messages."""
    sections: dict[str, Any] = {}
    for f in fields(Config):
        raw = data.get(f.name, {})
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source}: [{f.name}] must be a table, got {type(raw).__name__}")
        cls = f.default_factory
        if not isinstance(cls, type):  # every Config field is a section dataclass made by default_factory
            raise TypeError(f"Config.{f.name}: expected default_factory=<section dataclass>, got {cls!r}")
        known = {sf.name: sf for sf in fields(cls)}
        for key in raw:
            if key not in known:
                raise ConfigError(f"{source}: unknown key '{f.name}.{key}' (known: {', '.join(known)})")
        kwargs = {}
        for key, value in raw.items():
            default = getattr(cls(), key)
            if default is not None and value is not None and not isinstance(value, type(default)):
                if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                    value = float(value)
                else:
                    raise ConfigError(
                        f"{source}: '{f.name}.{key}' must be {type(default).__name__}, "
                        f"got {type(value).__name__} ({value!r})"
                    )
            kwargs[key] = value
        sections[f.name] = cls(**kwargs)
    extra = set(data) - {f.name for f in fields(Config)}
    if extra:
        raise ConfigError(f"{source}: unknown section(s) {sorted(extra)}")
    return Config(**sections)


def load_config(path: str | Path | None = None) -> Config:
    """The default config, or one read from a TOML file (missing keys keep their defaults)."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from None
    return config_from_dict(data, source=str(p))
