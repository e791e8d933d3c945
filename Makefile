# make test   sets up what the tests need (Chromium, npm packages), then runs them all
# make build  rebuilds the embedded SDK and dashboard bundles from their sources
# make run    starts Playhead on 127.0.0.1:8080 with ./playhead-data
# make bench  Playhead against its peers (SDK size, page overhead, storage, player, ingest)

GO ?= go
# A count, not a duration: a run cut off by a time limit can end on the
# fuzzer's own "context deadline exceeded" with nothing found.
FUZZTIME ?= 20000x

.PHONY: test setup check-format build run fuzz bench

test: setup check-format
	cd sdk/browser && npm run --silent typecheck && npm test
	cd web && npm run --silent typecheck && npm test
	$(GO) vet ./...
	$(MAKE) --no-print-directory fuzz
	cd sdk/go && $(GO) vet ./... && $(GO) test -count=1 ./...
	# One package at a time: the browser, cluster and load tests each want
	# the machine's cores to themselves, and time out less when they have them.
	CI=$${CI:-} $(GO) test -count=1 -p 1 ./...

setup:
	@./scripts/setup-test.sh

check-format:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short runs of the fuzz targets on the network path and of the other
# parsers, and of the keyframe differential (rrdom: a keyframe and the
# events after it must replay like the whole session); FUZZTIME=5m (or
# 1000000x) for longer.
# New inputs are minimised in at most 200 runs, so a short run spends its
# time fuzzing (the default minimises for up to a minute).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseBatch$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./ingest/
	$(GO) test -run '^$$' -fuzz '^FuzzParseImport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./ingest/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./chunk/
	$(GO) test -run '^$$' -fuzz '^FuzzScrubJSON$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./privacy/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTraces$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./otlp/
	$(GO) test -run '^$$' -fuzz '^FuzzDiscover$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./assets/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./search/
	$(GO) test -run '^$$' -fuzz '^FuzzDerive$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./reproduce/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./sourcemaps/
	$(GO) test -run '^$$' -fuzz '^FuzzKeyframes$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./rrdom/

build:
	cd sdk/browser && npm run build
	cd web && npm run build
	cd e2e/fixtures && npm run build

run:
	$(GO) run ./cmd/playhead serve

# Every benchmark against the peers, side by side; writes docs/BENCHMARKS.md
# (about 20 minutes; `node bench/run.mjs --quick` for a smoke run).
bench:
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	cd web && npm ci --no-audit --no-fund --loglevel=error
	node bench/run.mjs
