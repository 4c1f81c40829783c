// Request/answer calls to the gateway over the kiosk's Socket.IO namespace
// (face pay and self-service enrolment). A connection of its own, open only
// while a camera view is: the page's live-update socket stays as it is, and a
// face session dies with the view that started it.
import { useEffect, useRef } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';

/** No answer within this: the page gives up on the call (the server ends idle sessions itself). */
const ACK_TIMEOUT_MS = 20_000;

export type Emit = <R>(event: string, payload: unknown) => Promise<R>;

/** `lastWords`: an event to send (without waiting for its answer) just before the view closes the connection. */
export function useKioskSocket(lastWords?: () => [event: string, payload: unknown] | null): Emit {
  const socket = useRef<Socket | null>(null);
  const last = useRef(lastWords);
  last.current = lastWords;
  useEffect(() => {
    const s = io('/kiosk', { forceNew: true, transports: ['websocket', 'polling'] });
    socket.current = s;
    return () => {
      socket.current = null;
      const words = last.current?.();
      if (words && s.connected) s.emit(...words);
      s.disconnect();
    };
  }, []);
  return async <R,>(event: string, payload: unknown): Promise<R> => {
    const s = socket.current;
    if (!s) throw new Error('not connected');
    const answer = (await s.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as R | { error: string; code?: string };
    // `code`: a stable word the page shows in the diner's language (the error text is for the log)
    if (answer && typeof answer === 'object' && 'error' in answer && typeof answer.error === 'string') throw Object.assign(new Error(answer.error), { code: (answer as { code?: string }).code });
    return answer as R;
  };
}
