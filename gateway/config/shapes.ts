// Config shapes shared by the main schema and the modules that define their own
// part of it (uplinks): imports nothing but zod, the stream names (gateway/wire) and
// the sub-item table (gateway/energy/subitems.ts, pure data),
// so any module can use them without an import cycle back to schema.ts.
import { z } from 'zod';
import { STREAM_NAMES } from '../wire/streams.ts';
import { subItem, unknownSubItemMessage } from '../energy/subitems.ts';

export const port = z.number().int().min(0).max(65535);
export const host = z.string().min(1);
export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');

/** A secret: given inline, or `{ file: PATH }` read at load time (trailing newline trimmed). */
export const secretFile = z.strictObject({ file: z.string().min(1).describe('path of a file holding the secret') });
export const secret = z.union([z.string().min(1), secretFile]);

/** A code of the sub-item table (gateway/energy/subitems.ts); an unknown one names the nearest. */
export const subItemCode = z.string().superRefine((code, ctx) => {
  if (!subItem(code)) ctx.addIssue({ code: 'custom', message: unknownSubItemMessage(code) });
});

export const streamName = z.enum(STREAM_NAMES);

export const backoff = z
  .strictObject({
    min_ms: z.number().int().min(10).default(1000).describe('first retry delay'),
    max_ms: z.number().int().min(10).default(300_000).describe('longest retry delay'),
    offline_after_ms: z.number().int().min(0).default(60_000).describe('failing this long counts as offline'),
  })
  .prefault({})
  .describe('retry with exponential backoff and jitter');
