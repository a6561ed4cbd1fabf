# posture_cam: the two set-up commands in README.md are `make app` and `make test`.
# Both install what they need into the current Python 3.11 environment (use a venv if you like:
# `python3.11 -m venv .venv && . .venv/bin/activate` first).
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_TEST_PACKAGES := chromium poppler-utils strace
PORT ?= 8501
# Every install goes through the lock (a pip constraints file of the resolved, tested set), so a fresh
# machine gets the versions CI tested. Refresh it with `make lock`, then `make test` before committing.
LOCK := requirements.lock
PIP_INSTALL := $(PYTHON) -m pip install -q -c $(LOCK)

.PHONY: install app test test-deps system-deps lint bench lock lock-check

install:
	$(PIP_INSTALL) -e .

## make app: install and start the dashboard on http://localhost:$(PORT) (all processing stays local)
app: install
	$(PYTHON) -m posture_cam.cli models --build
	$(PYTHON) -m streamlit run streamlit_app.py --server.port $(PORT)

system-deps:
	@if command -v apt-get >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_TEST_PACKAGES) >/dev/null; \
	else echo "apt-get not found: install $(APT_TEST_PACKAGES) with your package manager (browser tests skip without chromium)"; fi

test-deps: system-deps
	$(PIP_INSTALL) -e ".[dev,synth]"

## make lock: re-resolve posture-cam[dev,synth] as on a fresh machine and rewrite requirements.lock
## (nothing is installed); then run `make test` on it and commit the lock only if that passes
lock:
	$(PYTHON) .ci/lock.py write

## make lock-check: every installed dependency of posture-cam[dev,synth] is pinned and at its pin
lock-check:
	$(PYTHON) .ci/lock.py check

## make test: install test dependencies (Python extras, Debian chromium/poppler), check lint and
## types (ruff, mypy: both must be clean), and run the suite
test: test-deps lock-check lint
	$(PYTHON) -m pytest -ra

lint:
	$(PYTHON) -m ruff check posture_cam tests bench streamlit_app.py .ci/lock.py
	$(PYTHON) -m mypy posture_cam

bench:
	$(PYTHON) bench/extract.py
	$(PYTHON) bench/batch.py
	$(PYTHON) bench/live.py
	$(PYTHON) bench/accuracy.py
