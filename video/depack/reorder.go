package depack

import "time"

// Sequence tolerances of RFC 3550 appendix A.1: a packet further than
// maxDropout ahead of, or maxMisorder behind, the highest sequence number is
// a probe for a restart of the sequence, accepted once the next packet
// confirms it.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// extBase is the extended sequence number of a stream's first packet: high
// enough that the packets which overtook it still get positive numbers.
const extBase = int64(1) << 32

// inPacket is one packet as the reorder buffer hands it on, in sequence order.
type inPacket struct {
	ts      uint32
	marker  bool
	arrival time.Time
	payload []byte
}

// slot is one place of the reorder ring.
type slot struct {
	ext  int64
	used bool
	inPacket
}

// reorder puts packets back in sequence order. It is a ring of size slots
// indexed by extended sequence number modulo size; every buffered packet lies
// in (next, next+size), so the index is unique. Gaps are declared lost when
// the window must move past them or when they have been waited for longer
// than delay.
type reorder struct {
	size  int
	delay time.Duration
	st    *counters
	// out receives each packet in order; gap reports that sequence numbers
	// before it were lost. p and its payload are valid only during the call.
	out func(p *inPacket, gap bool)

	slots []slot
	seen  []int64 // ext of recently delivered packets, for duplicates
	count int

	started   bool
	probation bool // new stream: hold the first packets so earlier ones can overtake
	startAt   time.Time
	next      int64 // extended sequence number to deliver next
	maxExt    int64 // highest extended sequence number accepted
	gapSince  time.Time
	gap       bool // loss to report with the next delivery
	probing   bool
	probeSeq  uint16
}

func newReorder(size int, delay time.Duration, st *counters, out func(*inPacket, bool)) *reorder {
	r := &reorder{size: size, delay: delay, st: st, out: out,
		slots: make([]slot, size), seen: make([]int64, 2*size)}
	r.reset()
	return r
}

// reset forgets the stream; buffered packets are discarded, not delivered.
func (r *reorder) reset() {
	for i := range r.slots {
		r.slots[i].used = false
	}
	for i := range r.seen {
		r.seen[i] = -1
	}
	r.count, r.started, r.probation, r.gap, r.probing = 0, false, false, false, false
}

func (r *reorder) idx(ext int64) int { return int(ext % int64(r.size)) }

// push takes one packet with its 16-bit sequence number, then releases what
// time allows. p's payload is copied if the packet has to wait.
func (r *reorder) push(seq uint16, p *inPacket) {
	if !r.started {
		r.started, r.probation, r.startAt = true, true, p.arrival
		r.next, r.maxExt = extBase+int64(seq), extBase+int64(seq)
		r.store(r.next, p)
		r.expire(p.arrival)
		return
	}
	ext := r.maxExt + int64(int16(seq-uint16(r.maxExt)))
	if d := ext - r.maxExt; d > max(maxDropout, int64(r.size)) || -d > max(maxMisorder, 2*int64(r.size)) {
		if r.probing && seq == r.probeSeq {
			r.resync(seq, p)
		} else {
			r.probing, r.probeSeq = true, seq+1
			r.st.late.Add(1)
		}
		return
	}
	r.probing = false
	if r.probation {
		r.pushProbation(ext, p)
	} else {
		r.pushInOrder(ext, p)
	}
	r.expire(p.arrival)
}

// pushProbation buffers a packet of a stream that has not released its
// first packet yet; next is the lowest sequence number seen.
func (r *reorder) pushProbation(ext int64, p *inPacket) {
	switch {
	case ext < r.next && r.maxExt-ext >= int64(r.size):
		r.st.late.Add(1)
		return
	case ext > r.maxExt && ext-r.next >= int64(r.size):
		r.endProbation()
		r.pushInOrder(ext, p)
		return
	}
	if s := &r.slots[r.idx(ext)]; s.used && s.ext == ext {
		r.st.duplicates.Add(1)
		return
	}
	r.store(ext, p)
	r.next = min(r.next, ext)
	if ext > r.maxExt {
		r.maxExt = ext
	} else {
		r.st.reordered.Add(1)
	}
}

