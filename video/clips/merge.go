package clips

import "time"

// pending is the clip a worker is gathering: a window of camera time and
// the triggers merged into it. The merge rule (see the package doc) is
// here, apart from I/O, so a table test covers it.
type pending struct {
	start, end time.Time
	first      trigger // opened the clip; its record goes in the metadata
	lastSeq    string  // the last trigger merged: the checkpoint once done
	triggers   int
	// endSetAt is the clock time end was last moved: MaxWait counts from it.
	endSetAt time.Time
}

// covered reports whether tr asks only for video that an uploaded clip
// already holds (its window ends by videoEnd, that clip's end).
func covered(tr trigger, post time.Duration, videoEnd time.Time) bool {
	return !videoEnd.IsZero() && !tr.t.Add(post).After(videoEnd)
}

// open starts a clip for tr: [t−pre, t+post], its start raised to videoEnd
// (the end of the last uploaded clip's video) so clips never repeat video.
func open(tr trigger, pre, post time.Duration, videoEnd, now time.Time) *pending {
	start := tr.t.Add(-pre)
	if start.Before(videoEnd) {
		start = videoEnd
	}
	return &pending{start: start, end: tr.t.Add(post), first: tr, lastSeq: tr.seq, triggers: 1, endSetAt: now}
}

// merge adds tr to the clip if its window starts by the clip's end (it
// overlaps or touches) and the clip, extended to tr's end, stays within
// maxDur; it reports whether it did. A trigger that is not merged closes
// the clip and opens the next.
func (p *pending) merge(tr trigger, pre, post, maxDur time.Duration, now time.Time) bool {
	if tr.t.Add(-pre).After(p.end) {
		return false
	}
	end := tr.t.Add(post)
	if end.After(p.end) {
		if end.Sub(p.start) > maxDur {
			return false
		}
		p.end, p.endSetAt = end, now
	}
	p.lastSeq = tr.seq
	p.triggers++
	return true
}

// deadline is when a worker stops waiting for the clip's video: quiet past
// its end, or maxWait after the end was last set, whichever comes first.
func (p *pending) deadline(quiet, maxWait time.Duration) time.Time {
	d := p.end.Add(quiet)
	if m := p.endSetAt.Add(maxWait); m.Before(d) {
		return m
	}
	return d
}
