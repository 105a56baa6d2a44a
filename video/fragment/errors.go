package fragment

import "errors"

// ErrInvalidOptions is returned by Options.Validate.
var ErrInvalidOptions = errors.New("fragment: invalid options")
