"""``posture-cam explain DIR``: plain-words findings and one-line errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from posture_cam.commands import explain as explain_cmd
from posture_cam.errors import InputNotFoundError, NotAFileError, PostureCamError
from posture_cam.measurement import MetricResult
from posture_cam.rules import evaluate, load_rules


def _result(cva: float, n: int = 300) -> dict:
    m = MetricResult(cva, "deg", 1.0, n, ("left_side", "right_side"), "ok", None).to_json()
    return {
        "schema_version": 1,
        "input": {"fps": 30.0},
        "detection": {"detection_rate": 1.0},
        "view": {"dominant": "left_side", "fractions": {"left_side": 1.0}, "segments": []},
        "metrics": {"craniovertebral_angle_deg": m},
        "gait": {"walking_detected": False, "metrics": {}},
    }


def _args(d: Path, **kw) -> argparse.Namespace:
    return argparse.Namespace(dir=str(d), rules=kw.get("rules"), json=kw.get("json", False))


def _write(d: Path, result: dict) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return d


def test_register_adds_the_subcommand():
    parser = argparse.ArgumentParser()
    explain_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explain", "out", "--json"])
    assert args.run is explain_cmd.run and args.dir == "out" and args.json


def test_prints_stored_findings_in_plain_words(tmp_path, capsys):
    res = _result(40.0)
    res["findings"] = [f.to_json() for f in evaluate(res, load_rules())]
    assert explain_cmd.run(_args(_write(tmp_path / "a", res))) == 0
    out = capsys.readouterr().out
    assert "Forward head posture: FLAGGED" in out
    assert "consistent with a forward head posture" in out
    assert "40.0 deg -> flagged" in out
    assert "Suggested next steps" in out and "Sources:" in out and "not a diagnosis" in out
    assert "needs" in out  # not-assessable rules say why


def test_evaluates_when_result_has_no_findings_and_uses_timeseries(tmp_path, capsys):
    # The summary says 43 deg (flagged band) but the per-frame series shows only brief dips.
    d = _write(tmp_path / "b", _result(43.0))
    x = np.tile([42.0, 42.0, 42.0, 50.0, 50.0], 60)
    lines = ["frame_index,timestamp_s,craniovertebral_angle_deg"]
    lines += [f"{i},{i / 30.0:.5f},{v}" for i, v in enumerate(x)]
    (d / "metrics_timeseries.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert explain_cmd.run(_args(d, json=True)) == 0
    found = {f["id"]: f for f in json.loads(capsys.readouterr().out)}
    assert found["forward_head_posture"]["status"] == "borderline"
    assert found["forward_head_posture"]["evidence"][0]["share_source"] == "per-frame series with hysteresis"


def test_rules_option_reevaluates_with_another_file(tmp_path, capsys):
    from importlib import resources

    src = resources.files("posture_cam.rules").joinpath("rules.toml").read_text("utf-8")
    tuned = src.replace(
        'borderline_at = 48.0\n  flagged_at = 44.0\n  role = "required"',
        'borderline_at = 38.0\n  flagged_at = 36.0\n  role = "required"',
    )
    assert tuned != src
    f = tmp_path / "tuned.toml"
    f.write_text(tuned, encoding="utf-8")
    res = _result(40.0)
    res["findings"] = [x.to_json() for x in evaluate(res, load_rules())]
    d = _write(tmp_path / "c", res)
    assert explain_cmd.run(_args(d, rules=str(f), json=True)) == 0
    found = {x["id"]: x for x in json.loads(capsys.readouterr().out)}
    assert found["forward_head_posture"]["status"] == "not_flagged"


@pytest.mark.parametrize(
    "setup,exc,words",
    [
        (lambda p: p / "missing", InputNotFoundError, "folder not found"),
        (lambda p: (p / "empty").mkdir() or p / "empty", InputNotFoundError, "no result.json"),
        (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", NotAFileError, "not a folder"),
    ],
)
def test_errors_are_specific(tmp_path, setup, exc, words):
    with pytest.raises(exc, match=words):
        explain_cmd.run(_args(setup(tmp_path)))


def test_corrupt_result_json_is_a_clear_error(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "result.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PostureCamError, match="not valid JSON"):
        explain_cmd.run(_args(d))
    (d / "result.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PostureCamError, match="expected a JSON object"):
        explain_cmd.run(_args(d))


def test_cli_prints_one_line_error(tmp_path, capsys):
    cli = pytest.importorskip("posture_cam.cli")
    code = cli.main(["explain", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("posture-cam: error:") and "\n" not in err
