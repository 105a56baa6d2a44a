// Package rtpin receives plain RTP over UDP (RFC 3550) — what ffmpeg
// (-f rtp), GStreamer (udpsink) and many IP cameras send — and feeds it to
// the same webrtc.Publisher / Sink / KeyframeRequester interfaces as WHIP
// ingest, so one pipeline serves both.
//
// A Listener serves one stream. Its tracks come from Config.Codec (one
// track, payload type Config.PayloadType) or from an SDP description
// (Config.SDP or Config.SDPFile, read by ParseSDP: one video m-line, H264
// or VP8, and optionally one audio m-line, opus). Each track has its own
// UDP port (RTP convention: one port per m-line), and RTCP on the port
// above (RFC 3550 §11) when that port is free. Addr decides the ports, not
// the SDP; see Config.Addr.
//
// Contracts:
//
//   - Sessions. A session begins at the first accepted packet on any
//     track: Publisher.Publish(stream, tracks, kf) with every track of the
//     Listener in Tracks order; then each accepted packet goes to
//     Sink.WriteRTP(track, pkt, arrival). It ends with Sink.Close, called
//     exactly once, when no packet was accepted for Config.IdleTimeout
//     (default 5s; measured with Config.Now), 500 ms after the source of
//     every track that had one sent an RTCP BYE for its SSRC (RFC 3550
//     §6.6; the grace lets RTP sent just before the BYE in, and a packet
//     from another source or SSRC cuts it short), or at Close. The next accepted packet begins a new session and calls
//     Publish again. When Publish returns an error, packets are counted in
//     Stats.Refused and dropped, and Publish is asked again after
//     Config.PublishRetry.
//   - One source per port. The first packet of a track in a session fixes
//     that track's source address (IP and port); packets from any other
//     address are counted (Stats.ForeignSource) and dropped until the
//     session ends: a second camera cannot take over a running stream, and
//     gets the port after the first has been idle for IdleTimeout. A new
//     SSRC from the session's own address is a restarted encoder: it is
//     passed on (the depacketizer restarts on a new SSRC) and counted in
//     Stats.SSRCChanges.
//   - Garbage. Datagrams larger than Config.MaxPacketSize (Stats.Oversize),
//     that are not RTP version 2 or are cut short (Stats.BadPackets), or
//     carry another payload type than the track's (Stats.WrongPayloadType)
//     are counted and dropped; nothing a peer sends can panic the Listener
//     or end a session.
//   - Calls on a Sink never overlap and none follow its Close, even with
//     two tracks on two sockets: every Sink call (and Publish) is made
//     under one mutex, so a Sink or Publisher must not call the
//     Listener's Close (Stats is fine).
//     pkt and its Payload are only valid during WriteRTP (the read buffer
//     and packet header are reused); a *rtcp.SenderReport is the Sink's to
//     keep.
//   - RTCP. Sender reports from the track's source IP for the track's
//     current SSRC go to Sink.WriteSenderReport; the last one received
//     before the session (ffmpeg sends its first SR just before its first
//     RTP packet) is delivered when the track's first packet arrives. RTCP
//     multiplexed on the RTP port (RFC 5761 §4) is recognized too.
//   - Keyframes. Plain RTP has no feedback channel unless the source
//     listens for RTCP. The session's KeyframeRequester sends a PLI (RFC
//     4585 §6.3.1, after an empty receiver report, as a compound packet) to
//     the address the video source's RTCP came from, at most once per
//     Config.KeyframeInterval. Before any RTCP came from the source, a
//     request is counted in Stats.KeyframeUnsent and sent once RTCP arrives;
//     a source that never sends RTCP never gets one and relies on its own
//     keyframe interval (set it short, e.g. ffmpeg -g 50).
//   - H.264 parameter sets given out of band (sprop-parameter-sets) are in
//     Tracks()[i].ParameterSets, known from New on (before any Publish):
//     pass them to depack.Options.ParameterSets of the stream's track i.
//   - Memory is bounded: per socket one read buffer of MaxPacketSize+1
//     bytes and one reused packet header; per track one kept sender
//     report. Nothing is allocated per accepted packet.
//   - Goroutines: one per socket, started by Start. Close (or cancelling
//     Start's context) closes the sockets, waits for those goroutines and
//     ends the session; Close is idempotent.
//
// Wiring, for one stream:
//
//	l, err := rtpin.New(rtpin.Config{Stream: "cam1", Addr: ":5004", SDPFile: "cam1.sdp"}, pub)
//	for i, t := range l.Tracks() { ... depack.Options{Track: uint8(i), ParameterSets: t.ParameterSets} ... }
//	err = l.Start(ctx)
//	defer l.Close()
package rtpin
