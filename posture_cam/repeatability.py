"""Test-retest repeatability: standard error of measurement (SEM) and smallest detectable change.

A change between two sessions is only "real" when it exceeds what repeating the measurement on an
unchanged subject produces. With ``n`` subjects (or postures) each measured ``k >= 2`` times under
conditions that should not matter (new sensor noise, a slightly different camera distance, height or
angle, other clothing, other lighting):

* ``SEM = sqrt(MS_within)``, ``MS_within = sum_i sum_j (x_ij - mean_i)^2 / (n (k_i - 1))`` summed
  over subjects (the within-subject standard deviation: the "agreement" SEM of de Vet et al. 2006,
  which keeps systematic condition effects in the error, as they would be between two real sessions);
* ``SDC95 = 1.96 * sqrt(2) * SEM``: a difference between two single measurements beyond it happens
  by measurement error alone in fewer than 5 % of repeats.

Protocol and measured values: ``docs/repeatability.md``; the values ship as data in
``posture_cam/repeatability.toml`` (written by ``bench/repeatability.py --write``) and are read by
:func:`load_sdc`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError

Z95 = 1.96


@dataclass(frozen=True)
class Repeatability:
    """SEM and SDC95 of one metric, with how many subjects and trials they came from."""

    key: str
    unit: str
    sem: float
    sdc95: float
    n_subjects: int
    n_trials: int
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "sem": round(self.sem, 4),
            "sdc95": round(self.sdc95, 4),
            "n_subjects": self.n_subjects,
            "n_trials": self.n_trials,
            "source": self.source,
        }


def sdc95_from_sem(sem: float) -> float:
    """Smallest detectable change at 95 % confidence for a difference of two single measurements."""
    return Z95 * math.sqrt(2.0) * float(sem)


def sem_within(trials: Sequence[Sequence[float]]) -> tuple[float, int, int]:
    """SEM from repeated measurements: ``trials[i]`` are the values of subject ``i``.

    Non-finite values are dropped; subjects with fewer than two values do not count. Returns
    ``(sem, n_subjects_used, n_values_used)``. Raises ValueError when no subject has two values.
    """
    ss = 0.0
    df = 0
    n_subj = 0
    n_val = 0
    for row in trials:
        vals = [float(v) for v in row if v is not None and math.isfinite(float(v))]
        if len(vals) < 2:
            continue
        m = sum(vals) / len(vals)
        ss += sum((v - m) ** 2 for v in vals)
        df += len(vals) - 1
        n_subj += 1
        n_val += len(vals)
    if df == 0:
        raise ValueError("repeatability needs at least one subject measured at least twice")
    return math.sqrt(ss / df), n_subj, n_val


def repeatability(
    key: str, unit: str, trials: Sequence[Sequence[float]], *, source: str = ""
) -> Repeatability:
    sem, n_subj, n_val = sem_within(trials)
    return Repeatability(key, unit, sem, sdc95_from_sem(sem), n_subj, n_val, source)


DEFAULT_FILE = "repeatability.toml"


def load_sdc(path: str | Path | None = None) -> dict[str, Repeatability]:
    """The shipped (or given) repeatability table: ``{metric key: Repeatability}``.

    Raises :class:`~posture_cam.errors.ConfigError` for an unreadable or malformed file.
    """
    try:
        if path is None:
            text = resources.files("posture_cam").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
            where = f"posture_cam/{DEFAULT_FILE}"
        else:
            text = Path(path).read_text(encoding="utf-8")
            where = str(path)
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the repeatability table: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"repeatability table {where} is not valid TOML: {exc}") from None
    metrics = data.get("metrics")
    if not isinstance(metrics, Mapping):
        raise ConfigError(f"repeatability table {where}: expected a [metrics.<key>] table per metric")
    out: dict[str, Repeatability] = {}
    source = (
        str(data.get("protocol", {}).get("summary", "")) if isinstance(data.get("protocol"), Mapping) else ""
    )
    for key, row in metrics.items():
        try:
            sem = float(row["sem"])
            out[key] = Repeatability(
                key,
                str(row.get("unit", "")),
                sem,
                float(row.get("sdc95", sdc95_from_sem(sem))),
                int(row.get("n_subjects", 0)),
                int(row.get("n_trials", 0)),
                str(row.get("source", source)),
            )
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"repeatability table {where}: [metrics.{key}] needs a numeric 'sem' (and optional 'sdc95')"
            ) from None
    return out
