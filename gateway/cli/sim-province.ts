import { ProvinceSim } from '../sim/province/province.ts';
import { EXIT_OK, UsageError, printJson, type Command } from './command.ts';

export const simProvince: Command = {
  words: ['sim', 'province'],
  summary: 'run the provincial-service simulator (receives uplink batches, reports what it got)',
  usage: [
    'canteen-edge sim province [--host 127.0.0.1] [--port 5030] [--token T] [--hmac-key K]',
    '  prints {"http": {"host", "port"}} once listening, then runs until SIGTERM/SIGINT.',
    '  POST /ingest/<stream>  batches from the HTTP uplink (bearer token and HMAC checked when set)',
    '  GET  /report           per stream: received, unique, duplicates, outOfOrder, maxSeq, gaps, rejected',
    '  POST /control          {"mode": "ok" | "error" (with "status") | "hang" | "slow" (with "delayMs") | "reset" | "reject-record" (with "idPattern")}',
    '  POST /backfill         {"stream", "fromSeq", "toSeq"}: ask the sender for that range again with the next answer',
    '  GET  /ids/<stream>     ids of the unique records received, in arrival order',
    '  POST /reset            forget what was received',
  ].join('\n'),
  options: { host: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' }, 'hmac-key': { type: 'string' } },
  async run(values) {
    const port = Number(values.port ?? 5030);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: got "${values.port}"; expected a port 0-65535`);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const sim = new ProvinceSim({ host, httpPort: port, token: values.token as string | undefined, hmacKey: values['hmac-key'] as string | undefined });
    await sim.start();
    printJson({ http: { host, port: sim.httpPort } });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await sim.stop();
    return EXIT_OK;
  },
};
