// page.js: what the test pages share: reporting to the Go test (POST
// /event) and waiting for a peer connection's state or statistics.
'use strict';

const params = new URLSearchParams(location.search);
// api is the base URL of WHIP/WHEP: '' for this page's origin.
const api = params.get('api') || '';

// report sends one event to the test server; it never throws. Every event
// carries the page's tag parameter, which tells the test which page spoke,
// and the milliseconds since the page started loading.
async function report(type, fields) {
  const ev = Object.assign({tag: params.get('tag') || '', page: location.pathname, type,
    ms: Math.round(performance.now())}, fields);
  console.log('tributary-test event ' + JSON.stringify(ev));
  try {
    await fetch('/event', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(ev)});
  } catch (e) {
    console.log('tributary-test report failed: ' + e);
  }
}

// fail reports an error event for e (an HTTPStatusError keeps its status
// and WWW-Authenticate challenge).
function fail(e) {
  return report('error', {msg: String(e), status: e.status || 0, auth: e.wwwAuthenticate || ''});
}

window.addEventListener('error', e => fail(new Error('uncaught: ' + e.message)));
window.addEventListener('unhandledrejection', e => fail(new Error('unhandled rejection: ' + e.reason)));

// connected resolves once pc is connected; it rejects when the connection
// fails or after ms milliseconds.
function connected(pc, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pc.removeEventListener('connectionstatechange', check);
      reject(new Error(`not connected after ${ms} ms (connection ${pc.connectionState}, ICE ${pc.iceConnectionState})`));
    }, ms);
    function check() {
      const st = pc.connectionState;
      if (st !== 'connected' && st !== 'failed' && st !== 'closed') return;
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      if (st === 'connected') resolve();
      else reject(new Error(`connection ${st}`));
    }
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}

// waitStats polls pc.getStats() until a video stats entry of the given type
// (e.g. "outbound-rtp") satisfies ok(entry), and resolves to that entry
// with its codec's MIME type added as .mimeType. It rejects after ms
// milliseconds with the last entry seen.
async function waitStats(pc, type, ok, ms) {
  const end = performance.now() + ms;
  let last = null;
  for (;;) {
    const stats = await pc.getStats();
    for (const r of stats.values()) {
      if (r.type !== type || r.kind !== 'video') continue;
      const codec = r.codecId && stats.get(r.codecId);
      last = Object.assign({}, r, {mimeType: codec ? codec.mimeType : ''});
      if (ok(last)) return last;
    }
    if (performance.now() > end) {
      throw new Error(`${type} video stats not as expected after ${ms} ms; last: ${JSON.stringify(last)}`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
}

// selectedPair describes the ICE candidate pair pc uses, for the test log:
// "host 10.199.0.1:5000 -> host 10.199.0.1:6000" ("" if none yet).
async function selectedPair(pc) {
  const stats = await pc.getStats();
  const describe = id => {
    const c = stats.get(id);
    return c ? `${c.candidateType} ${c.address || '?'}:${c.port}` : '?';
  };
  for (const r of stats.values()) {
    if (r.type !== 'transport' || !r.selectedCandidatePairId) continue;
    const pair = stats.get(r.selectedCandidatePairId);
    if (pair) return `${describe(pair.localCandidateId)} -> ${describe(pair.remoteCandidateId)}`;
  }
  return '';
}
