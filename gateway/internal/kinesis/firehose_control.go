package kinesis

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The Firehose control plane: CreateDeliveryStream, DeleteDeliveryStream
// and UpdateDestination, with Firehose's own structures, so the JSON a
// user wrote for AWS configures a delivery on the edge. This file checks
// the request's shape and what the edge cannot honour; the gateway
// (FirehoseControl) turns the destination into a delivery, keeps it
// across restarts and runs it.

// FirehoseControl is the gateway's side of the Firehose API.
type FirehoseControl interface {
	// DeliveryStreams lists every delivery: from the config file and
	// made through this API.
	DeliveryStreams() []DeliveryStream
	CreateDeliveryStream(spec DeliverySpec) error
	DeleteDeliveryStream(name string) error
	// UpdateDestination replaces the destination's settings named in
	// update (Firehose's merge: members left out keep their values) if
	// the delivery is still at version.
	UpdateDestination(name, version string, update DeliverySpec) error
}

// DeliverySpec is a delivery as CreateDeliveryStream or UpdateDestination
// describe it, after the shape checks.
type DeliverySpec struct {
	Name         string
	Type         string // DirectPut | KinesisStreamAsSource
	SourceStream string // KinesisStreamAsSource: the local stream
	// Kind is the destination: "ExtendedS3", "S3" or "HttpEndpoint";
	// Destination its configuration (or update), as decoded.
	Kind        string
	Destination map[string]any
	Tags        map[string]string
}

// The errors FirehoseControl returns, wrapped with a message for the
// caller.
var (
	ErrDeliveryInUse    = errors.New(errResourceInUse)
	ErrDeliveryNotFound = errors.New(errResourceNotFound)
	ErrDeliveryInvalid  = errors.New(errInvalidArgument)
	ErrDeliveryVersion  = errors.New("ConcurrentModificationException")
	ErrDeliveryLimit    = errors.New(errLimitExceeded)
)

func controlError(err error) *apiError {
	msg := err.Error()
	for _, e := range []error{ErrDeliveryInUse, ErrDeliveryNotFound, ErrDeliveryInvalid, ErrDeliveryVersion, ErrDeliveryLimit} {
		if errors.Is(err, e) {
			return &apiError{Type: e.Error(), Message: strings.TrimPrefix(msg, e.Error()+": ")}
		}
	}
	return internalError("%v", err)
}

// ---- shapes ----

func strF(name string, checks ...check) field {
	return field{name: name, kind: kString, checks: checks}
}
func boolF(name string) field { return field{name: name, kind: kBoolean} }
func structF(name string, fields ...field) field {
	return field{name: name, kind: kStruct, fields: fields}
}

// opaque is a member we accept and do not look into (RoleARN's
// CloudWatch logging, encryption): present or not is all we know.
func opaque(name string) field { return structF(name) }

func bufferingHintsF(maxMB int64) field {
	return structF("BufferingHints", intField("SizeInMBs", false, 1, maxMB), intField("IntervalInSeconds", false, 0, 900))
}

func processingF() field {
	return structF("ProcessingConfiguration", boolF("Enabled"),
		field{name: "Processors", kind: kList, elem: &field{kind: kStruct, fields: []field{strF("Type")}}})
}

const roleARNPattern = `arn:.*`

func s3DestinationFields(update bool) []field {
	bucket := strF("BucketARN", regex(`arn:.*:s3:::[\w\.\-]{1,255}`), minLen(1), maxLen(2048))
	if !update {
		bucket.checks = append([]check{notNull()}, bucket.checks...)
	}
	return []field{
		strF("RoleARN", regex(roleARNPattern), minLen(1), maxLen(512)),
		bucket,
		strF("Prefix", maxLen(1024)),
		strF("ErrorOutputPrefix", maxLen(1024)),
		bufferingHintsF(128),
		strF("CompressionFormat", enum("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")),
		opaque("EncryptionConfiguration"),
		opaque("CloudWatchLoggingOptions"),
		processingF(),
		strF("S3BackupMode", enum("Disabled", "Enabled")),
		opaque("S3BackupConfiguration"),
		opaque("S3BackupUpdate"),
		structF("DataFormatConversionConfiguration", boolF("Enabled"),
			structF("OutputFormatConfiguration", structF("Serializer",
				structF("ParquetSerDe", strF("Compression", enum("UNCOMPRESSED", "GZIP", "SNAPPY"))), opaque("OrcSerDe")))),
		structF("DynamicPartitioningConfiguration", boolF("Enabled")),
		strF("FileExtension", maxLen(128)),
		strF("CustomTimeZone", maxLen(50)),
	}
}

