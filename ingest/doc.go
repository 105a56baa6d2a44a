// Package ingest holds what every ingest path shares: the Appender seam to
// the spool and Store, which turns one routed message into a durable record
// or a dead letter and says whether it may be acknowledged. The paths
// themselves live in sub-packages: broker (the embedded MQTT broker),
// bridge (a subscription to an existing broker) and route (topics to
// streams).
package ingest
