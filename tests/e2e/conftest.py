"""Browser fixtures: the dashboard started as README.md says, headless Chromium, request and syscall logs.

Needs Debian's ``chromium`` and Playwright for Python (no browser download: ``executable_path=
'/usr/bin/chromium'``), both installed by ``make test`` (``make system-deps`` + ``.[dev]``). Tests
skip with the reason when either is missing.

The server is ``python -m streamlit run streamlit_app.py --server.port PORT`` from the repository
root, i.e. the last step of ``make app`` with the repository's ``.streamlit/config.toml`` and no
command-line overrides, so the tests see the settings a user gets (the install and model build of
``make app`` are done by ``make test``/the suite already).

Server-side network check: when ``strace`` works here (``make system-deps`` installs it; ptrace must
be allowed), the server runs under ``strace -f --seccomp-bpf -e trace=connect,sendto,sendmsg``, so
every socket connect and every addressed datagram of the server and all its threads and child
processes is written to ``strace.log``. :meth:`AppServer.outbound` lists those whose destination is
not this machine (loopback or one of its own interface addresses): a DNS query, an HTTP request or a
STUN packet to anywhere else shows up there, whether or not the network would have let it through.

Artefacts (screenshots, request logs, server log, strace log) go to ``$POSTURE_CAM_ARTIFACTS`` or
``tests/e2e/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("POSTURE_CAM_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("POSTURE_CAM_ARTIFACTS", REPO / "tests" / "e2e" / "artifacts"))
BASE_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Every page of the dashboard: name -> url path (posture_cam/ui/nav.py; the home page is the root).
PAGES = {
    "home": "",
    "webcam": "webcam",
    "review": "review",
    "compare": "compare",
    "batch": "batch",
    "about": "about",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def _host_address() -> str:
    """A non-loopback address of this machine (aiortc's ICE skips 127.0.0.1), else localhost.

    (A UDP ``connect`` only picks the route; no packet is sent.)
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def own_addresses() -> set[str]:
    """The IP addresses of this machine's interfaces: traffic to them never leaves the machine."""
    import psutil

    out = {"127.0.0.1", "::1", _host_address()}
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6):
                out.add(a.address.split("%", 1)[0])
    return out


def is_local_address(addr: str, own: set[str]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified or str(ip) in own


_SOCKADDR = re.compile(
    r"(?P<call>connect|sendto|sendmsg)\(\d+, .*?sa_family=(?P<fam>AF_INET6?)"
    r"(?:, sin6?_port=htons\((?P<port>\d+)\))?.*?"
    r"(?:inet_addr\(\"(?P<v4>[^\"]+)\"\)|inet_pton\(AF_INET6, \"(?P<v6>[^\"]+)\")"
)


def parse_strace(text: str) -> list[tuple[str, str, int]]:
    """(call, address, port) of every IPv4/IPv6 destination in an ``strace -e trace=connect,...`` log."""
    out = []
    for line in text.splitlines():
        m = _SOCKADDR.search(line)
        if m:
            out.append((m["call"], m["v4"] or m["v6"], int(m["port"] or 0)))
    return out


def _strace_prefix(out: Path) -> list[str] | None:
    """The strace command line, or None when strace is missing or may not trace here."""
    exe = shutil.which("strace")
    if not exe:
        return None
    args = [exe, "-f", "-qq", "-e", "signal=none", "-e", "trace=connect,sendto,sendmsg", "-s", "0"]
    for extra in (["--seccomp-bpf"], []):  # --seccomp-bpf: only the traced calls stop the tracee
        probe = subprocess.run(
            [*args, *extra, "-o", os.devnull, sys.executable, "-c", "pass"], capture_output=True
        )
        if probe.returncode == 0:
            return [*args, *extra, "-o", str(out)]
    return None


@dataclass
class AppServer:
    url: str
    port: int
    log: Path
    strace_log: Path | None
    proc: subprocess.Popen[bytes]
    own: set[str] = field(default_factory=set)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def outbound(self) -> list[tuple[str, str, int]]:
        """Socket destinations of the server that are not this machine (empty when not traced)."""
        if self.strace_log is None or not self.strace_log.is_file():
            return []
        dests = parse_strace(self.strace_log.read_text(errors="replace"))
        return [d for d in dests if not is_local_address(d[1], self.own)]

    def destinations(self) -> list[tuple[str, str, int]]:
        if self.strace_log is None or not self.strace_log.is_file():
            return []
        return parse_strace(self.strace_log.read_text(errors="replace"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found (make system-deps: apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_server(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[AppServer]:
    port = _free_port()
    host = _host_address()
    env = os.environ.copy()
    env["POSTURE_CAM_CACHE_DIR"] = str(tmp_path_factory.mktemp("app_cache"))
    log = artifacts / "streamlit.log"
    strace_log = artifacts / "strace.log"
    strace_log.unlink(missing_ok=True)
    prefix = _strace_prefix(strace_log) or []
    # exactly the run step of `make app` (cwd = repo root, so .streamlit/config.toml applies)
    cmd = [*prefix, sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
    with open(log, "wb") as fh:
        # own process group: the teardown stops strace, the server and its workers together
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://{host}:{port}"
    server = AppServer(url, port, log, strace_log if prefix else None, proc, own_addresses())
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield server
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (strace would only detach from its tracee on its own
    SIGTERM and leave the server running), then SIGKILL whatever is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=5)


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def pw(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(pw: Any, chromium_path: Path) -> Iterator[Any]:
    b = pw.chromium.launch(executable_path=str(chromium_path), args=BASE_FLAGS)
    yield b
    b.close()


class NetLog:
    """Every request, response, failure and web socket of a browser context (all its pages and frames)."""

    def __init__(self, context: Any) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.websockets: list[str] = []
        context.on("request", self._on_request)
        context.on("response", lambda r: self.responses.append({"status": r.status, "url": r.url}))
        context.on("requestfailed", lambda r: self.failures.append({"url": r.url, "error": r.failure}))
        context.on("page", self._on_page)
        for p in context.pages:
            self._on_page(p)

    def _on_request(self, r: Any) -> None:
        self.requests.append({"method": r.method, "url": r.url, "type": r.resource_type})

    def _on_page(self, page: Any) -> None:
        page.on("websocket", lambda ws: self.websockets.append(ws.url))

    def urls(self) -> list[str]:
        return [r["url"] for r in self.requests] + self.websockets

    def external(self, own: set[str]) -> list[str]:
        """URLs that address anything but this machine (data:, blob: and about: stay in the page)."""
        out = []
        for u in self.urls():
            parts = urlsplit(u)
            if parts.scheme in ("data", "blob", "about"):
                continue
            host = (parts.hostname or "").strip("[]")
            if host == "localhost" or is_local_address(host, own):
                continue
            out.append(u)
        return out

    def server_errors(self) -> list[dict[str, Any]]:
        return [r for r in self.responses if r["status"] >= 500]

    def dump(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "requests": self.requests,
                    "responses": self.responses,
                    "failures": self.failures,
                    "websockets": self.websockets,
                },
                indent=1,
            )
        )


@pytest.fixture
def server_checks(app_server: AppServer) -> Iterator[None]:
    """After the test: no traceback in the server log and (when traced) no server socket to another
    machine while it ran."""
    start = len(app_server.log_text())
    before = len(app_server.outbound())
    yield
    new = app_server.log_text()[start:]
    assert "Traceback" not in new, f"server traceback during the test:\n{new[-4000:]}"
    outbound = app_server.outbound()[before:]
    assert not outbound, f"the server contacted other machines (strace: {app_server.strace_log}): {outbound}"
