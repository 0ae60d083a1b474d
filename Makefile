# Two commands on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/serambi.tar.gz
SPACY_MODEL := var/spacy/serambi_id/meta.json
SENTIMENT_MODEL := var/sentiment/model/pipeline.joblib
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') $(wildcard bot/nlu/*.py)
# Two cores: more TensorFlow threads only contend.
export TF_INTRA_OP_PARALLELISM_THREADS ?= 2
export TF_INTER_OP_PARALLELISM_THREADS ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONPATH := $(CURDIR)

.PHONY: run run-scaled test lint setup train browser scaled-tools fuzz-tools validate demo-data clean

# On the embedded SQLite store, a synthetic history and demo accounts make the
# dashboard and console useful on the first run (skipped once present).
run: setup $(MODEL)
	@[ -n "$$CXM_DATABASE_URL" ] || $(BIN)/python -m cxm_store demo-data
	$(BIN)/python -m bot.stack

# The scaled topology (docs/deploy.md): two Rasa servers and two action servers
# behind HAProxy under supervisord, PostgreSQL, Redis and RabbitMQ on this machine.
run-scaled: setup $(MODEL) scaled-tools
	$(BIN)/python -m bot.scaled

test: lint setup $(MODEL) browser scaled-tools fuzz-tools
	$(BIN)/python -m pytest tests

# Style, docstrings (ruff.toml) and types (mypy.ini) of the project's packages; fails on any finding.
lint: setup
	$(BIN)/ruff check bot actions cxm_store cx_reports team_app contract tests/test_contract_names.py tests/test_module_size.py tests/test_settings_flags.py
	$(BIN)/mypy

setup: $(VENV)/.installed $(SPACY_MODEL) $(SENTIMENT_MODEL)

# rasa 3.6 declares Python <3.11 but runs on 3.11 with the pinned list.
$(VENV)/.installed: requirements/rasa-py311.txt requirements/app.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(BIN)/pip install -q -r requirements/rasa-py311.txt -r requirements/app.txt
	touch $@

$(SPACY_MODEL): bot/nlu/spacy_pipeline.py $(VENV)/.installed
	$(BIN)/python -m bot.nlu.spacy_pipeline

# Customer-message sentiment, trained from ../shared/data/sentiment (CXM_SENTIMENT_DATA).
$(SENTIMENT_MODEL): cxm_store/sentiment_training.py $(wildcard data/nlu/*.yml) $(VENV)/.installed
	$(BIN)/python -m cxm_store.sentiment_training

# Retrained only when the training data, domain, config or NLU components change.
$(MODEL): $(TRAINING_INPUTS) $(SPACY_MODEL)
	$(BIN)/rasa train --fixed-model-name serambi --out models
	touch $@

train: setup $(MODEL)

validate: setup
	$(BIN)/rasa data validate --fail-on-warnings

# Debian's Chromium for the browser tests (nothing downloaded by a test tool).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

# Debian's supervisord and HAProxy for the scaled topology and its tests.
scaled-tools:
	@command -v supervisord >/dev/null && command -v haproxy >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq supervisor haproxy; }

# Schemathesis for the console's OpenAPI fuzz test, in a venv of its own: no
# release fits the pytest 8 and jsonschema 4.17 that Rasa's pinned list needs.
FUZZ_VENV := .venv-fuzz
fuzz-tools: $(FUZZ_VENV)/.installed

$(FUZZ_VENV)/.installed:
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install -q schemathesis==3.19.7 hypothesis==6.84.3 hypothesis-jsonschema==0.22.1 hypothesis-graphql==0.11.0 click==8.1.7
	touch $@

demo-data: setup
	$(BIN)/python -m cxm_store demo-data

clean:
	rm -rf models var results .pytest_cache

.PHONY: bench-latency
bench-latency: setup $(MODEL)
	$(BIN)/python -m bench.reply_latency
