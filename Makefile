# Two commands for a newcomer: `make run` (install, build the index, start the chat) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast check lint ingest eval bench scorer adapter clean

run: $(VENV)/.stamp-app
	$(BIN)/python app.py

# The one gate, locally and in CI: lint, type-check and the tests. mypy (over two minutes from a fresh clone,
# on one core) checks while the tests run, which leave the second core mostly idle; its report follows theirs,
# and either failing fails the gate.
test: $(VENV)/.stamp-test
	$(BIN)/ruff check assistant tests app.py bench
	$(BIN)/mypy assistant > $(VENV)/mypy.out 2>&1 & mypy=$$!; \
	$(BIN)/python -m pytest -q; tests=$$?; \
	wait $$mypy; typed=$$?; \
	echo "$(BIN)/mypy assistant"; cat $(VENV)/mypy.out; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

# The edit loop: no app processes, kills, replicas, Milvus or browser (docs/architecture.md, "Tests").
test-fast: $(VENV)/.stamp-test
	$(BIN)/python -m pytest -q -m "not slow and not integration"

check: test

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check assistant tests app.py bench
	$(BIN)/mypy assistant

ingest: $(VENV)/.stamp-app
	$(BIN)/assistant ingest

# The seed and library sets, dev and test side by side; exits non-zero below a test floor (eval/floors.json).
eval: $(VENV)/.stamp-app
	$(BIN)/assistant eval --set seed --out eval/runs/seed
	$(BIN)/assistant eval --set library --out eval/runs/library

# Train the experimental answer scorer from the repo's dev data (about 30 minutes on 2 cores; docs/answers.md).
scorer: $(VENV)/.stamp-app
	$(BIN)/python scripts/train_answer_scorer.py

# Fit the answer adapter the answerer ships with (assistant/embedding/answer_adapter.npy; about a minute on
# 2 cores; needs ../shared/benchmarks for PolicyQA; docs/answers.md "The answer adapter").
adapter: $(VENV)/.stamp-app
	$(BIN)/python scripts/train_answer_adapter.py

$(VENV)/.stamp-app: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, so that nothing resolves a CUDA build from the registry.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	bash scripts/install-ocr.sh
	touch $@

# All that .stamp-app installs plus the test tools, in one pip run (not a second resolver pass over the app's
# packages); Debian's Tesseract and Chromium install meanwhile, and both must succeed.
$(VENV)/.stamp-test: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	{ bash scripts/install-ocr.sh && bash scripts/install-browser.sh; } & system=$$!; \
	$(BIN)/pip install --quiet torch==2.13.0 && $(BIN)/pip install --quiet -e '.[test]'; pip=$$?; \
	wait $$system && exit $$pip
	touch $(VENV)/.stamp-app $@

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT index/.staging-* index/.lock
