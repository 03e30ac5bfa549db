# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Both cores: the suite is CPU-bound (docs/testing.md).
PYTEST_ARGS ?= -n auto
# Python caches compiled modules (and pytest its rewritten tests) in __pycache__, unless the
# environment says not to: then every test subprocess and every run compiles the app again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test screenshots lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the pins change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# openapi-typescript and tsc for the generated-client test, when node is installed (the test
# skips without node; CI installs it).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund && touch $@; \
	else echo "node is not installed: the TypeScript type check will be skipped"; fi

# DEBUG is off by default (settings); the local demo turns it on explicitly.
run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "GrowthOps on http://$(HOST):$(PORT)/ (tasks run in-process; Ctrl-C to stop)"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests again, saving each page they visit at 1280 and 390 px in screenshots/.
screenshots: $(VENV)/.installed-dev
	GROWTHOPS_SCREENSHOTS=$(CURDIR)/screenshots $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/stats_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
