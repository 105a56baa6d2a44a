package kinesis

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// The Firehose Direct PUT API (kinesis.md §4): PutRecord and
// PutRecordBatch write into a delivery's source stream, durably, before
// the answer; ListDeliveryStreams and DescribeDeliveryStream show the
// gateway's deliveries. Target prefix Firehose_20150804, the same front
// end (check order, errors, SigV4 with service "firehose") as Kinesis.

const firehoseService = "Firehose_20150804"

// DeliveryStream is a delivery as the Firehose API shows it.
type DeliveryStream struct {
	Name    string
	Type    string // DirectPut (default) | KinesisStreamAsSource
	Stream  string // the stream Direct PUT writes to, or the source stream
	Created time.Time
	Updated time.Time // zero: never updated
	Version int       // VersionId; 0 counts as 1
	// Destination is the destination's description, Firehose-shaped
	// ({"ExtendedS3DestinationDescription": …}); nil for destinations
	// Firehose has no shape for (kinesis, mqtt, kafka, nats).
	Destination map[string]any
}

const (
	firehoseMaxRecordBytes = 1_024_000 // per record, before base64
	firehoseMaxBatchBytes  = 4 << 20
)

func deliveryNameField() field {
	return field{name: "DeliveryStreamName", kind: kString, checks: []check{notNull(), regex(namePattern), minLen(1), maxLen(64)}}
}

func firehoseRecordField() *field {
	return &field{kind: kStruct, fields: []field{{name: "Data", kind: kBlob, checks: []check{notNull(), maxLen(firehoseMaxRecordBytes)}}}}
}

var firehoseSchemas = map[string][]field{
	"PutRecord": {deliveryNameField(), func() field {
		f := *firehoseRecordField()
		f.name, f.checks = "Record", []check{notNull()}
		return f
	}()},
	"PutRecordBatch": {deliveryNameField(), {name: "Records", kind: kList, elem: firehoseRecordField(),
		checks: []check{notNull(), minLen(1), maxLen(500)}, memberStr: "com.amazonaws.firehose.model.Record"}},
	"ListDeliveryStreams": {intField("Limit", false, 1, 10000),
		{name: "DeliveryStreamType", kind: kString, checks: []check{enum("DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource")}},
		{name: "ExclusiveStartDeliveryStreamName", kind: kString, checks: []check{regex(namePattern), minLen(1), maxLen(64)}}},
	"DescribeDeliveryStream": {deliveryNameField(), intField("Limit", false, 1, 10000),
		{name: "ExclusiveStartDestinationId", kind: kString, checks: []check{minLen(1), maxLen(100)}}},
}

var firehoseOps = map[string]opFunc{
	"PutRecord":              (*Handler).firehosePutRecord,
	"PutRecordBatch":         (*Handler).firehosePutRecordBatch,
	"ListDeliveryStreams":    (*Handler).firehoseList,
	"DescribeDeliveryStream": (*Handler).firehoseDescribe,
}

func (h *Handler) deliveryStream(name string) (DeliveryStream, *apiError) {
	if h.cfg.Firehose != nil {
		for _, d := range h.cfg.Firehose.DeliveryStreams() {
			if d.Name == name {
				return d, nil
			}
		}
	}
	return DeliveryStream{}, newError(errResourceNotFound, "Firehose %s under account %s not found.", name, h.cfg.AccountID)
}

// recordID is a Firehose RecordId: random, as Firehose's are (records
// carry no partition key, so it also spreads them over the shards).
func recordID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (h *Handler) firehosePut(q *request, data [][]byte) ([]spool.PutResult, []string, *apiError) {
	name := q.in["DeliveryStreamName"].(string)
	ds, e := h.deliveryStream(name)
	if e != nil {
		return nil, nil, e
	}
	if ds.Type == "KinesisStreamAsSource" {
		return nil, nil, newError(errInvalidArgument, "This operation is not permitted on KinesisStreamAsSource delivery stream type.")
	}
	recs := make([]spool.Record, len(data))
	ids := make([]string, len(data))
	for i, d := range data {
		ids[i] = recordID()
		recs[i] = spool.Record{PartitionKey: ids[i], Data: d}
	}
	res, err := h.sp.Append(q.ctx, ds.Stream, recs)
	if err != nil {
		return nil, nil, h.spoolError(err, ds.Stream)
	}
	return res, ids, nil
}

