#!/bin/sh
# kill9-e2e.sh: the durability check end to end, with the real binaries.
#
# Starts a gateway on a fresh data directory, runs simulated devices
# against its embedded broker, kills the gateway with SIGKILL in the middle
# of the run, restarts it on the same data, and verifies that every message
# that had been acknowledged (PUBACK) is stored, in order per device.
#
#   firmware-sim/scripts/kill9-e2e.sh [TRIBUTARY_BIN [FIRMWARE_SIM_BIN]]
#
# Defaults: bin/tributary and bin/firmware-sim. Environment: HTTP_PORT
# (14567), MQTT_PORT (11883), COUNT (50 devices), RATE (20 msg/s each),
# DURATION (6s), KILL_AFTER (2 seconds). Exit status: that of the verify.
set -eu

TRIBUTARY=${1:-bin/tributary}
SIM=${2:-bin/firmware-sim}
HTTP_PORT=${HTTP_PORT:-14567}
MQTT_PORT=${MQTT_PORT:-11883}
COUNT=${COUNT:-50}
RATE=${RATE:-20}
DURATION=${DURATION:-6s}
KILL_AFTER=${KILL_AFTER:-2}

work=$(mktemp -d)
gw=""
cleanup() {
	if [ -n "$gw" ]; then kill "$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_gateway() {
	"$TRIBUTARY" run --data-dir "$work/data" --http "127.0.0.1:$HTTP_PORT" --mqtt "127.0.0.1:$MQTT_PORT" >>"$work/gateway.log" 2>&1 &
	gw=$!
	i=0
	until curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$gw" 2>/dev/null; then
			echo "kill9-e2e: the gateway did not come up:" >&2
			cat "$work/gateway.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

start_gateway
"$SIM" devices --broker "tcp://127.0.0.1:$MQTT_PORT" --count "$COUNT" --rate "$RATE" --duration "$DURATION" \
	--report "$work/run.json" --quiet &
sim=$!
sleep "$KILL_AFTER"
echo "kill9-e2e: kill -9 the gateway (pid $gw)"
kill -9 "$gw"
wait "$gw" 2>/dev/null || true
gw=""
start_gateway
echo "kill9-e2e: gateway restarted (pid $gw)"
wait "$sim" || true
"$SIM" verify --gateway "http://127.0.0.1:$HTTP_PORT" --stream telemetry --acked "$work/run.json"
