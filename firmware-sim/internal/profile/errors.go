package profile

import "errors"

// ErrUnknownProfile is returned by New for a name that is not a profile.
var ErrUnknownProfile = errors.New("unknown profile")

// ErrNotSimMessage is returned by ParseHeader for data that is not the
// JSON of a sequenced firmware-sim message.
var ErrNotSimMessage = errors.New("not a firmware-sim message")
