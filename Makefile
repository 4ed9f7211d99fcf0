# synth — make targets. `make demo` runs the whole loop offline; `make test` runs every test.
GO       ?= go
BIN      ?= bin/synth
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DEMO_DIR ?= demo

.PHONY: build test test-short demo bench fuzz lint docs golden conformance clean

build: ## build the static synth binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/synth

test: ## every test, with the race detector
	$(GO) vet ./...
	$(GO) test -race -shuffle=on -count=1 ./...

test-short:
	$(GO) test -short -count=1 ./...

demo: build ## the whole loop offline on the example project
	./scripts/demo.sh $(BIN) $(DEMO_DIR)

bench: build ## the performance figures (a few minutes): prints them and writes docs/performance.md
	$(GO) run ./scripts/bench -synth $(BIN) -out docs/performance.md

fuzz: ## each fuzz target for 30s
	./scripts/fuzz.sh 30s

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1)
	$(GO) vet ./...

docs: ## regenerate docs/reference (commands, config keys, validators, generators) from the code
	$(GO) run ./cmd/synth docs --out docs/reference

conformance: ## our OpenAI-compatible requests against a validating mock of the official API spec (needs Node)
	bash scripts/prism.sh

golden: ## rewrite golden files under testdata/
	$(GO) test ./... -update

clean:
	rm -rf bin $(DEMO_DIR)
