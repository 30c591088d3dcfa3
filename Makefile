# `make run` and `make test` do all the set-up: venv, packages, translations, database.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CATALOGS := $(wildcard callcenter/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test bench worker translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

%.mo: %.po $(VENV)/.runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(COMPILED)

run: $(VENV)/.runtime translations
	$(BIN)/python -m callcenter.devserver

worker: $(VENV)/.runtime
	$(BIN)/flask --app wsgi worker

# The suite runs in TEST_PROCESSES processes (pytest-xdist; 0: in this one), each with a database,
# a Redis database and a Socket.IO channel of its own (tests/conftest.py).
TEST_PROCESSES ?= 2

test: $(VENV)/.dev translations
	$(BIN)/lint-imports  # the layers (.importlinter): a new back-edge fails the build
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

# Every benchmark under benchmarks/ on PostgreSQL and Redis at 127.0.0.1, then one table of the figures.
bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run_all.py

# After changing user-facing text: refresh the catalogs, translate, commit the .po files.
extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o callcenter/translations/messages.pot .
	$(BIN)/pybabel update -i callcenter/translations/messages.pot -d callcenter/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