func httpDestinationFields(update bool) []field {
	url := strF("Url", regex(`https?://.*`), minLen(1), maxLen(1000))
	endpoint := structF("EndpointConfiguration", url, strF("Name", minLen(1), maxLen(256)), strF("AccessKey", maxLen(4096)))
	if !update {
		url.checks = append([]check{notNull()}, url.checks...)
		endpoint = structF("EndpointConfiguration", url, strF("Name", minLen(1), maxLen(256)), strF("AccessKey", maxLen(4096)))
		endpoint.checks = []check{notNull()}
	}
	return []field{
		endpoint,
		bufferingHintsF(64),
		opaque("CloudWatchLoggingOptions"),
		structF("RequestConfiguration", strF("ContentEncoding", enum("NONE", "GZIP")),
			field{name: "CommonAttributes", kind: kList, checks: []check{maxLen(50)}, elem: &field{kind: kStruct, fields: []field{
				strF("AttributeName", notNull(), minLen(1), maxLen(256)), strF("AttributeValue", notNull(), maxLen(1024))}}}),
		processingF(),
		strF("RoleARN", regex(roleARNPattern), minLen(1), maxLen(512)),
		structF("RetryOptions", intField("DurationInSeconds", false, 0, 7200)),
		strF("S3BackupMode", enum("FailedDataOnly", "AllData")),
		opaque("S3Configuration"),
		opaque("S3Update"),
		opaque("SecretsManagerConfiguration"),
	}
}

// unsupportedDestinations cannot run on the edge.
var unsupportedDestinations = []string{
	"RedshiftDestination", "ElasticsearchDestination", "AmazonopensearchserviceDestination",
	"AmazonOpenSearchServerlessDestination", "SplunkDestination", "SnowflakeDestination", "IcebergDestination",
}

func destinationFields(suffix string, update bool) []field {
	out := []field{
		structF("ExtendedS3Destination"+suffix, s3DestinationFields(update)...),
		structF("S3Destination"+suffix, s3DestinationFields(update)...),
		structF("HttpEndpointDestination"+suffix, httpDestinationFields(update)...),
	}
	for _, u := range unsupportedDestinations {
		out = append(out, opaque(u+suffix))
	}
	return out
}

func init() {
	firehoseSchemas["CreateDeliveryStream"] = append([]field{
		deliveryNameField(),
		strF("DeliveryStreamType", enum("DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource")),
		structF("KinesisStreamSourceConfiguration",
			strF("KinesisStreamARN", notNull(), regex(`arn:.*:kinesis:.*`), minLen(1), maxLen(512)),
			strF("RoleARN", regex(roleARNPattern), minLen(1), maxLen(512))),
		opaque("MSKSourceConfiguration"),
		opaque("DatabaseSourceConfiguration"),
		opaque("DeliveryStreamEncryptionConfigurationInput"),
		{name: "Tags", kind: kList, checks: []check{minLen(1), maxLen(50)}, elem: &field{kind: kStruct, fields: []field{
			strF("Key", notNull(), minLen(1), maxLen(128)), strF("Value", maxLen(256))}}},
	}, destinationFields("Configuration", false)...)
	firehoseSchemas["DeleteDeliveryStream"] = []field{deliveryNameField(), boolF("AllowForceDelete")}
	firehoseSchemas["UpdateDestination"] = append([]field{
		deliveryNameField(),
		strF("CurrentDeliveryStreamVersionId", notNull(), regex(`[0-9]+`), minLen(1), maxLen(50)),
		strF("DestinationId", notNull(), minLen(1), maxLen(100)),
	}, destinationFields("Update", true)...)
	firehoseOps["CreateDeliveryStream"] = (*Handler).firehoseCreate
	firehoseOps["DeleteDeliveryStream"] = (*Handler).firehoseDelete
	firehoseOps["UpdateDestination"] = (*Handler).firehoseUpdate
}

// destination picks the one destination a request names, refusing the
// ones the edge cannot run and settings it cannot honour.
func destination(in map[string]any, suffix string, required bool) (kind string, dest map[string]any, e *apiError) {
	for _, u := range unsupportedDestinations {
		if _, ok := in[u+suffix]; ok {
			return "", nil, newError(errInvalidArgument, "%s%s is not supported by Tributary: a gateway delivers to S3 (ExtendedS3DestinationConfiguration) or an HTTP endpoint (HttpEndpointDestinationConfiguration); configure kinesis, mqtt, kafka and nats destinations in the gateway's config file", u, suffix)
		}
	}
	var kinds []string
	for _, k := range []string{"ExtendedS3", "S3", "HttpEndpoint"} {
		if d, ok := in[k+"Destination"+suffix].(map[string]any); ok {
			kind, dest = k, d
			kinds = append(kinds, k+"Destination"+suffix)
		}
	}
	switch {
	case len(kinds) > 1:
		return "", nil, newError(errInvalidArgument, "only one destination may be given (got %s)", strings.Join(kinds, " and "))
	case len(kinds) == 0 && required:
		return "", nil, newError(errInvalidArgument, "a destination is required: ExtendedS3Destination%s or HttpEndpointDestination%s", suffix, suffix)
	case len(kinds) == 0:
		return "", nil, nil
	}
	if p, ok := dest["ProcessingConfiguration"].(map[string]any); ok && p["Enabled"] == true {
		if procs, _ := p["Processors"].([]any); len(procs) > 0 {
			return "", nil, newError(errInvalidArgument, "ProcessingConfiguration: data processors (Lambda) cannot run on the edge; transform records with the gateway's SQL analytics instead, or disable processing")
		}
	}
	if p, ok := dest["DynamicPartitioningConfiguration"].(map[string]any); ok && p["Enabled"] == true {
		return "", nil, newError(errInvalidArgument, "DynamicPartitioningConfiguration is not supported by Tributary; use !{timestamp:…} prefixes")
	}
	if c, ok := dest["DataFormatConversionConfiguration"].(map[string]any); ok && c["Enabled"] != false {
		out, _ := c["OutputFormatConfiguration"].(map[string]any)
		ser, _ := out["Serializer"].(map[string]any)
		if _, orc := ser["OrcSerDe"]; orc {
			return "", nil, newError(errInvalidArgument, "DataFormatConversionConfiguration: ORC output is not supported by Tributary; use ParquetSerDe")
		}
	}
	switch dest["CompressionFormat"] {
	case "ZIP", "HADOOP_SNAPPY":
		return "", nil, newError(errInvalidArgument, "CompressionFormat %s is not supported by Tributary; use UNCOMPRESSED, GZIP or Snappy", dest["CompressionFormat"])
	}
	return kind, dest, nil
}

