// whip.js: a minimal WHIP publisher (RFC 9725). Needs wish.js.
'use strict';

// whipPublish sends every track of mediaStream (sendonly) to a WHIP
// endpoint and resolves to {pc, url, gatherMs} (see exchangeOffer) once the
// answer is applied. codec (a MIME type such as "video/VP8"; empty for the
// browser's own list) restricts what the video section offers.
async function whipPublish(endpoint, token, mediaStream, codec) {
  const pc = new RTCPeerConnection(); // no ICE servers: host candidates only
  try {
    for (const track of mediaStream.getTracks()) {
      const tr = pc.addTransceiver(track, {direction: 'sendonly', streams: [mediaStream]});
      if (codec && track.kind === 'video') {
        const want = codec.toLowerCase();
        const prefs = RTCRtpSender.getCapabilities('video').codecs
          .filter(c => c.mimeType.toLowerCase() === want);
        if (prefs.length === 0) throw new Error(`this browser cannot send ${codec}`);
        tr.setCodecPreferences(prefs);
      }
    }
    const {url, gatherMs} = await exchangeOffer(pc, endpoint, token);
    return {pc, url, gatherMs};
  } catch (e) {
    pc.close();
    throw e;
  }
}
