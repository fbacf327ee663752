# Safer Communities performance pipeline. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

# One place for the environment every target runs in: SQLite Airflow metadata and the
# DuckDB warehouse under var/, the project's DAGs and plugins, no example DAGs.
export UV_PYTHON_DOWNLOADS := never
# Compile .pyc at install: each Airflow task process imports Airflow anew (about 3 s with bytecode, 8 s without).
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export AIRFLOW_HOME ?= $(CURDIR)/var/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := False
export SAFER_COMMUNITIES_HOME ?= $(CURDIR)/var
export GX_ANALYTICS_ENABLED := False
export NO_COLOR := 1

.PHONY: help install system-deps airflow-db run test lint bench airflow-ui clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/airflow: uv.lock pyproject.toml | $(UV)
	@echo "installing the locked dependencies (uv.lock) into $(VENV)/"
	@$(UV) sync --frozen --quiet
	@touch $@

install: $(BIN)/airflow  ## create .venv from uv.lock (the pinned dependencies)

airflow-db: install  ## migrate the Airflow metadata database and create the warehouse writer pool
	@$(BIN)/airflow db migrate > /dev/null
	@$(BIN)/airflow pools set warehouse_writer 1 "Writers to the warehouse (DuckDB allows one)" > /dev/null

run: airflow-db  ## the main job: every source's demo extracts through the DAGs, the dashboard, on embedded DuckDB
	@$(BIN)/safer-communities run

system-deps:  ## Debian's chromium and poppler-utils (the report's PDF and its browser test), if missing
	@command -v chromium > /dev/null && command -v pdftoppm > /dev/null || { \
	    SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium poppler-utils; }

# Test processes (pytest-xdist), each taking whole test files: their module fixtures are built once.
TEST_WORKERS ?= 2

test: install system-deps  ## the whole test suite (DuckDB and a real PostgreSQL); TEST_WORKERS=1 runs it in one process
	$(BIN)/pytest $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: install  ## ruff
	$(BIN)/ruff check dags plugins include tests bench

bench: install  ## benchmark pull -> validate -> load against COPY / read_csv; ARGS="--forces 8 --rows 100000": national
	$(BIN)/python bench/run.py $(ARGS)

airflow-ui: airflow-db  ## Airflow UI at http://localhost:8080 (api-server, scheduler, dag-processor, triggerer)
	bash scripts/airflow-ui.sh

clean:  ## remove the working data (var/) but keep the virtualenv
	rm -rf var
