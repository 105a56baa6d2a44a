// Package browsertest checks WHIP and WHEP interop with a real browser:
// headless Chromium (Debian's chromium package, with its fake camera) and
// the webrtc package's Server, wired through whiptest.Relay. It has no
// non-test code.
//
// The tests are:
//
//   - TestChromiumPublishesWHIP: the test page publishes Chromium's fake
//     camera over WHIP (the server's codec choice, H.264, and VP8 forced by
//     codec preferences); a pion WHEP viewer must get a keyframe of the
//     captured size and a run of frames with rising timestamps.
//   - TestChromiumViewsWHEP: a pion WHIP publisher loops the whiptest
//     H.264 clip; the view page must decode more than 20 frames at the
//     clip's 320x240 and end its session with DELETE (200).
//   - TestChromiumSeesErrors: a WHIP offer with a wrong bearer token is
//     401 with a Bearer challenge, and WHEP for an unpublished stream is
//     404, both as the pages report them.
//
// Isolation contract: the browser never reaches the machine's network.
// Each test re-runs its own test binary (for just that test) in a fresh,
// unnamed network namespace (clone(2) with CLONE_NEWNET). Inside, lo is up
// and a veth pair exists whose both ends stay in the namespace: trib0
// holds 10.199.0.1/32, trib1 has no address. The namespace has no route
// but its local ones (127.0.0.0/8 and 10.199.0.1) and no link to any other
// namespace, so every packet stays in it. The HTTP server (pages and
// WHIP/WHEP) listens on the namespace's 127.0.0.1, a secure context for
// getUserMedia; ICE uses 10.199.0.1 only (Config.ICEAddr and IPFilter),
// a non-loopback address because Chromium gathers no candidates on
// loopback interfaces. Nothing is configured in the host's namespace; the
// kernel frees the namespace and its veth pair when the last process in it
// exits, and the parent test kills whatever still runs there.
//
// Requirements: Linux on amd64, root, ip(8) (Debian package iproute2) and
// chromium. When one is missing the tests skip, unless the environment
// variable CI is set, when they fail. They always skip on other
// architectures (the ARM runs are under qemu-user, which cannot run
// Chromium).
package browsertest
