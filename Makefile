# One target per workflow (style.md item 23); CI calls the same targets (.ci/run → make test).
# Longer recipes belong in scripts/. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

UV_VERSION := 0.13.8
UV := .tools/bin/uv
PY := .venv/bin/python
CODE := shared handover_api eligibility_api notifications_api services tests
# The backbone, relay, consumer and broker-outage tests, run again on Apache Kafka by test-kafka.
KAFKA_TESTS := tests/integration/kafka tests/integration/messaging \
	tests/integration/handover/test_broker_outage.py tests/integration/eligibility/test_consumers.py \
	tests/integration/eligibility/test_scheduler_broker.py tests/integration/notifications/test_consumers.py \
	tests/integration/notifications/test_kafka_flow.py
# Split targets may select no test yet (pytest exit code 5); the whole suite may not.
ALLOW_EMPTY := || test $$? -eq 5

.PHONY: help install kafka run test test-unit test-integration test-e2e test-kafka test-faults lint check migrate revision bench clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools && .tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV) ## create/refresh .venv from uv.lock (bootstraps uv into .tools/)
	$(UV) sync --frozen

run: install ## whole stack on this machine: broker, migrations, three apps (Ctrl-C stops)
	$(PY) -m services up

test: install ## whole suite: unit, contract, integration, e2e (ARGS="-k ..." passes options)
	.venv/bin/pytest $(ARGS)

test-unit: install ## unit and contract tests (no I/O)
	.venv/bin/pytest tests/unit tests/contract $(ARGS) $(ALLOW_EMPTY)

test-integration: install ## integration tests (real broker and PostgreSQL)
	.venv/bin/pytest tests/integration $(ARGS) $(ALLOW_EMPTY)

test-e2e: install ## end-to-end tests (the three apps as real processes)
	.venv/bin/pytest tests/e2e $(ARGS) $(ALLOW_EMPTY)

kafka: install ## fetch Apache Kafka's jars into .tools/kafka/ with Maven (once; needs java 17 and mvn)
	$(PY) -m services.kafka_cluster

test-kafka: kafka ## backbone, relay, consumer and outage tests on a local 3-broker Apache Kafka cluster
	TEST_BROKER=apache .venv/bin/pytest $(KAFKA_TESTS) -p no:cacheprovider $(ARGS)

test-faults: kafka ## fault scenarios on the 3-broker Apache Kafka cluster (not part of `make test`)
	TEST_BROKER=apache .venv/bin/pytest tests/faults -p no:cacheprovider $(ARGS)

lint: install ## fix what ruff can fix, then format
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

check: install ## no-fix checks: format, ruff, mypy --strict, import-linter
	.venv/bin/ruff format --check . && .venv/bin/ruff check . && .venv/bin/mypy $(CODE) && .venv/bin/lint-imports

migrate: install ## migrate the three databases (embedded PostgreSQL under var/, or *_DB__URL) to head
	$(PY) -m services migrate

revision: install ## new migration: make revision svc=handover_api msg="add x"
	@test -n "$(svc)" -a -n "$(msg)" || { echo 'usage: make revision svc=handover_api msg="add x"'; exit 2; }
	$(PY) -m services revision $(svc) -m "$(msg)"

bench: install ## micro-benchmarks, then ceilings, closed and open loop on one stack (BENCH_ARGS="--quick"; TEST_BROKER=apache)
	.venv/bin/pytest tests/bench --benchmark-enable --benchmark-only -p no:cacheprovider $(ARGS)
	$(PY) -m tests.bench $(BENCH_ARGS)

clean: ## remove local state (var/: databases, logs, dev keys) and caches; keeps .venv and .tools
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis .benchmarks .coverage htmlcov
	find . \( -path ./.venv -o -path ./.tools -o -path ./.git \) -prune -o -name __pycache__ -type d -exec rm -rf {} +
