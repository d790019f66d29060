# Each target sets itself up: a virtualenv in .venv with linli installed (editable, dev extras).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PEER := tests/peers/telegram/.installed

.PHONY: run test test-quick check lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The Telegram Bot API emulator the tests talk to (npm, pinned by package-lock.json).
$(PEER): tests/peers/telegram/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/peers/telegram && npm ci --no-audit --no-fund --loglevel=error && touch .installed; \
	else echo "npm not found: the Telegram end-to-end tests will be skipped"; fi

run: $(STAMP)
	$(BIN)/linli run --demo-if-empty

# Tests run in parallel workers, each with its own PostgreSQL database and SQLite files.
WORKERS ?= 4

test: check $(PEER)
	$(BIN)/python -m pytest -n $(WORKERS)

# The edit loop: SQLite only, no end-to-end peers or processes.
test-quick: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not e2e and not postgres"

# Every static check: lint, format, types.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) $(PEER)
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/urgent.py
	$(BIN)/python bench/long_messages.py
	$(BIN)/python bench/meal_slots.py
	$(BIN)/python bench/classify_throughput.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/telegram_reference.py
	$(BIN)/python bench/telegram_roundtrip.py
	$(BIN)/python bench/operator_scale.py
	$(BIN)/python bench/broadcast_send.py
	$(BIN)/python bench/wechat_callback.py

clean:
	rm -rf $(VENV) build *.egg-info
