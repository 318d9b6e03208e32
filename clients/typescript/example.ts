import { createRgsClient } from './index.ts';

const rgs = createRgsClient({ baseUrl: process.env.RGS ?? 'http://127.0.0.1:3000', operatorKey: 'demo-alpha-key-LOCAL-ONLY' });
const playerId = 'player-7';

// 1. Launch a session (a retry with the same Idempotency-Key returns the same session).
const launched = await rgs.POST('/sessions/launch', {
  params: { header: { 'idempotency-key': `launch-${playerId}-1` } },
  body: { playerId, currency: 'EUR', jurisdiction: 'MT' },
});
if (!launched.data) throw new Error(`launch refused: ${launched.error?.code}`);
const { sessionToken } = launched.data;

// 2. Follow the player's bet events (server-sent events); opened first, so none is missed.
const stream = await rgs.GET('/stream', { params: { query: { types: 'bet.*', playerId } }, parseAs: 'stream' });
if (!stream.data) throw new Error(`stream refused: ${stream.response.status}`);

// 3. Place a bet: 1000 minor units (10.00 EUR) that the roll is under 50.
const placed = await rgs.POST('/bets', {
  params: { header: { 'idempotency-key': `bet-${sessionToken}-1` } },
  body: { sessionToken, amount: 1000, game: 'dice', params: { target: 50, direction: 'under' } },
});
if (!placed.data) throw new Error(`bet refused: ${placed.error?.code}`);
const bet = placed.data;
console.log('placed', bet.id, bet.status);

// 4. Read it back: the states it went through.
const read = await rgs.GET('/bets/{id}', { params: { path: { id: bet.id } } });
console.log('history', read.data?.history.map((step) => step.state).join(' '));

// 5. Wait for the bet's outcome event: frames are `id:`, `event:` and `data:` lines and a blank line.
let pending = '';
read: for await (const text of stream.data.pipeThrough(new TextDecoderStream())) {
  const frames = (pending + text).split('\n\n');
  pending = frames.pop() ?? '';
  for (const frame of frames) {
    const type = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (type && data && JSON.parse(data).data.betId === bet.id && type !== 'bet.placed') {
      console.log('event', type);
      break read; // leaving the loop closes the stream
    }
  }
}
