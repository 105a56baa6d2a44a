// Package route decides, for one MQTT message, which stream it goes to,
// with which partition key, and what bytes are stored, or why it must go
// to the dead-letter stream instead. It does no I/O and keeps no state
// beyond the compiled rules, so one *Table serves every ingest goroutine.
//
// # Rules
//
// Compile checks a list of Rules once, at configuration time, reporting
// every problem with its rule index and config field (*Errors). Route then
// walks the rules in order and the first whose topic filter matches the
// message's topic wins; a message that matches none is not stored.
//
// Topic filters follow MQTT 3.1.1 §4.7 and MQTT 5 §4.7
// (https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901241):
// '/' separates levels, "+" matches one level, "#" as the last level
// matches the rest including the parent ("a/#" matches "a"), and topics
// starting with '$' are only matched by filters that do not start with a
// wildcard (§4.7.2). A shared subscription ("$share/GROUP/FILTER", MQTT 5
// §4.8.2) names subscribers, not topics, and is refused as a route filter.
//
// # What Route returns
//
// For the matching rule, Route checks, in this order, the first failure
// setting Result.Reject (a reason naming the rule, e.g. `route 2
// (devices/+/telemetry): payload is not valid JSON`):
//
//  1. MaxPayload > 0 and the payload is longer;
//  2. RequireJSON and the payload is not valid JSON;
//  3. the partition key template renders to "".
//
// A rejected Result names the rule and its stream but has no key and no
// data: the caller dead-letters the Message itself.
//
// Otherwise PartitionKey is the rendered key and Data is the payload (the
// same slice, not a copy) or, with Envelope, a new JSON document:
//
//	{"topic":"devices/7/telemetry","client_id":"dev7","qos":1,"retain":false,
//	 "received":"2024-05-01T12:00:00.5Z","payload":{"t":21.5}}
//
// where a payload that is not valid JSON is carried as
// "payload_base64":"<RFC 4648 standard base64>" instead of "payload".
//
// # Valid JSON
//
// RequireJSON, Envelope and {json.…} share one definition: what json.Valid
// accepts (RFC 8259, nesting at most 10000 deep) that is also valid UTF-8
// (RFC 8259 §8.1 requires it; json.Valid does not check it). A payload
// with Latin-1 bytes inside a JSON string is therefore not JSON here: it is
// rejected under RequireJSON and carried as base64 in an envelope, so an
// envelope is always UTF-8 JSON that any consumer can parse. The payload is
// parsed at most once per message, and only if a check, the envelope or
// the key needs it.
//
// # Partition key templates
//
// A template is literal text with placeholders in braces:
//
//	{topic}       the whole topic (the default template)
//	{topic.N}     level N of the topic, 0-based; "" if there are fewer levels
//	{json.a.b}    field a.b of the JSON payload object: a string's text,
//	              a number or boolean as written, an object or array as
//	              compact JSON, null as ""; "" if missing, if a level is
//	              not an object, or if the payload is not JSON. A name
//	              containing '.', '{' or '}' cannot be addressed, nor can
//	              array elements. A repeated name yields its last value.
//	{client_id}   the MQTT client identifier
//	{random}      16 lowercase hex digits from math/rand/v2 (not secret)
//	{{ and }}     a literal brace
//
// Anything else in braces, an unclosed or unmatched brace, {} and a
// template that is not UTF-8 fail Compile. At most 8 distinct JSON fields
// per template.
//
// The rendered key becomes a Kinesis partition key
// (shared/spec/kinesis.md, PutRecord): each byte that is not part of valid
// UTF-8 is replaced by U+FFFD, and the key is cut to its first 256
// characters (runes). A key that renders to "" rejects the message.
//
// # Cost
//
// Route is on the ingest hot path. Filters are split into levels at
// Compile; matching allocates nothing. A raw-payload rule whose key is
// {topic}, {topic.N}, {client_id} or literal text allocates nothing; other
// templates allocate the key once; an envelope allocates itself once.
package route
