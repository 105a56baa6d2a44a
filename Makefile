# Tributary — Kinesis for the edge. `make help` lists the targets.

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/tributary-edge/tributary/gateway/internal/server.Version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

QEMU_ARM64 ?= qemu-aarch64-static
QEMU_ARM   ?= qemu-arm-static
# The packages the ARM run covers (issue 2: the spool and the gateway).
ARM_PKGS   ?= ./spool/... ./gateway/...

.PHONY: help build run test test-unit test-arm bench cross lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build ./bin/tributary (static, CGO_ENABLED=0)
	$(BUILD) -o bin/tributary ./gateway

run: build ## build and run the gateway on its embedded defaults (or configs/gateway.yaml)
	./bin/tributary run

test: test-unit test-arm ## the whole test suite, as CI runs it

test-unit: ## go test ./... on this machine
	$(GO) test -count=1 ./...

test-arm: ## the spool and gateway tests as arm64 and armv7 binaries under qemu-user
	@if ! command -v $(QEMU_ARM64) >/dev/null || ! command -v $(QEMU_ARM) >/dev/null; then \
		if [ -n "$$CI" ]; then echo "test-arm: $(QEMU_ARM64)/$(QEMU_ARM) not found (apt-get install qemu-user-static)"; exit 1; fi; \
		echo "test-arm: SKIPPED — install qemu-user-static to run the ARM tests"; exit 0; \
	fi; \
	set -e; \
	echo "== arm64 (qemu)"; \
	CGO_ENABLED=0 GOARCH=arm64 TRIBUTARY_TEST_EXEC=$(QEMU_ARM64) $(GO) test -count=1 -short -exec $(QEMU_ARM64) $(ARM_PKGS); \
	echo "== armv7 (qemu)"; \
	CGO_ENABLED=0 GOARCH=arm GOARM=7 TRIBUTARY_TEST_EXEC=$(QEMU_ARM) $(GO) test -count=1 -short -exec $(QEMU_ARM) $(ARM_PKGS)

bench: ## measure: raw disk, appends per durability mode, reads, sustained RSS, start-up with 5M records
	$(GO) test -run '^$$' -bench 'Disk|Append|Read' -benchtime 3s ./spool/
	$(GO) test -run '^$$' -bench 'SustainRSS' -benchtime 1x ./spool/
	$(GO) test -run '^$$' -bench 'StartupBacklog' -benchtime 1x -timeout 30m ./spool/ >/dev/null # builds the 5M backlog once
	$(GO) test -run '^$$' -bench 'StartupBacklog' -benchtime 3x ./spool/

cross: ## static binaries for linux arm64, armv7, armv6 and amd64 under dist/
	GOOS=linux GOARCH=arm64 $(BUILD) -o dist/tributary-linux-arm64 ./gateway
	GOOS=linux GOARCH=arm GOARM=7 $(BUILD) -o dist/tributary-linux-armv7 ./gateway
	GOOS=linux GOARCH=arm GOARM=6 $(BUILD) -o dist/tributary-linux-armv6 ./gateway
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/tributary-linux-amd64 ./gateway

lint: ## gofmt, go vet and a go.mod tidiness check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

clean: ## remove build outputs
	rm -rf bin dist