// pushInOrder handles a packet of a running stream.
func (r *reorder) pushInOrder(ext int64, p *inPacket) {
	if ext < r.next {
		if r.seen[int(ext%int64(len(r.seen)))] == ext {
			r.st.duplicates.Add(1)
		} else {
			r.st.late.Add(1)
		}
		return
	}
	if ext == r.next && r.count == 0 { // the common case: no copy
		r.maxExt = max(r.maxExt, ext)
		r.deliver(ext, p)
		return
	}
	if s := &r.slots[r.idx(ext)]; s.used && s.ext == ext {
		r.st.duplicates.Add(1)
		return
	}
	if ext-r.next >= int64(r.size) {
		r.skipTo(ext - int64(r.size) + 1)
	}
	if ext > r.maxExt {
		r.maxExt = ext
	} else {
		r.st.reordered.Add(1)
	}
	if ext == r.next {
		r.deliver(ext, p)
		r.drain()
		return
	}
	r.store(ext, p)
	if r.count == 1 {
		r.gapSince = p.arrival
	}
}

// resync restarts the sequence space at seq (RFC 3550 A.1: the second of
// two consecutive packets far from the old sequence). What was buffered is
// delivered first; the new sequence starts with a loss.
func (r *reorder) resync(seq uint16, p *inPacket) {
	r.flush()
	r.st.sequenceResets.Add(1)
	ext := (r.maxExt>>16+2)<<16 | int64(seq)
	r.next, r.maxExt, r.gap, r.probing = ext, ext, true, false
	r.deliver(ext, p)
}

// store copies p into its slot.
func (r *reorder) store(ext int64, p *inPacket) {
	s := &r.slots[r.idx(ext)]
	buf := append(s.payload[:0], p.payload...)
	s.ext, s.used, s.inPacket = ext, true, *p
	s.payload = buf
	r.count++
}

// deliver hands the packet numbered ext (== next) on.
func (r *reorder) deliver(ext int64, p *inPacket) {
	r.seen[int(ext%int64(len(r.seen)))] = ext
	r.next = ext + 1
	gap := r.gap
	r.gap = false
	r.out(p, gap)
}

// drain delivers the buffered packets that continue the sequence.
func (r *reorder) drain() {
	for r.count > 0 {
		s := &r.slots[r.idx(r.next)]
		if !s.used || s.ext != r.next {
			break
		}
		s.used = false
		r.count--
		r.deliver(s.ext, &s.inPacket)
	}
	if r.count > 0 {
		r.gapSince = r.minArrival()
	}
}

// skipTo declares lost every missing sequence number below target,
// delivering the buffered packets among them.
func (r *reorder) skipTo(target int64) {
	for r.next < target {
		if r.count == 0 {
			r.st.lost.Add(target - r.next)
			r.gap, r.next = true, target
			break
		}
		if s := &r.slots[r.idx(r.next)]; s.used && s.ext == r.next {
			s.used = false
			r.count--
			r.deliver(s.ext, &s.inPacket)
			continue
		}
		r.st.lost.Add(1)
		r.gap = true
		r.next++
	}
	r.drain()
}

// skipGap declares the gap at next lost and delivers what follows it.
func (r *reorder) skipGap() {
	low := r.next + int64(r.size)
	for i := range r.slots {
		if s := &r.slots[i]; s.used && s.ext < low {
			low = s.ext
		}
	}
	r.skipTo(low)
}

func (r *reorder) minArrival() time.Time {
	var t time.Time
	first := true
	for i := range r.slots {
		if s := &r.slots[i]; s.used && (first || s.arrival.Before(t)) {
			t, first = s.arrival, false
		}
	}
	return t
}

func (r *reorder) endProbation() {
	r.probation = false
	r.drain()
}

// expire releases what has waited long enough at time now.
func (r *reorder) expire(now time.Time) {
	if r.probation {
		if now.Sub(r.startAt) < r.delay {
			return
		}
		r.endProbation()
	}
	for r.count > 0 && now.Sub(r.gapSince) >= r.delay {
		r.skipGap()
	}
}

// flush delivers everything buffered, declaring the gaps lost.
func (r *reorder) flush() {
	if r.probation {
		r.endProbation()
	}
	for r.count > 0 {
		r.skipGap()
	}
}
