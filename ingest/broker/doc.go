// Package broker is Tributary's embedded MQTT broker (mochi-mqtt, MQTT
// 3.1.1 and 5.0 over TCP, WebSocket and TLS) with durable acknowledgements.
//
// # Contract
//
// A QoS 1 or 2 PUBLISH whose topic matches a route is acknowledged (PUBACK
// or PUBREC) only after its record is durable in the spool, or, if it
// cannot be stored as asked, after the reason is durable in the dead-letter
// stream. Nothing is dropped silently:
//
//   - a stream that is full (reject_new) or a disk that is full: MQTT 5
//     clients get PUBACK with reason 0x97 (quota exceeded); MQTT 3.1.1
//     clients get no acknowledgement and resend the message later;
//   - a payload that fails the route's checks, a key template that
//     resolves to nothing, a record over the spool's limit or a stream that
//     does not exist: the message goes to the dead-letter stream with the
//     reason, then it is acknowledged;
//   - QoS 0 messages are stored best-effort through a bounded queue; what
//     does not fit is dropped and counted.
//
// Messages that match no route are not stored; the broker still does its
// normal job for every message (subscribers, retained messages, sessions,
// wills).
//
// # How acknowledgements wait without stalling
//
// mochi runs a client's hooks on that client's read goroutine and sends
// the acknowledgement when OnPublish returns. Blocking there until the
// record is durable would hold every client to one message per fsync. So
// OnPublish hands the message to the client's pipeline and tells mochi to
// drop it (ErrRejectPacket); the pipeline starts its append right away, on
// the client's read goroutine, so the client's messages reach the spool in
// the order they arrived, and keeps up to max_inflight of them in flight
// (the spool's group commit shares one fsync among them and among all
// clients). In arrival order, it acknowledges each stored message itself
// (PUBACK, or PUBREC for QoS 2) and publishes it to subscribers and the
// retained store through a "shadow": an inline mochi client with the
// publisher's ID (so No Local holds) that shares none of its session
// state. The publisher's own inflight state is only ever touched from its
// read goroutine (mochi's lock is taken twice by readers, so a writer from
// another goroutine can deadlock it; delivering to subscribers writes
// theirs from the publishing goroutine, as mochi always does): the hook keeps the QoS 2 "received"
// ids itself and, when the PUBREL arrives, on the read goroutine, puts the
// PUBREC where mochi's PUBREL handling finds it. A QoS 2 message resent
// after its PUBREC is answered again and not stored again; a PUBREL on a
// later connection of a persistent session completes the flow. Topic
// aliases are cleared before the shadow publishes (the topic is already
// resolved). A refusal is written directly: PUBACK for QoS 1, PUBREC for
// QoS 2, with the reason code. A retransmission (DUP) of a message still being stored is
// not stored again; the original's acknowledgement answers it. A client
// whose window is full is not read until a slot frees: the broker reads it
// no faster than the spool accepts, and other clients are not affected.
package broker
