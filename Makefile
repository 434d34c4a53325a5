# `make demo` and `make test` are all a user needs: each creates .venv and installs what it needs.
# The demo installs the package with only the extras it uses; the tests add the development tools.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# The first pip that installs a dependency group (`--group`, PEP 735): the development pins live in one.
PIP_VERSION := 26.3
# pytest's workers (pytest-xdist): one per core; `make test JOBS=0` runs the tests in one process.
JOBS   ?= auto
# The venv is tagged with its Python's version, so `make test PYTHON=python3.13` makes a new one.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV_TAG   := $(VENV)/.python-$(PY_VERSION)
DEMO_STAMP := $(VENV)/.installed-demo
DEV_STAMP  := $(VENV)/.installed-dev
# What the demo needs; tests/test_package.py installs the built wheel with these and runs the demo.
DEMO_EXTRAS := viz,plot,fast

.PHONY: demo test lint docs bench notebooks oracle clean

$(VENV_TAG):
	@command -v $(PYTHON) > /dev/null && [ -n "$(PY_VERSION)" ] || \
		{ echo "make: Python interpreter not found (or it does not run): PYTHON=$(PYTHON); set PYTHON to a Python 3.11 or newer" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "autograd-lite needs Python 3.11 or newer; set PYTHON=python3.x")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) pip==$(PIP_VERSION)
	@touch $@

$(DEMO_STAMP): pyproject.toml $(VENV_TAG)
	$(PIP) -e '.[$(DEMO_EXTRAS)]'
	@touch $@

$(DEV_STAMP): pyproject.toml $(VENV_TAG)
	$(PIP) --group dev -e '.[all]'
	@touch $@ $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python -m autograd_lite demo --out demo-output

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

# Built afresh, so that a warning shows on every run (not only on the run that first met it) and no page of
# an older build lingers. The source is the repository, configured by docs/conf.py: see there.
docs: $(DEV_STAMP)  # the site, in build/docs/html; any warning fails it: a broken reference (-n), a missing docstring
	rm -rf build/docs
	$(BIN)/sphinx-build -W --keep-going -n -q -b html -c docs -d build/docs/doctrees . build/docs/html
	@echo "The documentation site: build/docs/html/index.html"

test: lint docs
	$(BIN)/python -m pytest -n $(JOBS) --dist worksteal

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py

notebooks: $(DEV_STAMP)  # run each notebook in a fresh kernel and save it with its outputs
	$(BIN)/jupyter execute --inplace notebooks/*.ipynb

# PyTorch's numbers for the tests on every Python (tests/oracle/torch.json), from the cases in tests/oracle/;
# torch's CPU build is installed for Python 3.11 only, so run it with that Python.
oracle: $(DEV_STAMP)
	cd tests && ../$(BIN)/python -m oracle.make_torch_oracle

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
