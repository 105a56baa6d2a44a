package kinesis

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Hand-written JSON for the two bulk responses, PutRecords and
// GetRecords: reflection and a MarshalJSON call per record cost more than
// reading the records. The output is what encoding/json would write for
// the same values (a test compares them).

// jsonAppender is a response that writes its own JSON.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

func (o putRecordsOut) appendJSON(b []byte) []byte {
	b = append(b, `{"FailedRecordCount":`...)
	b = strconv.AppendInt(b, int64(o.FailedRecordCount), 10)
	b = append(b, `,"Records":[`...)
	for i, r := range o.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		sep := false
		field := func(name, v string) {
			if v == "" {
				return
			}
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `":`...)
			b = appendJSONString(b, v)
		}
		field("SequenceNumber", r.SequenceNumber)
		field("ShardId", r.ShardId)
		field("ErrorCode", r.ErrorCode)
		field("ErrorMessage", r.ErrorMessage)
		b = append(b, '}')
	}
	b = append(b, `],"EncryptionType":`...)
	b = appendJSONString(b, o.EncryptionType)
	return append(b, '}')
}

func (o getRecordsOut) appendJSON(b []byte) []byte {
	b = append(b, `{"Records":[`...)
	for i, r := range o.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"SequenceNumber":`...)
		b = appendJSONString(b, r.SequenceNumber)
		b = append(b, `,"ApproximateArrivalTimestamp":`...)
		b, _ = appendTimestamp(b, r.ApproximateArrivalTimestamp)
		b = append(b, `,"Data":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Data)
		b = append(b, `","PartitionKey":`...)
		b = appendJSONString(b, r.PartitionKey)
		if r.EncryptionType != "" {
			b = append(b, `,"EncryptionType":`...)
			b = appendJSONString(b, r.EncryptionType)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if o.NextShardIterator != "" {
		b = append(b, `,"NextShardIterator":`...)
		b = appendJSONString(b, o.NextShardIterator)
	}
	b = append(b, `,"MillisBehindLatest":`...)
	b = strconv.AppendInt(b, o.MillisBehindLatest, 10)
	if len(o.ChildShards) > 0 {
		cs, _ := json.Marshal(o.ChildShards)
		b = append(b, `,"ChildShards":`...)
		b = append(b, cs...)
	}
	return append(b, '}')
}

func appendTimestamp(b []byte, t *timestamp) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	v, err := t.MarshalJSON()
	return append(b, v...), err
}

// appendJSONString appends s as a JSON string, as encoding/json would.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			v, _ := json.Marshal(s)
			return append(b, v...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
