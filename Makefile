# Tributary — Kinesis for the edge. `make help` lists the targets.

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/tributary-edge/tributary/gateway/internal/server.Version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
SIM_LDFLAGS := -s -w -X main.version=$(VERSION)
BUILD_SIM   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(SIM_LDFLAGS)'

QEMU_ARM64 ?= qemu-aarch64-static
QEMU_ARM   ?= qemu-arm-static
# The packages the ARM run covers.
ARM_PKGS   ?= ./spool/... ./gateway/... ./ingest/... ./uplink/... ./analytics/... ./video/... ./firmware-sim/...

.PHONY: help build run demo e2e test test-unit test-arm bench cross lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build ./bin/tributary and ./bin/firmware-sim (static, CGO_ENABLED=0)
	$(BUILD) -o bin/tributary ./gateway
	$(BUILD_SIM) -o bin/firmware-sim ./firmware-sim

run: build ## build and run the gateway on its embedded defaults (or configs/gateway.yaml)
	./bin/tributary run

demo: build ## the gateway plus 50 simulated thermostats for a minute, then verify
	@./bin/tributary run --data-dir ./data >./data.demo.log 2>&1 & gw=$$!; \
	trap 'kill $$gw 2>/dev/null; wait $$gw 2>/dev/null' EXIT; \
	for i in $$(seq 100); do ./bin/tributary streams ls >/dev/null 2>&1 && break; sleep 0.1; done; \
	./bin/firmware-sim devices --count 50 --rate 2 --duration 60s --profile thermostat --verify http://127.0.0.1:4567

e2e: build ## kill -9 durability check with the real binaries (fixed ports 14567/11883)
	sh firmware-sim/scripts/kill9-e2e.sh bin/tributary bin/firmware-sim

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

bench: ## measure: raw disk, appends per durability mode, reads, sustained RSS, 5M-record start-up, MQTT, the Kinesis API, uplink drains, Parquet encoding, SQL queries and video (cameras' CPU/RSS, WHEP fan-out, added latency, depacketizing, clip export)
	$(GO) test -run '^$$' -bench 'Disk|Append|Read' -benchtime 3s ./spool/
	$(GO) test -run '^$$' -bench 'SustainRSS' -benchtime 1x ./spool/
	$(GO) test -run '^$$' -bench 'StartupBacklog' -benchtime 1x -timeout 30m ./spool/ >/dev/null # builds the 5M backlog once
	$(GO) test -run '^$$' -bench 'StartupBacklog' -benchtime 3x ./spool/
	$(GO) test -run '^$$' -bench 'MQTT' -benchtime 1x -timeout 30m ./gateway/
	$(GO) test -run '^$$' -bench 'Kinesis' -benchtime 1x -timeout 30m ./gateway/
	$(GO) test -run '^$$' -bench 'Uplink' -benchtime 1x -timeout 30m ./gateway/
	$(GO) test -run '^$$' -bench 'ParquetEncode' -benchtime 2s ./uplink/
	$(GO) test -run '^$$' -bench 'Query' -benchtime 1s -cpu 1 ./analytics/
	$(GO) test -run '^$$' -bench 'AnomalyLatency' -benchtime 1x ./gateway/internal/server/
	$(GO) test -run '^$$' -bench '.' -benchtime 1s -cpu 1 ./analytics/window/
	$(GO) test -run '^$$' -bench 'Cameras|Fanout10|Latency' -benchtime 1x -timeout 10m ./video/camera/
	$(GO) test -run '^$$' -bench 'ClipExport' -benchtime 10x ./video/camera/
	$(GO) test -run '^$$' -bench 'DepackH264' -benchtime 2s ./video/depack/
	$(GO) test -run '^$$' -bench 'WriteClip' -benchtime 2s ./video/mp4/ ./video/webm/
	$(GO) test -run '^$$' -bench 'Put|List' -benchtime 2s ./video/store/

cross: ## static binaries of both programs for linux arm64, armv7, armv6 and amd64 under dist/
	GOOS=linux GOARCH=arm64 $(BUILD) -o dist/tributary-linux-arm64 ./gateway
	GOOS=linux GOARCH=arm GOARM=7 $(BUILD) -o dist/tributary-linux-armv7 ./gateway
	GOOS=linux GOARCH=arm GOARM=6 $(BUILD) -o dist/tributary-linux-armv6 ./gateway
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/tributary-linux-amd64 ./gateway
	GOOS=linux GOARCH=arm64 $(BUILD_SIM) -o dist/firmware-sim-linux-arm64 ./firmware-sim
	GOOS=linux GOARCH=arm GOARM=7 $(BUILD_SIM) -o dist/firmware-sim-linux-armv7 ./firmware-sim
	GOOS=linux GOARCH=arm GOARM=6 $(BUILD_SIM) -o dist/firmware-sim-linux-armv6 ./firmware-sim
	GOOS=linux GOARCH=amd64 $(BUILD_SIM) -o dist/firmware-sim-linux-amd64 ./firmware-sim

lint: ## gofmt, go vet and a go.mod tidiness check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

clean: ## remove build outputs
	rm -rf bin dist
