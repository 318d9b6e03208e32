import { gameVersionLabel } from '../../games/game.ts';
import { GAMES } from '../../games/registry.ts';

/**
 * The `/verify` page (issue #20 point 5): a player checks a round in the browser. The
 * games are listed from the registry when the page is built, so the page needs no
 * endpoint of its own; the outcome rules are in `verify-script.ts`.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const gameOptions = GAMES.map(
  (game) => `<option value="${escapeHtml(game.id)}" title="${escapeHtml(game.description)}">${escapeHtml(gameVersionLabel(game))}</option>`,
).join('\n          ');

export const VERIFY_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Check a round</title>
    <link rel="stylesheet" href="/verify/verify.css">
  </head>
  <body>
    <main>
      <h1>Check a round</h1>
      <p>
        Enter the revealed server seed of a round, its client seed and nonce (the operator shows
        them once the seed pair is rotated), and the server seed hash you were shown before
        playing. This page computes the outcome itself, in your browser, with the Web Crypto API
        (SPEC §5: HMAC-SHA256 of <code>clientSeed:nonce:0</code> keyed by the server seed), and
        shows it next to what this server's <code>/fairness/verify</code> answers.
      </p>
      <details>
        <summary>Paste a round</summary>
        <p>The JSON of a round as the operator's API gives it (<code>GET /rounds/:id</code>, or one round of recall) fills in the fields.</p>
        <textarea id="round-json" rows="6" spellcheck="false"></textarea>
        <button type="button" id="fill-from-round">Fill in</button>
        <p id="round-json-error" class="error" role="alert"></p>
      </details>
      <form id="verify-form">
        <label>Game
          <select name="game" id="game" required>
          ${gameOptions}
          </select>
        </label>
        <label>Server seed (revealed)
          <input name="serverSeed" id="server-seed" required pattern="[0-9a-f]{64}" autocomplete="off" spellcheck="false">
        </label>
        <label>Server seed hash you were shown before playing
          <input name="serverSeedHash" id="server-seed-hash" pattern="[0-9a-fA-F]{64}" autocomplete="off" spellcheck="false">
        </label>
        <label>Client seed
          <input name="clientSeed" id="client-seed" required maxlength="64" autocomplete="off" spellcheck="false">
        </label>
        <label>Nonce
          <input name="nonce" id="nonce" required pattern="[0-9]{1,16}" inputmode="numeric" autocomplete="off">
        </label>
        <button type="submit">Check</button>
      </form>
      <table id="results" hidden>
        <tr><th>Outcome computed in this browser</th><td id="browser-outcome"></td></tr>
        <tr><th>Outcome <code>/fairness/verify</code> answers</th><td id="server-outcome"></td></tr>
        <tr><th>Outcomes</th><td><output id="outcome-verdict"></output></td></tr>
        <tr><th>SHA-256 of the server seed (this browser)</th><td id="seed-hash"></td></tr>
        <tr><th>Hash shown before playing</th><td id="committed-hash"></td></tr>
        <tr><th>Hashes</th><td><output id="hash-verdict"></output></td></tr>
      </table>
    </main>
    <script src="/verify/verify.js"></script>
  </body>
</html>
`;

export const VERIFY_PAGE_CSS = `body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
label { display: block; margin: 0.75rem 0; }
input, select, textarea { display: block; width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; padding: 0.3rem; }
button { margin-top: 0.5rem; padding: 0.4rem 1.2rem; }
table { margin-top: 1.5rem; border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td { font-family: ui-monospace, monospace; word-break: break-all; }
output { font-family: system-ui, sans-serif; word-break: normal; }
[data-verdict="match"] { color: #116611; font-weight: bold; }
[data-verdict="mismatch"] { color: #b00020; font-weight: bold; }
[data-verdict="unknown"], .error { color: #8a5a00; }
`;

/**
 * Everything from this origin, no inline script or style: the page's own script and
 * stylesheet, and `fetch` to this node's `/fairness/verify` only.
 */
export const VERIFY_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
