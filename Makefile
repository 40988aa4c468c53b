# DocChat: `make run` sets everything up and starts the app; `make test` sets everything up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
REQS   := requirements.txt $(wildcard requirements/*.txt)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test lint system-deps clean

$(VENV)/.installed: $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/eval-nodeps.txt
	touch $@

install: $(VENV)/.installed

system-deps:
	bash scripts/system-deps.sh

run: install
	$(VENV)/bin/streamlit run app.py

lint: install
	$(VENV)/bin/ruff check .

test: install system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
