# Two entry points on a fresh machine: `make demo` and `make test`.
# The Python with a bpy wheel: python3.11, else python3.13, else python3 if it is either
# (scripts/python-for-bpy.sh). PYTHON=... chooses another; one without a bpy wheel (3.12) renders the demo
# with a Blender application: make demo PYTHON=python3.12 BLENDER=/path/to/blender.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell bash scripts/python-for-bpy.sh 2>/dev/null)
endif
BLENDER ?=
VENV ?= .venv
BIN := $(VENV)/bin
# Blender 4.2 LTS as a module, only for the add-on's tests (the add-on supports 4.2 and newer).
VENV42 ?= .venv-bpy42
# Baked bodies and Blender's caches stay inside the checkout.
export SYNTHACT_CACHE ?= $(CURDIR)/.cache/synthact

.PHONY: demo test test-installs test-fast python-check system-deps test-system-deps lint bench templates figures clean

# First of all: no Python to build with stops make in one line, before anything is installed.
python-check:
	@if [ -z "$(PYTHON)" ]; then bash scripts/python-for-bpy.sh >/dev/null; fi

system-deps:
	@bash scripts/system-deps.sh

test-system-deps:
	@bash scripts/system-deps.sh --test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# make demo installs the train extra too: every command in the README's Use section works after it.
$(VENV)/.render-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[render,bodies,train]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.render-installed

demo: python-check system-deps $(VENV)/.render-installed
	$(BIN)/synthact render examples/quickstart.yaml $(if $(BLENDER),--blender $(BLENDER))

# bpy 4.2 has wheels for Python 3.11 only: without a python3.11 the add-on's Blender 4.2 tests skip (CI has one).
$(VENV42)/.installed:
	@if python3.11 -c '' 2>/dev/null; then \
	    python3.11 -m venv $(VENV42) && $(VENV42)/bin/pip install -q 'bpy==4.2.0' 'numpy<2' && touch $@; \
	else echo "no python3.11 here: the add-on's Blender 4.2 tests will skip"; fi

# The other bpy line: Python 3.13 with bpy 5.1 runs the render, add-on and farm tests again (bodies come from
# the cache the main run baked; no torch there). Without a Python 3.13 the lane skips (CI has one, in pyenv).
PYTHON313 ?= $(firstword $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null) \
                         $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13))
VENV313 ?= .venv-bpy51
LANE313 := tests/blender/test_blender_worker.py tests/addon \
           tests/executors/test_farm_scale.py::test_a_pool_recycling_every_two_jobs_renders_every_clip \
           tests/blender/test_blender_binary.py::test_frames_rendered_from_the_jobs_json_equal_those_from_the_job

$(VENV313)/.installed: pyproject.toml | $(VENV)/.dev-installed
	@if [ -n "$(PYTHON313)" ]; then \
	    $(PYTHON313) -m venv $(VENV313) && $(VENV313)/bin/pip install -q --upgrade pip && \
	    $(VENV313)/bin/pip install -q -e '.[render]' 'pytest>=8' 'pytest-xdist>=3.8' && touch $@; \
	else echo "no Python 3.13 here: the bpy 5.1 lane will skip"; fi

# Two pytest processes, each taking whole test files (--dist loadfile: a file's fixtures are made once):
# most tests wait on a subprocess, a render or a 1-thread training run, so two share 2 cores well. The files
# go out in the order tests/conftest.py gives them, longest first (--no-loadscope-reorder keeps that order).
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The installs are independent of each other (Debian packages, the main venv, bpy 4.2, the 3.13 lane), so they
# run side by side (mostly downloads); the 3.13 lane's editable install waits for the main one, as both write
# the checkout's synthact.egg-info.
test: python-check
	@$(MAKE) --no-print-directory -j4 test-installs
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)
	@if [ -f $(VENV313)/.installed ]; then \
	    echo "bpy 5.1 lane (Python 3.13):" && \
	    $(VENV313)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_PARALLEL) -k "not bpy4.2 and not 100_jobs" $(LANE313); \
	fi

test-installs: test-system-deps $(VENV)/.dev-installed $(VENV42)/.installed $(VENV313)/.installed

# The quick lane while working: no Blender renders, no cluster, no training runs (tests marked slow or
# blender); `make test` (CI) runs everything.
test-fast: python-check system-deps $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not slow and not blender"

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench: system-deps $(VENV)/.dev-installed
	$(BIN)/python benchmarks/clip_cost.py

# Regenerate the built-in templates (authored through the Blender add-on), the add-on zip and the
# template schema from code.
templates: $(VENV)/.render-installed
	$(BIN)/synthact addon build --out dist
	$(BIN)/python -m tools.author_templates
	$(BIN)/synthact templates schema --out docs/template.schema.json
	$(BIN)/synthact assets refresh
	$(BIN)/python scripts/actions_doc.py
	$(BIN)/synthact templates check

# The pictures in docs/artists.md (Workbench renders of the add-on's rig and preview variants) and the
# contact sheet of every built-in class in docs/actions.md.
figures: $(VENV)/.render-installed
	$(BIN)/python scripts/artist_figures.py
	$(BIN)/python scripts/vocabulary_sheet.py
	$(BIN)/python scripts/actor_sheet.py

clean:
	rm -rf output .pytest_cache .ruff_cache
