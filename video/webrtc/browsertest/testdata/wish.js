// wish.js: signalling shared by the WHIP (RFC 9725) and WHEP
// (draft-ietf-wish-whep) clients of whip.js and whep.js. Non-trickle: the
// offer is sent once ICE gathering is complete, with every candidate in it
// (RFC 9725 §4.3.1).
'use strict';

// HTTPStatusError is a WHIP/WHEP request answered with another status than
// the expected one.
class HTTPStatusError extends Error {
  constructor(status, body, wwwAuthenticate) {
    super(`HTTP ${status}: ${body.trim()}`);
    this.name = 'HTTPStatusError';
    this.status = status;
    this.body = body;
    this.wwwAuthenticate = wwwAuthenticate || '';
  }
}

// gatheringComplete resolves once pc has gathered all its candidates, and
// rejects after ms milliseconds.
function gatheringComplete(pc, ms) {
  return new Promise((resolve, reject) => {
    if (pc.iceGatheringState === 'complete') {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      pc.removeEventListener('icegatheringstatechange', check);
      reject(new Error(`ICE gathering not complete after ${ms} ms`));
    }, ms);
    function check() {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

// exchangeOffer creates pc's offer, waits for gathering, POSTs the offer to
// endpoint as application/sdp with the bearer token (none if empty),
// applies the answer of the 201 and resolves to {url, gatherMs}: the
// session URL (its Location, RFC 9725 §4.2) and how long gathering took.
// Any other status throws an HTTPStatusError.
async function exchangeOffer(pc, endpoint, token) {
  await pc.setLocalDescription(await pc.createOffer());
  const t0 = performance.now();
  await gatheringComplete(pc, 5000);
  const gatherMs = Math.round(performance.now() - t0);
  const headers = {'Content-Type': 'application/sdp'};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const resp = await fetch(endpoint, {method: 'POST', headers, body: pc.localDescription.sdp});
  const body = await resp.text();
  if (resp.status !== 201) {
    throw new HTTPStatusError(resp.status, body, resp.headers.get('WWW-Authenticate'));
  }
  const location = resp.headers.get('Location');
  if (!location) throw new Error('201 without a Location header');
  await pc.setRemoteDescription({type: 'answer', sdp: body});
  return {url: new URL(location, resp.url).href, gatherMs};
}

// deleteSession ends a session (DELETE on its URL) and returns the status.
async function deleteSession(sessionURL, token) {
  const headers = {};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const resp = await fetch(sessionURL, {method: 'DELETE', headers});
  await resp.text();
  return resp.status;
}
