import type { ServerResponse } from 'node:http';

// SPEC §6 "timeout = no answer": the request is held open and never answered. Held
// sockets are cut after two minutes, far beyond any client timeout, so a forgotten
// client cannot leak them; closing the mock cuts them at once.
const holdMs = 120_000;

export interface HeldResponses {
  hold(res: ServerResponse): void;
  cutAll(): void;
}

export function createHeldResponses(): HeldResponses {
  const held = new Map<ServerResponse, NodeJS.Timeout>();

  function cut(res: ServerResponse): void {
    const timer = held.get(res);
    if (timer !== undefined) clearTimeout(timer);
    held.delete(res);
    res.socket?.destroy();
  }

  return {
    hold(res) {
      held.set(
        res,
        setTimeout(() => cut(res), holdMs),
      );
      // A client that gives up first closes the socket; forget it then.
      res.once('close', () => {
        const timer = held.get(res);
        if (timer !== undefined) clearTimeout(timer);
        held.delete(res);
      });
    },
    cutAll() {
      for (const res of [...held.keys()]) cut(res);
    },
  };
}
