package kinesis

import (
	"fmt"
	"net/http"
)

// The error types the API answers with (kinesis.md §1.3). Clients decide on
// the type, so these strings are the contract.
const (
	errAccessDenied        = "AccessDeniedException"
	errExpiredIterator     = "ExpiredIteratorException"
	errExpiredNextToken    = "ExpiredNextTokenException"
	errIncompleteSignature = "IncompleteSignatureException"
	errInternalFailure     = "InternalFailure"
	errInvalidArgument     = "InvalidArgumentException"
	errInvalidSignature    = "InvalidSignatureException"
	errLimitExceeded       = "LimitExceededException"
	errMissingAuthToken    = "MissingAuthenticationTokenException"
	errThroughput          = "ProvisionedThroughputExceededException"
	errResourceInUse       = "ResourceInUseException"
	errResourceNotFound    = "ResourceNotFoundException"
	errSerialization       = "SerializationException"
	errServiceUnavailable  = "ServiceUnavailable"
	errUnknownOperation    = "UnknownOperationException"
	errUnrecognizedClient  = "UnrecognizedClientException"
	errValidation          = "ValidationException"
)

// apiError is an error answered to the client as {"__type", "message"}.
type apiError struct {
	Type    string
	Message string
	Status  int // HTTP status; 400 unless set
	// capitalMessage sends the text under "Message", as AWS does for
	// SerializationException.
	capitalMessage bool
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func (e *apiError) status() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// newError returns a 400 error of the given type.
func newError(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func serializationError(format string, args ...any) *apiError {
	return &apiError{Type: errSerialization, Message: fmt.Sprintf(format, args...), capitalMessage: true}
}

func internalError(format string, args ...any) *apiError {
	return &apiError{Type: errInternalFailure, Message: fmt.Sprintf(format, args...), Status: http.StatusInternalServerError}
}
