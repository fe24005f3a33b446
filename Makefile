# Contacts service. `make test` runs every test against DynamoDB Local.
SHELL := /bin/bash
GO ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="
BUILD_DIR ?= build
# An iteration count, not a duration: a duration can end mid-minimisation and fail with
# "context deadline exceeded" (a go test -fuzz quirk), which would make CI flaky.
FUZZTIME ?= 50000x
# Every fuzz target, as package:Target.
FUZZ_TARGETS := ./internal/phone:FuzzParse ./internal/taxid:FuzzParse ./internal/httpapi:FuzzDecodeObject ./internal/httpapi:FuzzParseIfMatch ./internal/contact:FuzzBuildProfile ./infra/local/httpgw:FuzzMatch ./internal/cursor:FuzzDecode ./internal/searchkey:FuzzFold ./internal/searchkey:FuzzParseQuery ./internal/lambdaevents:FuzzInboundEvent ./internal/sheets:FuzzCSV ./internal/sheets:FuzzOpen ./internal/sheets:FuzzRoundTripCSV ./internal/sheets:FuzzRecordGuard

WORKSPACE ?= acme
ROLE ?= owner
SUB ?= local-user

.PHONY: build sizes record-sizes reproducible test unit lint fuzz bench clean dev token

## dev: the whole service on http://127.0.0.1:3000 (DynamoDB Local, moto, every function, the HTTP API). Ctrl-C stops it.
dev:
	@$(GO) build -o .local/bin/dev ./infra/local/cmd/dev && exec .local/bin/dev

## token: a JWT the local HTTP API accepts: make token WORKSPACE=acme ROLE=agent SUB=user-7
token:
	@$(GO) run ./infra/local/cmd/token -workspace $(WORKSPACE) -role $(ROLE) -sub $(SUB)

## build: every function as a zipped arm64 `bootstrap` under build/<name>/, sizes printed.
## Reproducible: fixed mode and timestamp in the zip, no extra attributes (`make reproducible` checks).
build:
	@mkdir -p $(BUILD_DIR)
	@for fn in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_LAMBDA) -o $(BUILD_DIR)/$$fn/bootstrap ./functions/$$fn || exit 1; \
		(cd $(BUILD_DIR)/$$fn && rm -f ../$$fn.zip && chmod 0755 bootstrap && TZ=UTC touch -t 198001010000 bootstrap && TZ=UTC zip -qX ../$$fn.zip bootstrap) || exit 1; \
		printf '%-14s bootstrap %9d bytes   zip %9d bytes\n' $$fn $$(stat -c %s $(BUILD_DIR)/$$fn/bootstrap) $$(stat -c %s $(BUILD_DIR)/$$fn.zip); \
	done

## sizes: build, then compare each zip with infra/build/sizes.txt; fails on +10% or a function with no figure.
sizes: build
	@bash infra/build/sizes.sh check $(BUILD_DIR)

## record-sizes: build, then record the current sizes in infra/build/sizes.txt (on purpose: commit it with the reason).
record-sizes: build
	@bash infra/build/sizes.sh record $(BUILD_DIR)

## reproducible: build twice, the second time with an empty Go build cache, and compare the zips' sha256.
reproducible:
	@$(MAKE) --no-print-directory build >/dev/null
	@tmp=$$(mktemp -d); trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT; \
	(cd $(BUILD_DIR) && sha256sum *.zip) >$$tmp/first; \
	GOCACHE=$$tmp/gocache $(MAKE) --no-print-directory build BUILD_DIR=$$tmp/build >/dev/null || exit 1; \
	(cd $$tmp/build && sha256sum *.zip) >$$tmp/second; \
	if diff $$tmp/first $$tmp/second; then cat $$tmp/first; echo "reproducible: identical zips from a warm and an empty build cache"; \
	else echo "reproducible: the zips differ (above), or a source changed between the two builds" >&2; exit 1; fi

## build-<Resource>: what `sam build` runs for each function (BuildMethod: makefile).
build-%Function:
	fn=$$(echo $* | tr 'A-Z' 'a-z'); \
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$$fn

## test: lint, the size check (builds every function), then every test with the race detector against one
## shared DynamoDB Local, then the fuzzers briefly.
test: lint sizes
	$(GO) run ./infra/local/cmd/with-dynamodb -- $(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

## unit: the tests that need no DynamoDB.
unit:
	$(GO) test -short ./...

## lint: go vet, gofmt, cfn-lint on template.yaml.
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v cfn-lint >/dev/null; then cfn-lint template.yaml && echo "cfn-lint: template.yaml ok"; \
	 else echo "cfn-lint not found (pip install cfn-lint): template not linted" >&2; exit 1; fi

## fuzz: each fuzz target for FUZZTIME.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

## bench: every figure of docs/performance.md, as one markdown table on stdout, also written between the
## <!-- bench:start/end --> markers of docs/performance.md (infra/bench): function sizes (make build) and cold
## starts, DynamoDB calls and capacity units per operation, search p50/p99 beside a GetItem, import/export
## rows/s beside raw BatchWriteItem with peak memory, and a bounded load test of the local platform that
## fails on any error or lost write. Each phase gets a fresh in-memory DynamoDB Local. About 4 minutes here.
## BENCH_CONTACTS (search workspace, 20000), BENCH_ROWS (import/export, 2000) and BENCH_REQUESTS (load, 2000)
## change the sizes; BENCH_FLAGS passes flags (go run ./infra/bench -h), e.g. BENCH_FLAGS='-only load'.
bench:
	@$(MAKE) --no-print-directory build >/dev/null
	@$(GO) run ./infra/bench $(BENCH_FLAGS)

clean:
	rm -rf build .aws-sam
