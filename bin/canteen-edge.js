#!/usr/bin/env node
// The installed command. TypeScript runs through tsx's loader in this same
// process (no child process), so SIGTERM reaches the gateway directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../gateway/cli/main.ts');
try {
  process.exit(await main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`canteen-edge: ${err?.stack ?? err}\n`);
  process.exit(1);
}
