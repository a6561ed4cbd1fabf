"""default_config.toml mirrors Config: every key present (or commented when its default is None)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import posture_cam
from posture_cam.config import Config, load_config

TOML = Path(posture_cam.__file__).parent / "default_config.toml"


def test_default_toml_loads_to_default_config() -> None:
    assert load_config(TOML) == Config()


def test_every_config_key_is_documented() -> None:
    text = TOML.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for section, values in Config().to_dict().items():
        for key, default in values.items():
            if default is None:
                assert re.search(rf"^# {key} = ", text, re.M), f"{section}.{key} missing (commented)"
            else:
                assert key in data.get(section, {}), f"{section}.{key} missing from default_config.toml"
    assert set(data) == {f.name for f in dataclasses.fields(Config)}
