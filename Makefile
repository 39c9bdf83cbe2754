# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test reliability lint format clean checkov validators

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/opscheck demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The full reliability set (faults, hostile inputs, report safety, secrets, determinism):
# every case, and the table RELIABILITY.md publishes (also written to reliability-table.md).
# `make test` runs a fast subset of the same tests. Not under pytest-xdist: the table is
# gathered in one process.
reliability: $(STAMP) validators
	OPSCHECK_RELIABILITY=full OPSCHECK_RELIABILITY_TABLE=reliability-table.md \
		$(BIN)/python -m pytest -q tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# checkov in its own virtual environment (it pins an old boto3): `opscheck scan --checkov`.
checkov: .venv-checkov/bin/checkov

.venv-checkov/bin/checkov:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --upgrade pip
	.venv-checkov/bin/python -m pip install --quiet "checkov>=3.2,<4"

# Report validators the test suite runs (CI installs them; locally their tests skip without
# them): Microsoft's SARIF multitool and the Nu HTML Checker, pinned in .ci/tools. Their
# install scripts are not run: vnu's would fetch a Java runtime (Java 17 is on the machine).
validators: .ci/tools/node_modules/.installed

.ci/tools/node_modules/.installed: .ci/tools/package.json .ci/tools/package-lock.json
	npm ci --prefix .ci/tools --no-audit --no-fund --ignore-scripts
	chmod u+x .ci/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
	touch $@

clean:
	rm -rf $(VENV) .venv-checkov .ci/tools/node_modules build *.egg-info opscheck-demo .pytest_cache .ruff_cache
