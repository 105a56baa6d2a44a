// Package webrtc serves WHIP ingest (RFC 9725) and WHEP live viewing
// (draft-ietf-wish-whep) over pion/webrtc.
//
// One Server holds one pion API for the process: ICE runs over a single UDP
// port through pion's UDP mux (no STUN/TURN, no mDNS, host candidates only,
// optionally rewritten to 1:1 NAT addresses), the MediaEngine knows H.264
// (packetization-mode 1 and 0, baseline/main/high profiles), VP8 and Opus,
// and the interceptors are NACK generator/responder, RTCP sender/receiver
// reports and TWCC feedback. Signalling is non-trickle: the server waits for
// ICE gathering to finish and answers with every candidate in the SDP.
//
// Routes, relative to Config.PathPrefix (default "/video"); Server.Patterns
// returns them for mounting on a shared http.ServeMux:
//
//	POST    {prefix}/{stream}/whip            offer in, 201 + answer + Location
//	DELETE  {prefix}/{stream}/whip/{session}  ends the publish session (200)
//	POST    {prefix}/{stream}/whep            offer in, 201 + answer + Location
//	DELETE  {prefix}/{stream}/whep/{session}  ends the view session (200)
//	OPTIONS on all four; PATCH on a session is 405 (no trickle ICE, no ICE
//	restart; RFC 9725 §4.3.1).
//
// Error statuses (text/plain body naming the problem): 400 malformed SDP,
// bad stream name, or an offer without a supported codec flowing the right
// way (the message lists "supported: H264, VP8, opus" and what was offered);
// 401 missing or wrong bearer token (WWW-Authenticate: Bearer, RFC 6750
// §3); 404 unknown session, or WHEP for a stream nobody publishes; 405 other
// methods, and PATCH; 409 a second publisher for a stream (or the Publisher
// refused with ErrStreamBusy); 413 body over Config.MaxBodyBytes; 415
// Content-Type other than application/sdp; 503 session limit reached,
// server closing, or the Publisher/Source refused otherwise.
//
// An offer without a usable codec is 400, not 406: RFC 9725 §4.2 only asks
// for a 4xx, and 406 (RFC 9110 §15.5.7) means the server cannot produce a
// response matching the request's Accept headers, which is not the
// problem: the request content is.
//
// Contracts:
//
//   - WHIP: the Publisher learns of a session through Publish (once, with
//     the negotiated tracks, before the answer is sent), gets every RTP
//     packet and RTCP sender report through the returned Sink, whose calls
//     never overlap, and Sink.Close is called exactly once when the session
//     ends (DELETE, ICE failure, peer close, connect timeout, Server.Close).
//   - WHEP: each viewer is one Source.View subscription; frames are sent as
//     soon as the peer is connected, with RTP timestamps taken from the
//     frames' PTS. PLI/FIR from a viewer become Source.RequestKeyframe.
//   - Every session is owned by one goroutine; Server.Close ends them all
//     and returns after every goroutine the package started has exited.
package webrtc
