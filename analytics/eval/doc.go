// Package eval holds the values SQL apps compute with and the scalar
// functions they call.
//
// A value is a Go any: nil (SQL NULL), bool, int64, float64, string,
// []any (a JSON array) or map[string]any (a JSON object). Records are
// decoded from JSON into values (Decode: integral numbers that fit are
// int64, other numbers float64); a field a record lacks is NULL.
//
// SQL NULL semantics hold throughout: an operator or function with a NULL
// argument gives NULL (except IS NULL, COALESCE, NULLIF, IF and the
// logical operators, which use three-valued logic); a comparison of
// values of different kinds (a string with a number) gives NULL, as does
// division or modulo by zero and an int64 overflow is carried to float64.
// A function never fails on a value: a value it cannot use gives NULL. An
// error is reserved for what the planner refuses before an app starts
// (an unknown function, a wrong number of arguments).
package eval
