// whep.js: a minimal WHEP viewer (draft-ietf-wish-whep). Needs wish.js.
'use strict';

// whepView offers to receive one video and one audio track, as a player
// does, and resolves to {pc, url, gatherMs} (see exchangeOffer) once the
// answer is applied. onTrack is installed as pc.ontrack before the answer
// can fire it.
async function whepView(endpoint, token, onTrack) {
  const pc = new RTCPeerConnection(); // no ICE servers: host candidates only
  try {
    pc.ontrack = onTrack;
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.addTransceiver('audio', {direction: 'recvonly'});
    const {url, gatherMs} = await exchangeOffer(pc, endpoint, token);
    return {pc, url, gatherMs};
  } catch (e) {
    pc.close();
    throw e;
  }
}