var streamARNName = regexp.MustCompile(`^arn:[^:]+:kinesis:[^:]*:[^:]*:stream/([a-zA-Z0-9_.-]{1,128})$`)

func (h *Handler) firehoseCreate(q *request) (any, *apiError) {
	if h.cfg.Firehose == nil {
		return nil, newError(errInvalidArgument, "the Firehose API is not enabled on this gateway")
	}
	spec := DeliverySpec{Name: q.in["DeliveryStreamName"].(string), Type: "DirectPut"}
	if t, ok := q.in["DeliveryStreamType"].(string); ok {
		spec.Type = t
	}
	switch spec.Type {
	case "MSKAsSource", "DatabaseAsSource":
		return nil, newError(errInvalidArgument, "DeliveryStreamType %s is not supported by Tributary; use DirectPut or KinesisStreamAsSource", spec.Type)
	case "KinesisStreamAsSource":
		src, ok := q.in["KinesisStreamSourceConfiguration"].(map[string]any)
		if !ok {
			return nil, newError(errInvalidArgument, "KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource")
		}
		m := streamARNName.FindStringSubmatch(src["KinesisStreamARN"].(string))
		if m == nil {
			return nil, newError(errInvalidArgument, "KinesisStreamARN %q is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>)", src["KinesisStreamARN"])
		}
		if _, err := h.sp.DescribeStream(m[1]); err != nil {
			return nil, newError(errInvalidArgument, "KinesisStreamARN: stream %s does not exist on this gateway", m[1])
		}
		spec.SourceStream = m[1]
	default:
		if _, ok := q.in["KinesisStreamSourceConfiguration"]; ok {
			return nil, newError(errInvalidArgument, "KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource")
		}
	}
	kind, dest, e := destination(q.in, "Configuration", true)
	if e != nil {
		return nil, e
	}
	spec.Kind, spec.Destination = kind, dest
	if tags, ok := q.in["Tags"].([]any); ok {
		spec.Tags = map[string]string{}
		for _, t := range tags {
			m := t.(map[string]any)
			v, _ := m["Value"].(string)
			spec.Tags[m["Key"].(string)] = v
		}
	}
	if err := h.cfg.Firehose.CreateDeliveryStream(spec); err != nil {
		return nil, controlError(err)
	}
	return map[string]any{"DeliveryStreamARN": h.deliveryARN(spec.Name)}, nil
}

func (h *Handler) deliveryARN(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", h.cfg.Region, h.cfg.AccountID, name)
}

func (h *Handler) firehoseDelete(q *request) (any, *apiError) {
	if h.cfg.Firehose == nil {
		return nil, newError(errResourceNotFound, "Firehose %s under account %s not found.", q.in["DeliveryStreamName"], h.cfg.AccountID)
	}
	if err := h.cfg.Firehose.DeleteDeliveryStream(q.in["DeliveryStreamName"].(string)); err != nil {
		return nil, controlError(err)
	}
	return map[string]any{}, nil
}

func (h *Handler) firehoseUpdate(q *request) (any, *apiError) {
	name := q.in["DeliveryStreamName"].(string)
	if _, e := h.deliveryStream(name); e != nil {
		return nil, e
	}
	if id := q.in["DestinationId"].(string); id != destinationID {
		return nil, newError(errInvalidArgument, "DestinationId %s does not exist; a Tributary delivery has one destination, %s", id, destinationID)
	}
	kind, dest, e := destination(q.in, "Update", true)
	if e != nil {
		return nil, e
	}
	if err := h.cfg.Firehose.UpdateDestination(name, q.in["CurrentDeliveryStreamVersionId"].(string), DeliverySpec{Name: name, Kind: kind, Destination: dest}); err != nil {
		return nil, controlError(err)
	}
	return map[string]any{}, nil
}

// destinationID is the one destination's id, as Firehose numbers them.
const destinationID = "destinationId-000000000001"
