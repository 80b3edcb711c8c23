# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Baked bodies and Blender's caches stay inside the checkout.
export SYNTHACT_CACHE ?= $(CURDIR)/.cache/synthact

.PHONY: demo test system-deps test-system-deps lint bench templates clean

system-deps:
	@bash scripts/system-deps.sh

test-system-deps:
	@bash scripts/system-deps.sh --test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.render-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[render,bodies]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.render-installed

demo: system-deps $(VENV)/.render-installed
	$(BIN)/synthact render examples/quickstart.yaml

test: test-system-deps $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench: system-deps $(VENV)/.dev-installed
	$(BIN)/python benchmarks/clip_cost.py

# Regenerate the built-in templates (authored through the Blender add-on), the add-on zip and the
# template schema from code.
templates: $(VENV)/.render-installed
	$(BIN)/synthact addon build --out dist
	$(BIN)/python -m render_farm.blender.author_templates
	$(BIN)/synthact templates schema --out docs/template.schema.json
	$(BIN)/synthact assets refresh

clean:
	rm -rf output .pytest_cache .ruff_cache
