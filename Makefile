# RedStation — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian libraries Qt needs: offscreen (tests), and for a real window on X11 (run).
QT_DEBS     := libglib2.0-0 libgl1 libegl1 libx11-6 libdbus-1-3 libfontconfig1 libxkbcommon0
WINDOW_DEBS := xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 \
               libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
# PDF checks in the tests read PDFs back with poppler; screenshots need a virtual screen.
TEST_DEBS   := $(QT_DEBS) poppler-utils xvfb

# `make dist`: PyInstaller needs objdump (binutils); the smoke test reads PDFs and opens the window on X.
DIST_DEBS   := $(QT_DEBS) $(WINDOW_DEBS) binutils poppler-utils xvfb
DIST_STAMP  := $(VENV)/.installed-dist

.PHONY: run test bench dist debs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(STAMP)
	@$(MAKE) --no-print-directory debs DEBS="$(QT_DEBS) $(WINDOW_DEBS)"
	$(BIN)/redstation

test: $(STAMP)
	@$(MAKE) --no-print-directory debs DEBS="$(TEST_DEBS)"
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py

$(DIST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dist]'
	touch $@

# The frozen program in dist/redstation/ (build.spec), then its smoke test without Python on the PATH.
dist: $(DIST_STAMP)
	@$(MAKE) --no-print-directory debs DEBS="$(DIST_DEBS)"
	rm -rf build/redstation dist/redstation
	$(BIN)/pyinstaller --noconfirm --log-level WARN --workpath build --distpath dist build.spec
	SMOKE_PYTHON=$(BIN)/python sh installer/smoke-test.sh dist/redstation

# Install only the Debian packages that are missing (as root, or through sudo); skipped off Debian.
debs:
	@command -v dpkg >/dev/null || exit 0; \
	missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
