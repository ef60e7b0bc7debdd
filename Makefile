# Two commands: `make run` and `make test`. Everything else is what they need.
# The distribution's CPython when it is 3.11 or newer (and can make a virtualenv), else
# python3 from PATH: on this machine Debian's build ran the portal's pages 15-25 % faster
# than pyenv's default build (shared libpython, no profile-guided optimisation), same
# code, same packages (docs/performance.md, "The interpreter").
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := portal

.PHONY: run test setup translations db demo clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,postgres]"
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	scripts/translations.sh compile

db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask roles sync

demo: db
	$(BIN)/flask demo load --if-empty

## make run: virtualenv, install, migrations, demo data (SQLite in instance/), serve :5000
run: demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The browser tests drive Debian's chromium (never a downloaded browser); as root we
# install it, otherwise say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "install Debian's chromium (sudo apt-get install chromium fonts-noto-cjk) for the browser tests" >&2; exit 1; fi; }

## make test: the whole suite on SQLite (PORTAL_TEST_DATABASE_URL=postgresql://... for PostgreSQL)
test: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
