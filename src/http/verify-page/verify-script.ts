/**
 * The `/verify` page's one script, served as `/verify/verify.js` (a file of its own, so the
 * CSP forbids inline scripts). Plain browser JavaScript in a string, as `/docs`'s init
 * script is: the build emits only what tsc compiles. It shares no code with the server on
 * purpose: it is SPEC §5 written again over the browser's Web Crypto API, so a player
 * trusts the spec and their own browser, not the server's arithmetic.
 */
export const VERIFY_SCRIPT = String.raw`'use strict';

const encoder = new TextEncoder();
const byId = (id) => document.getElementById(id);

const hex = (buffer) => Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');

// SPEC §5: the commitment is SHA-256 of the server seed's 64 ASCII characters.
async function sha256Hex(text) {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

// SPEC §5: HMAC_SHA256(key = the server seed's ASCII characters, msg = "clientSeed:nonce:cursor"),
// cursor 0; the float is b0/256 + b1/256² + b2/256³ + b3/256⁴. It is exact (32 bits in a
// double's 53), and so are the games' float × 10001 and float × 6 below.
async function firstFloat(serverSeed, clientSeed, nonce) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(serverSeed), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const bytes = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(clientSeed + ':' + nonce + ':0')));
  return bytes[0] / 256 + bytes[1] / 256 ** 2 + bytes[2] / 256 ** 3 + bytes[3] / 256 ** 4;
}

// What each game draws from the float (SPEC §5), as /fairness/verify answers without params.
// A game added to src/games/registry.ts is listed on the page at once; its rule goes here
// (docs/games.md), or the page says it cannot compute it.
const OUTCOMES = {
  dice: (float) => ({ roll: Math.floor(float * 10001) / 100 }),
  'lucky-dice': (float) => {
    const face = Math.floor(float * 6) + 1;
    return { face, win: face === 6 };
  },
};

async function browserOutcome(input) {
  const rule = OUTCOMES[input.game];
  if (!rule) return { error: 'this page does not know the rule of ' + input.game + ' yet' };
  // Web Crypto exists only in a secure context: HTTPS, or this machine.
  if (!window.crypto || !crypto.subtle) return { error: 'this browser offers no Web Crypto here: open the page over HTTPS' };
  return { outcome: rule(await firstFloat(input.serverSeed, input.clientSeed, input.nonce)) };
}

async function serverOutcome(input) {
  const query = new URLSearchParams({ game: input.game, serverSeed: input.serverSeed, clientSeed: input.clientSeed, nonce: input.nonce });
  const answer = await fetch('/fairness/verify?' + query);
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) return { error: 'answered ' + answer.status + (body.detail ? ': ' + body.detail : '') };
  return { outcome: body.outcome };
}

const describe = (outcome) => Object.entries(outcome).map(([name, value]) => name + ' ' + value).join(', ');

function sameOutcome(a, b) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function showOutcome(cell, result) {
  cell.textContent = result.outcome ? describe(result.outcome) : result.error;
  cell.dataset.outcome = result.outcome ? JSON.stringify(result.outcome) : '';
}

function showVerdict(output, verdict, text) {
  output.dataset.verdict = verdict;
  output.textContent = text;
}

function outcomeVerdict(browser, server) {
  if (!browser.outcome || !server.outcome) return ['unknown', 'cannot compare: one side has no outcome'];
  if (sameOutcome(browser.outcome, server.outcome)) return ['match', '✔ the same outcome'];
  return ['mismatch', '✘ DIFFERENT: the server does not compute what SPEC §5 says'];
}

function hashVerdict(seedHash, committed) {
  if (!committed) return ['unknown', 'no hash entered to compare with'];
  if (seedHash === committed) return ['match', '✔ matches: this is the seed you were promised'];
  return ['mismatch', '✘ DOES NOT MATCH: this is not the seed committed to before the round'];
}

// Leading zeros do not change the nonce the server uses ("007" is 7), nor the message it signs.
const canonicalNonce = (text) => BigInt(text).toString();

async function check() {
  const form = byId('verify-form');
  const input = {
    game: form.elements.game.value,
    serverSeed: form.elements.serverSeed.value.trim(),
    clientSeed: form.elements.clientSeed.value,
    nonce: canonicalNonce(form.elements.nonce.value.trim()),
  };
  const committed = form.elements.serverSeedHash.value.trim().toLowerCase();
  const cells = ['browser-outcome', 'server-outcome', 'seed-hash', 'committed-hash'].map(byId);
  for (const cell of cells) cell.textContent = '…';
  for (const id of ['outcome-verdict', 'hash-verdict']) showVerdict(byId(id), '', '');
  byId('results').hidden = false;

  const [browser, server, seedHash] = await Promise.all([
    browserOutcome(input),
    serverOutcome(input).catch((error) => ({ error: 'no answer: ' + error.message })),
    window.crypto && crypto.subtle ? sha256Hex(input.serverSeed) : '',
  ]);
  showOutcome(byId('browser-outcome'), browser);
  showOutcome(byId('server-outcome'), server);
  showVerdict(byId('outcome-verdict'), ...outcomeVerdict(browser, server));
  byId('seed-hash').textContent = seedHash || 'no Web Crypto here';
  byId('committed-hash').textContent = committed || '(none entered)';
  showVerdict(byId('hash-verdict'), ...(seedHash ? hashVerdict(seedHash, committed) : ['unknown', 'cannot compute the hash']));
}

// A round as the operator's API shows it (GET /rounds/:id, or one round of recall) fills the form.
function fillFromRound() {
  const form = byId('verify-form');
  const error = byId('round-json-error');
  error.textContent = '';
  let round;
  try {
    round = JSON.parse(byId('round-json').value);
  } catch {
    error.textContent = 'this is not JSON';
    return;
  }
  const fairness = round && round.fairness;
  if (!fairness || typeof fairness.clientSeed !== 'string' || !Number.isInteger(fairness.nonce)) {
    error.textContent = 'this is not a round: it has no fairness.clientSeed and fairness.nonce';
    return;
  }
  if (typeof fairness.serverSeed !== 'string') {
    error.textContent = 'the server seed of this round is not revealed yet: it is shown once the seeds are rotated';
    return;
  }
  if (![...form.elements.game.options].some((option) => option.value === round.game)) {
    error.textContent = 'this server has no game ' + JSON.stringify(round.game);
    return;
  }
  form.elements.game.value = round.game;
  form.elements.serverSeed.value = fairness.serverSeed;
  form.elements.serverSeedHash.value = fairness.serverSeedHash || '';
  form.elements.clientSeed.value = fairness.clientSeed;
  form.elements.nonce.value = String(fairness.nonce);
  form.requestSubmit();
}

// An operator's game can link a round here with its values in the address
// (/verify?game=…&serverSeed=…&serverSeedHash=…&clientSeed=…&nonce=…): they fill the form,
// and a complete form is checked at once.
function fillFromAddress() {
  const query = new URLSearchParams(location.search);
  const form = byId('verify-form');
  const names = ['game', 'serverSeed', 'serverSeedHash', 'clientSeed', 'nonce'].filter((name) => query.has(name));
  for (const name of names) form.elements[name].value = query.get(name);
  if (names.length > 0 && form.checkValidity()) form.requestSubmit();
}

byId('verify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  check().catch((error) => {
    showVerdict(byId('outcome-verdict'), 'unknown', 'failed: ' + error.message);
  });
});
byId('fill-from-round').addEventListener('click', fillFromRound);
fillFromAddress();
`;
