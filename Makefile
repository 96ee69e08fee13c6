# Studio: `make run` opens the app on the photographs demo project, `make test` runs every check.
# Both bootstrap .venv on first use (and again when pyproject.toml changes) through `make setup`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.studio-installed
# Torch wheels this machine holds locally; elsewhere override, e.g. `make TORCH=torch setup`.
TORCH ?= torch==2.14.1 torchvision==0.29.1
# The example plugins (each its own package, installed editable with its test extra and tested
# by `make test`; mlflow comes in with studio-mlflow only, never with Studio itself; sam2 is
# never installed here: its sdist needs a build, see plugins/studio-sam2/README.md).
PLUGINS := plugins/studio-json-sidecar plugins/studio-class-balance plugins/studio-mlflow \
	plugins/studio-sam2
DEMO_DIR ?= demo-project
# `make run` opens the photographs demo (`studio demo`; `--kind digits` makes demo.studio).
DEMO := $(DEMO_DIR)/photos.studio

.PHONY: setup run test lint bench demo screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile $(PLUGINS:%=%/pyproject.toml)
	@$(BIN)/python -c "" 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev]" $(TORCH)
	$(BIN)/python -m pip install --quiet $(foreach plugin,$(PLUGINS),-e "$(plugin)[test]")
	@touch $(STAMP)

$(DEMO): | $(STAMP)
	$(BIN)/studio demo $(DEMO_DIR)

demo: $(DEMO)

run: setup $(DEMO)
	$(BIN)/studio open $(DEMO)

lint: setup
	$(BIN)/ruff check studio tests benchmarks plugins docs/make_screenshots.py
	$(BIN)/ruff format --check studio tests benchmarks plugins docs/make_screenshots.py
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks

screenshots: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache
