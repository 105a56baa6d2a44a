package kinesis

// A request body is decoded into a generic tree before its operation's
// checks run, and before the signature is (the check order is AWS's). A
// tree costs tens of bytes per value, so a 16 MiB body of "[0,0,0,…]"
// would cost hundreds of MiB. No Kinesis request needs more than a few
// thousand values (PutRecords: 500 records × 3 members), so bodies with
// more values, or deeper nesting, are refused before they are decoded.
const (
	maxBodyValues = 20000
	maxBodyDepth  = 32
)

var errTooManyValues = serializationError("The request has more than %d values or is nested deeper than %d levels; no Kinesis request is that large.", maxBodyValues, maxBodyDepth)

// jsonWithinLimits counts a JSON text's values (approximately: every
// value but a lone scalar is preceded by '[', ',' or ':') and its depth,
// without decoding it.
func jsonWithinLimits(b []byte) bool {
	values, depth := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', '{':
			if depth++; depth > maxBodyDepth {
				return false
			}
			values++
		case ']', '}':
			depth--
		case ',', ':':
			values++
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
		if values > maxBodyValues {
			return false
		}
	}
	return true
}

// cborWithinLimits walks a CBOR item's heads (RFC 8949 §3) counting data
// items and nesting, without decoding them. Malformed input is left to
// the decoder (true).
func cborWithinLimits(b []byte) bool {
	items := 0
	var walk func(depth int) bool // false: over a limit
	pos := 0
	var bad bool
	head := func() (major byte, arg uint64, indefinite bool) {
		if pos >= len(b) {
			bad = true
			return
		}
		ib := b[pos]
		pos++
		major, info := ib>>5, ib&0x1f
		switch {
		case info < 24:
			arg = uint64(info)
		case info <= 27:
			n := 1 << (info - 24)
			if pos+n > len(b) {
				bad = true
				return
			}
			for _, c := range b[pos : pos+n] {
				arg = arg<<8 | uint64(c)
			}
			pos += n
		case info == 31:
			indefinite = true
		default:
			bad = true
		}
		return
	}
	walk = func(depth int) bool {
		if items++; items > maxBodyValues || depth > maxBodyDepth {
			return false
		}
		major, arg, indef := head()
		if bad {
			return true
		}
		switch major {
		case 2, 3: // byte and text strings
			if indef {
				for pos < len(b) && b[pos] != 0xff {
					_, n, _ := head()
					if bad || n > uint64(len(b)-pos) {
						bad = true
						return true
					}
					pos += int(n)
				}
				pos++
				return true
			}
			if arg > uint64(len(b)-pos) {
				bad = true
				return true
			}
			pos += int(arg)
		case 4, 5: // arrays and maps
			per := uint64(1)
			if major == 5 {
				per = 2
			}
			if indef {
				for pos < len(b) && b[pos] != 0xff {
					if !walk(depth + 1) {
						return false
					}
					if bad {
						return true
					}
				}
				pos++
				return true
			}
			if arg > uint64(maxBodyValues) {
				return false
			}
			for range arg * per {
				if !walk(depth + 1) {
					return false
				}
				if bad {
					return true
				}
			}
		case 6: // tag: one item follows
			return walk(depth + 1)
		}
		return true
	}
	return walk(0)
}
