# Two entry points: `make run` serves the app, `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
PORT ?= 8501
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast bench browser fixtures clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --server.fileWatcherType none

# Headless Chromium for the end-to-end tests comes from Debian (Playwright's
# own browser download does not work here).
browser:
	@test -x $(CHROMIUM) || { \
		command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { echo "chromium missing: install Debian's 'chromium' package"; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.dev browser
	$(PY) -m pytest

# Everything but the browser tests.
test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.dev browser
	$(PY) bench/bench_core.py
	$(PY) bench/bench_app.py

# Reference trajectories from PyTorch itself (run by hand when update rules change).
fixtures:
	$(PYTHON) -m venv /tmp/torch-venv
	/tmp/torch-venv/bin/pip install --quiet numpy torch==2.13.0
	/tmp/torch-venv/bin/python tools/make_torch_reference.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
