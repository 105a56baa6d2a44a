package rtpin

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Listener's counters, ready to export as metrics.
// Every datagram read on an RTP port is counted once: in Packets, in
// RTCPPackets (RFC 5761 multiplexing), or in one of BadPackets, Oversize,
// WrongPayloadType, ForeignSource and Refused (except those read while
// closing).
type Stats struct {
	// Packets and Bytes count RTP packets handed to a Sink (bytes are whole
	// datagrams: header plus payload). They are counted when WriteRTP has
	// returned, so the Sink has every packet Packets counts.
	Packets uint64
	Bytes   uint64
	// BadPackets counts datagrams on an RTP port that are not RTP version 2
	// (RFC 3550 §5.1) or are cut short.
	BadPackets uint64
	// Oversize counts datagrams larger than Config.MaxPacketSize.
	Oversize uint64
	// WrongPayloadType counts RTP packets of a payload type other than the
	// track's.
	WrongPayloadType uint64
	// ForeignSource counts RTP packets from a second source address while
	// a session holds the track's port.
	ForeignSource uint64
	// Refused counts packets dropped because Publish refused the session.
	Refused uint64
	// SSRCChanges counts SSRC changes from a session's own source address
	// (a restarted encoder); such packets are passed on.
	SSRCChanges uint64
	// Sessions counts sessions started (successful Publish calls); Active
	// reports whether one is running now.
	Sessions uint64
	Active   bool
	// LastPacket is the arrival time (Config.Now) of the last packet handed
	// to a Sink; zero before the first.
	LastPacket time.Time
	// Source is the RTP source address ("ip:port") of the current or last
	// session's first track to receive a packet; "" before the first.
	Source string
	// RTCPPackets counts RTCP datagrams (on RTCP ports, or multiplexed on
	// RTP ports per RFC 5761 §4); BadRTCP those that did not parse;
	// ForeignRTCP those from an IP address other than the session's
	// source (or outside a session, other than a sender report kept for
	// the next one).
	RTCPPackets uint64
	BadRTCP     uint64
	ForeignRTCP uint64
	// SenderReports counts RTCP sender reports handed to a Sink (after
	// WriteSenderReport returned); Byes the
	// RTCP BYE packets for a session's SSRC (RFC 3550 §6.6).
	SenderReports uint64
	Byes          uint64
	// KeyframeRequests counts RequestKeyframe calls; PLIsSent the PLIs
	// sent; KeyframeThrottled the requests within Config.KeyframeInterval
	// of a PLI; KeyframeUnsent those made while no RTCP had come from the
	// source (nowhere to send a PLI to).
	KeyframeRequests  uint64
	PLIsSent          uint64
	KeyframeThrottled uint64
	KeyframeUnsent    uint64
	// ReadErrors counts socket read errors other than timeouts and close.
	ReadErrors uint64
}

type counters struct {
	packets, bytes, bad, oversize, wrongPT, foreign, refused atomic.Uint64
	ssrcChanges, sessions                                    atomic.Uint64
	rtcp, badRTCP, foreignRTCP, srs, byes                    atomic.Uint64
	kfRequests, plis, kfThrottled, kfUnsent                  atomic.Uint64
	readErrors                                               atomic.Uint64
}

// Stats returns a snapshot of the counters. It is safe to call at any
// time, and does not wait for a Sink.
func (l *Listener) Stats() Stats {
	c := &l.ctr
	s := Stats{
		Packets: c.packets.Load(), Bytes: c.bytes.Load(), BadPackets: c.bad.Load(),
		Oversize: c.oversize.Load(), WrongPayloadType: c.wrongPT.Load(), ForeignSource: c.foreign.Load(),
		Refused: c.refused.Load(), SSRCChanges: c.ssrcChanges.Load(), Sessions: c.sessions.Load(),
		Active:      l.active.Load(),
		RTCPPackets: c.rtcp.Load(), BadRTCP: c.badRTCP.Load(), ForeignRTCP: c.foreignRTCP.Load(),
		SenderReports: c.srs.Load(), Byes: c.byes.Load(),
		KeyframeRequests: c.kfRequests.Load(), PLIsSent: c.plis.Load(),
		KeyframeThrottled: c.kfThrottled.Load(), KeyframeUnsent: c.kfUnsent.Load(),
		ReadErrors: c.readErrors.Load(),
	}
	if ns := l.lastPacket.Load(); ns != 0 {
		s.LastPacket = time.Unix(0, ns)
	}
	if src := l.source.Load(); src != nil {
		s.Source = *src
	}
	return s
}
