package clips

import "context"

// Destination is where clips go. Upload sends one object and returns nil
// once the destination has it; an error wrapping ErrPermanent when it
// refuses it for good (the clip is skipped); any other error is retried
// with backoff until the context ends. Upload may be called again for an
// object it already stored (after a crash, or a lost answer): it must
// replace, never duplicate — the object's Key and IdempotencyKey are the
// same on every attempt.
type Destination interface {
	Upload(ctx context.Context, obj *Object) error
}
