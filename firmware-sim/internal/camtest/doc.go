// Package camtest has receivers for testing simulated cameras against
// real peers on loopback: a WHIP endpoint backed by pion (Receiver) that
// reassembles the H.264 it receives, and a plain RTP listener
// (UDPReceiver). Both listen on 127.0.0.1 with port 0, wait with
// deadlines, and are closed by the test's Cleanup, goroutines included.
package camtest
