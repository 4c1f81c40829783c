// The streams the box sends upstream, named once: the outbox, the uplinks' config and
// the store-and-forward status all use these names.
export const STREAM_NAMES = ['readings', 'intervals', 'transactions', 'alerts', 'events'] as const;
export type Stream = (typeof STREAM_NAMES)[number];
