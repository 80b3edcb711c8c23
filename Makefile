# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Blender 4.2 LTS as a module, only for the add-on's tests (the add-on supports 4.2 and newer).
VENV42 ?= .venv-bpy42
# Baked bodies and Blender's caches stay inside the checkout.
export SYNTHACT_CACHE ?= $(CURDIR)/.cache/synthact

.PHONY: demo test test-fast system-deps test-system-deps lint bench templates figures clean

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

demo: system-deps $(VENV)/.render-installed
	$(BIN)/synthact render examples/quickstart.yaml

$(VENV42)/.installed:
	$(PYTHON) -m venv $(VENV42)
	$(VENV42)/bin/pip install -q 'bpy==4.2.0' 'numpy<2'
	touch $@

test: test-system-deps $(VENV)/.dev-installed $(VENV42)/.installed
	$(BIN)/python -m pytest -q

# The quick lane while working: no Blender renders, no cluster, no training runs (tests marked slow or
# blender); `make test` (CI) runs everything.
test-fast: system-deps $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m "not slow and not blender"

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
