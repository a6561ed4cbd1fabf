"""requirements.lock: write it from a fresh resolution, or check the environment against it.

``python3 .ci/lock.py write`` (``make lock``) asks pip to resolve ``-e .[dev,synth]`` as on a fresh
machine (``--dry-run --ignore-installed --report``: nothing is installed) and writes every resolved
distribution, except posture-cam itself, as ``name==version``. The file is a pip *constraints* file:
``make app`` / ``make test`` install with ``pip install -c requirements.lock -e ...``.

``python3 .ci/lock.py freeze`` writes the installed versions of that same dependency tree instead
(pip-freeze style, limited to what posture-cam[dev,synth] needs): the set this environment tested.

``python3 .ci/lock.py check`` (run by ``make test``) walks the installed requirement tree of
posture-cam (with the dev and synth extras) and fails when a distribution in it is not pinned in
the lock or is installed at a different version, so a dependency added to pyproject.toml without
``make lock`` (or an environment that drifted) is caught before the tests run.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh machine before `pip install`: pip vendors the same library
    from pip._vendor.packaging.markers import default_environment  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef,assignment]

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
EXTRAS = ("dev", "synth")
PROJECT = "posture-cam"


def read_lock(path: Path = LOCK) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise SystemExit(f"{path}: not a name==version pin: {raw!r}")
        pins[canonicalize_name(name)] = version.strip()
    return pins


def _write(pins: list[tuple[str, str]], how: str) -> int:
    head = [
        "# Resolved, tested dependency set of posture-cam[dev,synth]: a pip constraints file.",
        "# make app / make test install with: pip install -c requirements.lock -e ...",
        f"# Written by `{how}` on {datetime.now(UTC):%Y-%m-%d} with Python {platform.python_version()}"
        f" on {sys.platform}/{platform.machine()}.",
        "# Commit a refreshed lock only after `make test` passed on it (see README, Set-up).",
    ]
    LOCK.write_text("\n".join(head + [f"{n}=={v}" for n, v in sorted(pins)]) + "\n")
    print(f"{LOCK.name}: {len(pins)} pins")
    return 0


def write() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        cmd += ["--report", str(report), "-e", f"{REPO}[{','.join(EXTRAS)}]"]
        subprocess.run(cmd, check=True)
        data = json.loads(report.read_text())
    pins = [
        (str(canonicalize_name(item["metadata"]["name"])), str(item["metadata"]["version"]))
        for item in data["install"]
        if canonicalize_name(item["metadata"]["name"]) != PROJECT
    ]
    return _write(pins, "make lock")


def freeze() -> int:
    missing = [n for n, v in _closure().items() if v is None]
    if missing:
        raise SystemExit(f"not installed: {missing} (make test-deps first)")
    return _write([(n, str(v)) for n, v in _closure().items()], "python3 .ci/lock.py freeze")


def _closure() -> dict[str, str | None]:
    """Distributions reachable from posture-cam[dev,synth], name -> installed version (None: missing)."""
    env = {k: str(v) for k, v in default_environment().items()}
    seen: dict[str, str | None] = {}
    done: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(PROJECT, EXTRAS)]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            seen[name] = None
            continue
        seen[canonicalize_name(dist.metadata["Name"])] = dist.version
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in ("", *extras)):
                todo.append((canonicalize_name(req.name), tuple(sorted(req.extras))))
    seen.pop(PROJECT, None)
    return seen


def check() -> int:
    pins = read_lock()
    problems = []
    for name, version in sorted(_closure().items()):
        if version is None:
            problems.append(f"{name} is required but not installed")
        elif name not in pins:
            problems.append(f"{name} {version} is installed but not pinned (run `make lock`)")
        elif pins[name] != version:
            problems.append(f"{name} {version} is installed, the lock pins {pins[name]}")
    for line in problems:
        print(f"requirements.lock: {line}", file=sys.stderr)
    if not problems:
        print(f"requirements.lock: installed set matches ({len(pins)} pins)")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        raise SystemExit(write())
    if sys.argv[1:] == ["freeze"]:
        raise SystemExit(freeze())
    if sys.argv[1:] == ["check"]:
        raise SystemExit(check())
    raise SystemExit("usage: python3 .ci/lock.py write|freeze|check")
