# One entry point for set-up, the demo, tests and checks. `make demo` and `make test` work on a
# fresh machine: they create .venv and install everything from PyPI.
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch; override on a CUDA box, e.g. `make setup TORCH=torch`.
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast check lint typecheck data clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH)"
	# xgrammar's metadata pulls triton (GPU only); its CPU path needs just these two.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps xgrammar==0.2.8 apache-tvm-ffi==0.1.15.post2
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/actionbot extract examples/product_demo.txt --date 2025-03-10 --output table

test: setup
	$(PY) -m pytest -q -ra $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-fast: setup
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy extractor integrations

check: lint typecheck test

data: setup
	$(PY) -m training.data.build --out training/data/build/train.jsonl --n 6000 --seed 13
	$(PY) -m training.data.build --out training/data/build/train-s29.jsonl --n 3000 --seed 29

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
