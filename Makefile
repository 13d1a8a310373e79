# OneThing — two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PKGS   := contracts libs/exchange libs/credentials libs/catalogue libs/screens services/intake services/dispatch services/licence \
	      services/supervision services/rating services/gateway simulators cli
STAMP  := $(VENV)/.installed
DEMO_CASES ?= 20
TEST_WORKERS ?= 2

.PHONY: run test setup lint typecheck unit docs clean bench browser

$(STAMP): $(foreach p,$(PKGS),$(p)/pyproject.toml) requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check $(foreach p,$(PKGS),-e $(p)) -r requirements/dev.txt
	touch $(STAMP)

setup: $(STAMP)

## Debian's Chromium for the browser tests (tests/browser drive it through Playwright; never a downloaded browser),
## and a CJK font so the screenshots show Chinese. The lists are refreshed only when the install cannot find them.
BROWSER_DEBS := chromium fonts-wqy-microhei
/usr/bin/chromium:
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -qq --no-install-recommends $(BROWSER_DEBS) >/dev/null 2>&1 || \
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $(BROWSER_DEBS) >/dev/null; }

browser: /usr/bin/chromium

## The whole system on the embedded default (tansu broker + one SQLite file per service), a demo batch, serving until Ctrl-C.
run: $(STAMP)
	$(BIN)/onething up --demo $(DEMO_CASES)

## Every check and test: lint, types, unit, contracts, bus and storage on the real broker and PostgreSQL, end to end.
test: $(STAMP) .venv-peers/.installed /usr/bin/chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

## Sustained closed-loop load on the whole system (docs/performance.md); BENCH_ARGS="--bundle P-01 --peers --database-url …".
bench: $(STAMP) .venv-peers/.installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -e "cli[bench]"
	$(BIN)/onething bench $(BENCH_ARGS)

## The DBOS peer's own environment (requirements/peers.txt: it cannot share the platform's).
.venv-peers/.installed: requirements/peers.txt
	test -x .venv-peers/bin/python || $(PYTHON) -m venv .venv-peers
	.venv-peers/bin/python -m pip install -q --disable-pip-version-check -r requirements/peers.txt
	touch .venv-peers/.installed

unit: $(STAMP)
	$(BIN)/pytest -m "not integration and not e2e and not browser"

## Regenerate JSON Schemas, the AsyncAPI document and deploy/kafka/topics.yaml from the code.
docs: $(STAMP)
	$(BIN)/python -m contracts.publish

clean:
	rm -rf $(VENV) .venv-peers .onething
