// Package whiptest holds test support for WHIP/WHEP: pion clients that
// publish (WHIP, RFC 9725) and view (WHEP) over loopback only, an embedded
// H.264 test clip split into access units, a naive RTP-to-frame assembler,
// and Relay, a Publisher+Source that wires WHIP straight to WHEP through
// live.Hub.
//
// It is for tests and simulators, not production: the clients restrict ICE
// to 127.0.0.1 over UDPv4 with no STUN and no mDNS, and the assembler (pion's
// samplebuilder) keeps a 64 Ki-entry packet index per track.
package whiptest
