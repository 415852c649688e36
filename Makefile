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
	MALLOC_ARENA_MAX=2 $(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true \
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

# --- A class and a school (issue #6) -------------------------------------
# make loadtest [SESSIONS=30] [SECONDS=60] [ROUNDS=2] [PAGE=/] [URL= [PID=]] [REPLICAS=0] [LOADTEST_ARGS=]
#   Simulated students over Streamlit's websocket protocol. Without URL it
#   starts the app as `make run` does (127.0.0.1, a free port) and measures
#   it; REPLICAS=N starts N of them behind HAProxy instead. LOADTEST_ARGS
#   passes more options, e.g. "--max-p95 1 --max-growth 10" or "--sweep 10,20,30".
# make serve-replicas [N=2] [PORT=8501] [BIND=0.0.0.0]
#   N app processes (each `make run` on a loopback port) behind HAProxy on PORT.
SESSIONS ?= 30
SECONDS ?= 60
ROUNDS ?= 2
PAGE ?= /
URL ?=
PID ?=
REPLICAS ?= 0
LOADTEST_ARGS ?=
N ?= 2
BIND ?= 0.0.0.0
HAPROXY := /usr/sbin/haproxy

.PHONY: loadtest serve-replicas haproxy

loadtest: $(VENV)/.runtime $(if $(filter-out 0,$(REPLICAS)),haproxy)
	$(PY) -m tools.loadtest --sessions $(SESSIONS) --seconds $(SECONDS) --rounds $(ROUNDS) \
		--page $(PAGE) $(if $(URL),--url $(URL)) $(foreach p,$(PID),--pid $(p)) \
		$(if $(filter-out 0,$(REPLICAS)),--replicas $(REPLICAS)) $(LOADTEST_ARGS)

serve-replicas: $(VENV)/.runtime haproxy
	$(PY) -m deploy.serve --replicas $(N) --port $(PORT) --bind $(BIND)

# HAProxy comes from Debian, as chromium does.
haproxy:
	@test -x $(HAPROXY) || { \
		command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { echo "haproxy missing: install Debian's 'haproxy' package"; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

# The replica test in tests/test_loadtest.py runs HAProxy: `make test` needs it too.
test: haproxy