func (h *Handler) firehosePutRecord(q *request) (any, *apiError) {
	data := q.in["Record"].(map[string]any)["Data"].([]byte)
	res, ids, e := h.firehosePut(q, [][]byte{data})
	if e != nil {
		return nil, e
	}
	if res[0].Err != nil {
		ae := h.spoolError(res[0].Err, "")
		return nil, &apiError{Type: "ServiceUnavailableException", Message: ae.Message, Status: 503}
	}
	return map[string]any{"RecordId": ids[0], "Encrypted": false}, nil
}

func (h *Handler) firehosePutRecordBatch(q *request) (any, *apiError) {
	in := q.in["Records"].([]any)
	data := make([][]byte, len(in))
	total := 0
	for i, r := range in {
		data[i] = r.(map[string]any)["Data"].([]byte)
		total += len(data[i])
	}
	if total > firehoseMaxBatchBytes {
		return nil, newError(errInvalidArgument, "Records size exceeds 4 MiB limit")
	}
	res, ids, e := h.firehosePut(q, data)
	if e != nil {
		return nil, e
	}
	failed := 0
	out := make([]map[string]any, len(res))
	for i, r := range res {
		if r.Err != nil {
			failed++
			out[i] = map[string]any{"ErrorCode": "ServiceUnavailableException", "ErrorMessage": h.spoolError(r.Err, "").Message}
			continue
		}
		out[i] = map[string]any{"RecordId": ids[i]}
	}
	return map[string]any{"FailedPutCount": failed, "Encrypted": false, "RequestResponses": out}, nil
}

func (h *Handler) firehoseList(q *request) (any, *apiError) {
	var names []string
	typ, _ := q.in["DeliveryStreamType"].(string)
	if h.cfg.Firehose != nil {
		for _, d := range h.cfg.Firehose.DeliveryStreams() {
			if typ == "" || typ == d.typ() {
				names = append(names, d.Name)
			}
		}
	}
	slices.Sort(names)
	if after, ok := q.in["ExclusiveStartDeliveryStreamName"].(string); ok {
		names = names[sort.SearchStrings(names, after+"\x00"):]
	}
	limit := 10
	if n, ok := q.in["Limit"].(int64); ok {
		limit = int(n)
	}
	more := len(names) > limit
	if more {
		names = names[:limit]
	}
	return map[string]any{"DeliveryStreamNames": append([]string{}, names...), "HasMoreDeliveryStreams": more}, nil
}

func (h *Handler) firehoseDescribe(q *request) (any, *apiError) {
	ds, e := h.deliveryStream(q.in["DeliveryStreamName"].(string))
	if e != nil {
		return nil, e
	}
	dest := map[string]any{"DestinationId": destinationID}
	for k, v := range ds.Destination {
		dest[k] = v
	}
	desc := map[string]any{
		"DeliveryStreamName":   ds.Name,
		"DeliveryStreamARN":    h.deliveryARN(ds.Name),
		"DeliveryStreamStatus": "ACTIVE",
		"DeliveryStreamType":   ds.typ(),
		"VersionId":            fmt.Sprint(max(ds.Version, 1)),
		"CreateTimestamp":      ts(ds.Created),
		"Destinations":         []map[string]any{dest},
		"HasMoreDestinations":  false,
	}
	if !ds.Updated.IsZero() {
		desc["LastUpdateTimestamp"] = ts(ds.Updated)
	}
	if ds.typ() == "KinesisStreamAsSource" {
		desc["Source"] = map[string]any{"KinesisStreamSourceDescription": map[string]any{
			"KinesisStreamARN":       h.streamARN(ds.Stream),
			"DeliveryStartTimestamp": ts(ds.Created),
		}}
	}
	return map[string]any{"DeliveryStreamDescription": desc}, nil
}

func (d DeliveryStream) typ() string {
	if d.Type == "" {
		return "DirectPut"
	}
	return d.Type
}
