// Package sql is the front end of Tributary's streaming SQL: it turns the
// text of a continuous query into a checked syntax tree (Statement) that
// the planner, the window engine (analytics/window) and the evaluator
// build on. It knows no streams, no schemas and no function
// implementations; it has no dependencies outside the standard library.
//
// # Why a hand-written parser
//
// The lexer and the recursive-descent parser (precedence climbing for
// expressions) are written by hand rather than generated or taken from a
// SQL library, because:
//
//   - Errors are the interface. A user typing a query at the edge gets
//     "line 1, column 17: unexpected identifier "WHRE" (expected JOIN,
//     WHERE, GROUP BY, EMIT or end of query; did you mean WHERE?)" and a
//     caret under the word (Error.Caret), and messages that explain the
//     dialect ("a join of two streams needs WITHIN …", "RIGHT JOIN is not
//     supported: swap the two sides and write LEFT JOIN"). Generated
//     parsers and general SQL libraries report "syntax error at or near".
//   - The dialect is ours: windows as GROUP BY items, EVENT TIME on a
//     source, stream-stream joins WITHIN an interval, JOIN TABLE, MQTT
//     topic templates, duration shorthands. Bending a general-purpose SQL
//     grammar (vitess, pingcap, cockroach) to this costs more than the
//     parser, and drags in a large dependency tree.
//   - It is small: no dependencies beyond the standard library, about
//     260 KB in a stripped armv6 binary for a Pi.
//
// Every decoder is fuzzed (STYLE.md practice 8): FuzzParse checks that no
// input panics and that every accepted query round-trips through String.
//
// # A query
//
//	[INSERT INTO stream]
//	SELECT item, …
//	FROM stream [[AS] alias] [EVENT TIME expr [WITH LATENESS interval] [LATE INTO stream]]
//	     [join …]
//	[WHERE condition]
//	[GROUP BY key, …, window]
//	[HAVING condition]
//	[EMIT TO MQTT 'topic/{field}'] …
//	[;]
//
// The three queries issue 6 was written for:
//
//	-- Fraud: 3 transactions over 1,000 from 2 locations within 60 seconds.
//	INSERT INTO alerts
//	SELECT card_id, COUNT(*) AS transactions, COUNT(DISTINCT location) AS locations
//	FROM transactions EVENT TIME ts WITH LATENESS 5s
//	WHERE amount > 1000
//	GROUP BY card_id, SLIDING(INTERVAL '60' SECOND)
//	HAVING COUNT(*) >= 3 AND COUNT(DISTINCT location) >= 2
//
//	-- Telemetry roll-up: per-device 1-minute average, min and max.
//	INSERT INTO telemetry_1m
//	SELECT device, AVG(temperature) AS avg_temp, MIN(temperature) AS min_temp,
//	       MAX(temperature) AS max_temp
//	FROM telemetry
//	GROUP BY device, TUMBLING(1m)
//
//	-- Anomaly: too hot, or a jump of more than 5 degrees, to MQTT.
//	SELECT device, temperature, LAG(temperature) OVER (PARTITION BY device) AS previous
//	FROM telemetry
//	WHERE temperature > 40
//	   OR ABS(temperature - LAG(temperature) OVER (PARTITION BY device)) > 5
//	EMIT TO MQTT 'alerts/{device}'
//
// and a join with device metadata (the latest record per id of the devices
// stream):
//
//	SELECT t.device, t.temperature, d.site
//	FROM telemetry AS t
//	LEFT JOIN TABLE devices AS d KEY id ON t.device = d.id
//	WHERE t.temperature > COALESCE(d.threshold, 40)
//
// # Grammar
//
// In this EBNF, [x] is optional, {x} repeats zero or more times, and words
// in capitals are keywords (in any case).
//
//	statement   = [ "INSERT" "INTO" stream ] select { emit } [ ";" ] .
//	select      = "SELECT" item { "," item } from [ "WHERE" expr ]
//	              [ "GROUP" "BY" groupItem { "," groupItem } ] [ "HAVING" expr ] .
//	item        = "*" | name "." "*" | expr [ "AS" name ] .
//	from        = "FROM" source { join } .
//	source      = stream [ [ "AS" ] name ] [ eventTime ] .
//	eventTime   = "EVENT" "TIME" expr [ "WITH" "LATENESS" interval ] [ "LATE" "INTO" stream ] .
//	join        = [ "INNER" | "LEFT" [ "OUTER" ] ] "JOIN"
//	              ( source "ON" expr "WITHIN" interval
//	              | "TABLE" stream [ [ "AS" ] name ] [ "KEY" path ] "ON" expr ) .
//	groupItem   = expr | window .
//	window      = "TUMBLING" "(" interval ")"
//	            | "HOPPING" "(" interval "," interval ")"
//	            | "SLIDING" "(" interval ")"
//	            | "SESSION" "(" interval [ "," interval ] ")"
//	            | "COUNT_WINDOW" "(" integer [ "," integer ] ")" .
//	emit        = "EMIT" "TO" "MQTT" string .
//	stream      = quotedName | bareName { "." bareName } .
//
//	expr        = expr "OR" expr | expr "AND" expr | "NOT" expr
//	            | expr compareOp expr
//	            | expr "IS" [ "NOT" ] "NULL"
//	            | expr [ "NOT" ] "IN" "(" expr { "," expr } ")"
//	            | expr [ "NOT" ] "BETWEEN" expr "AND" expr
//	            | expr [ "NOT" ] "LIKE" expr [ "ESCAPE" string ]
//	            | expr ( "||" | "+" | "-" | "*" | "/" | "%" ) expr
//	            | "-" expr | primary .
//	compareOp   = "=" | "<>" | "!=" | "<" | "<=" | ">" | ">=" .
//	primary     = literal | interval | path | call | case | cast | "(" expr ")" .
//	literal     = "NULL" | "TRUE" | "FALSE" | integer | float | string .
//	interval    = "INTERVAL" ( string | number ) unit | duration .
//	unit        = "MILLISECOND" | "SECOND" | "MINUTE" | "HOUR" | "DAY" (or plural) .
//	path        = name { "." name | "[" [ "-" ] integer "]" } .
//	call        = funcName "(" [ "*" | [ "DISTINCT" ] expr { "," expr } ] ")"
//	              [ "OVER" "(" [ "PARTITION" "BY" expr { "," expr } ] ")" ] .
//	case        = "CASE" [ expr ] "WHEN" expr "THEN" expr { "WHEN" expr "THEN" expr }
//	              [ "ELSE" expr ] "END" .
//	cast        = "CAST" "(" expr "AS" type ")" .
//	type        = "STRING" | "VARCHAR" [ "(" integer ")" ] | "TEXT" | "BIGINT" | "INT" | "INTEGER"
//	            | "DOUBLE" | "FLOAT" | "REAL" | "BOOLEAN" | "BOOL" | "TIMESTAMP" | "JSON" .
//
// Operators bind, loosest first: OR; AND; NOT; the comparisons (=, <>, <,
// IS NULL, IN, BETWEEN, LIKE …), which do not chain (a < b < c is an
// error: write a < b AND b < c); ||; + and -; *, / and %; unary minus. All
// binary operators are left-associative. BETWEEN's bounds and LIKE's
// pattern bind like ||, so x BETWEEN a AND b AND c is (x BETWEEN a AND b)
// AND c.
//
// # Words, names and literals
//
//   - Keywords are case-insensitive (ASCII only). Few are reserved: AND AS
//     BETWEEN BY CASE CAST CROSS DISTINCT ELSE EMIT END FALSE FROM FULL
//     GROUP HAVING IN INNER INSERT INTERVAL INTO IS JOIN LEFT LIKE NOT NULL
//     ON OR OUTER RIGHT SELECT TABLE THEN TRUE WHEN WHERE WITHIN (see
//     IsReserved). The other words of the dialect (EVENT, TIME, KEY, WITH,
//     LATENESS, LATE, ESCAPE, MQTT, TO, OVER, PARTITION, the window, type
//     and unit names) are keywords only where they appear, so time, key or
//     event remain ordinary field names. LEFT( and RIGHT( are calls.
//   - Names (fields, aliases) are case-sensitive, as JSON member names are.
//     A bare name is a letter or _ followed by letters, digits and _
//     (Unicode letters included). Any other name, and a reserved word, is
//     quoted in double quotes ("weird name", "end") or backticks; a quote
//     is doubled inside ("say ""hi"""). After a dot any word is a name:
//     msg.end. Beware: "x" is a name, not a string — strings take single
//     quotes.
//   - Field paths address JSON: a.b.c, readings[0], readings[-1] (the last
//     element), tags[0].name. A path whose first name is a source's alias
//     (or stream name) is looked up in that source's record; otherwise in
//     the driving stream's. A missing field is NULL.
//   - Stream names are quoted names or dotted bare names (telemetry.raw),
//     and must satisfy the spool's rule: 1 to 128 of [a-zA-Z0-9_.-].
//   - Strings take single quotes; a quote inside is written twice (there
//     are no backslash escapes), and a string may span lines.
//     Numbers: 42 is a BIGINT (int64), 4.2, 1e3 and 2.5E-3 are DOUBLEs
//     (float64); a leading minus folds into the number.
//   - Intervals: INTERVAL '5' SECOND (MILLISECOND, SECOND, MINUTE, HOUR,
//     DAY, singular or plural; the number may be unquoted or have a
//     fraction: INTERVAL '1.5' MINUTE) or the shorthand 250ms, 30s, 5m,
//     1h, 1d, 1h30m, 1.5s (lower-case units; 1M is an error, not a month).
//     A day is 24 hours. Intervals are whole milliseconds, at least 0.
//   - Comments: -- to the end of the line, and /* … */, which do not nest.
//
// # Time, windows and joins
//
// A stream's records are timed by their arrival (when the gateway stored
// them) unless the source declares EVENT TIME expr, usually a field. WITH
// LATENESS d lets records arrive up to d behind the latest event time seen
// and still count; later records are counted as late and, with LATE INTO
// stream, written to that stream. Windows are GROUP BY items, exactly one
// per grouped query, and a grouped query must have one:
//
//	TUMBLING(size)                  fixed, contiguous, non-overlapping
//	HOPPING(size, advance)          fixed size, a new window every advance (<= size)
//	SLIDING(size)                   the size before each record
//	SESSION(gap [, max_duration])   records closer than gap; optionally capped
//	COUNT_WINDOW(n [, slide])       n records; every slide records if given
//
// Their exact boundaries, and when each emits, are defined by
// analytics/window. A join of two streams matches records whose times are
// at most WITHIN apart. JOIN TABLE t joins each record with the latest
// record of stream t that has the same key; the key is KEY path or,
// without KEY, the table's side of an equality in ON.
//
// # Functions
//
// Function names are case-insensitive (Call.Name is upper-cased). Parse
// does not know the scalar functions (the planner checks names and arity)
// but knows the aggregates (Aggregates: COUNT, SUM, AVG, MIN, MAX, FIRST,
// LAST, STDDEV, APPROX_PERCENTILE) and LAG (Analytics):
//
//   - Aggregates appear only in the SELECT list and HAVING of a grouped
//     query, never inside one another. DISTINCT is only for aggregates,
//     and a star argument only for COUNT(*).
//   - LAG(x [, offset [, default]]) [OVER (PARTITION BY key, …)] is the
//     value x had offset records earlier in its partition. It is allowed
//     in SELECT, WHERE and HAVING; not in ON, GROUP BY, EVENT TIME or
//     PARTITION BY, and not inside another LAG. Its state is meant to
//     advance with every record the query reads, before WHERE filters, so
//     that LAG in SELECT and in WHERE see the same history (the evaluator
//     implements this; in a grouped query the planner decides what it can
//     run).
//
// # Outputs
//
// INSERT INTO stream writes results to a stream of the spool (durable, so
// an uplink can deliver them); it may not be a stream the query reads.
// EMIT TO MQTT 'alerts/{device}' publishes each result as JSON to a topic
// built from the template: each {path} is replaced by that field of the
// result record. A topic may not be empty, start with $, or contain + or
// #. Both may be given, and several EMIT clauses; with neither, the query
// is ad hoc and its results go to the caller.
//
// # What Parse checks
//
// Beyond the grammar, Parse refuses what it can see without a catalog:
// aggregates outside the SELECT list and HAVING of a grouped query, nested
// aggregates or LAGs, windows outside GROUP BY or more than one, GROUP BY
// without a window, HAVING without GROUP BY, bad window arguments (sizes
// <= 0, HOPPING advance > size, …), stream names the spool would refuse,
// two sources or two output columns with the same name, an INSERT INTO or
// LATE INTO stream the query reads, bad topic templates, and expressions
// nested more than 200 deep. Unknown streams and fields, unknown functions,
// wrong arity and impossible types are the planner's to refuse.
package sql
