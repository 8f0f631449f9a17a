# Every target sets itself up: a fresh clone needs nothing but Python 3.10+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# The chapters multiply small matrices, often inside a loop over time steps: there BLAS
# threads only add overhead, and when the cores are busy, OpenBLAS's spinning threads made
# a chapter 20x slower (a 16 s chapter hit the 300 s cell timeout). One thread per process.
BLAS_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Sphinx flags: warnings are errors, nitpicky cross-references, keep going to report all.
BOOK_FLAGS ?= -W -n --keep-going

.PHONY: help book test lint serve lab clean setup setup-test

help:
	@echo "make book   build the book (executes every chapter) into _build/html"
	@echo "make test   install the test oracles too, build the book, run every test"
	@echo "make lint   ruff on the package, tests and chapters; one spelling variety (Oxford)"
	@echo "make serve  serve _build/html on http://localhost:$(PORT)"
	@echo "make lab    JupyterLab on the chapters, in the book's environment"
	@echo "make clean  remove the build, the execution cache and the environment"

# The environment: created once, re-installed when a requirements file changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

$(VENV)/.installed-test: tests/requirements-oracles.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r tests/requirements-oracles.txt
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

# jupyter-cache keys a chapter's outputs on its code cells alone, so after a change to
# scratchdl a cached build would still show the old source and numbers. When any package
# file is newer than the stamp, drop the execution cache and Sphinx's environment: the
# chapters run again.
PACKAGE_FILES := $(shell find scratchdl -type f -not -path '*/__pycache__/*' 2>/dev/null)
_build/.scratchdl-stamp: $(PACKAGE_FILES)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

book: setup _build/.scratchdl-stamp
	$(BLAS_ENV) $(BIN)/jupyter-book build . $(BOOK_FLAGS)
	@echo "The book is in $(CURDIR)/_build/html/index.html  (make serve to browse it)"

# Two xdist workers use the two cores, each with one BLAS thread (see BLAS_ENV).
test: setup-test book
	$(BLAS_ENV) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check scratchdl tests benchmarks book
	$(BIN)/python -m tests.spelling

serve:
	@test -f _build/html/index.html || { echo "no built site: run make book first"; exit 1; }
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

lab: setup
	$(BLAS_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab book

clean:
	rm -rf _build $(VENV) .pytest_cache .ruff_cache scratchdl.egg-info
