# The two commands: `make run` (the whole suite with demo data) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test venv bench clean-var lint

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

run: venv
	@scripts/ensure_infra.sh
	@scripts/run.sh

test: venv
	@scripts/ensure_infra.sh --postgres
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	@scripts/ensure_infra.sh
	$(PY) -m bench.gateway
	$(PY) -m bench.events

clean-var:
	rm -rf var
