import { ProvinceSim } from '../sim/province/province.ts';
import { PROFILES, unknownProfileMessage, type ProfileName } from '../uplink/jgj285/profiles.ts';
import { EXIT_OK, UsageError, printJson, type Command } from './command.ts';

export const simProvince: Command = {
  words: ['sim', 'province'],
  summary: 'run the provincial-service simulator (receives uplink batches, reports what it got)',
  usage: [
    'canteen-edge sim province [--host 127.0.0.1] [--port 5030] [--token T] [--hmac-key K] [--mqtt mqtt://BROKER:1883]',
    '        [--jgj-port N --jgj-aes-key KEY --jgj-login-key KEY [--jgj-aes-iv IV] [--jgj-profile guideline|server3|ningbo-2018|custom]]',
    '  prints {"http": {"host", "port"}} (and "mqtt": {"url", "topic", "clientId"}) once listening, then runs until SIGTERM/SIGINT.',
    '  --mqtt URL             also subscribe (QoS 1, persistent session) to canteen-edge/+/+ on that broker',
    '  --jgj-port N           also take building-energy (JGJ/T 285 family) reports over TCP on that port (0 = any)',
    '  POST /ingest/<stream>  batches from the HTTP uplink (bearer token and HMAC checked when set)',
    '  GET  /report           per stream: received, unique, duplicates, outOfOrder, maxSeq, gaps, rejected',
    '  --jgj-profile P        framing, IV and acknowledgement form of that platform profile (default custom: the uplink defaults)',
    '  POST /control/jgj285   {"fault": {"mode": "ok"|"hang"|"reset"|"reset-after-take"|"refuse"|"odd-answer"|"garble"|"prefix", …}, "clockSkewMs": n}',
    '  POST /control          {"mode": "ok" | "error" (with "status") | "hang" | "slow" (with "delayMs") | "reset" | "reject-record" (with "idPattern")}',
    '  POST /backfill         {"stream", "fromSeq", "toSeq"}: ask the sender for that range again with the next answer',
    '  GET  /ids/<stream>     ids of the unique records received, in arrival order',
    '  POST /reset            forget what was received',
  ].join('\n'),
  options: { host: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' }, 'hmac-key': { type: 'string' }, mqtt: { type: 'string' }, 'jgj-port': { type: 'string' }, 'jgj-aes-key': { type: 'string' }, 'jgj-login-key': { type: 'string' }, 'jgj-aes-iv': { type: 'string' }, 'jgj-profile': { type: 'string' } },
  async run(values) {
    const port = Number(values.port ?? 5030);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: got "${values.port}"; expected a port 0-65535`);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const mqttUrl = values.mqtt as string | undefined;
    if (mqttUrl !== undefined && !/^mqtts?:\/\/[^/]+\/?$/.test(mqttUrl)) throw new UsageError(`--mqtt: got "${mqttUrl}"; expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]`);
    const sim = new ProvinceSim({
      host,
      httpPort: port,
      token: values.token as string | undefined,
      hmacKey: values['hmac-key'] as string | undefined,
      mqtt: mqttUrl ? { url: mqttUrl } : undefined,
      jgj285: jgj285Options(values),
    });
    await sim.start();
    printJson({
      http: { host, port: sim.httpPort },
      ...(sim.mqtt && { mqtt: { url: mqttUrl, topic: sim.mqtt.topic, clientId: sim.mqtt.clientId } }),
      ...(sim.jgj285 && { jgj285: { host, port: sim.jgj285.port } }),
    });
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await sim.stop();
    return EXIT_OK;
  },
};

function jgj285Options(values: Record<string, unknown>) {
  if (values['jgj-port'] === undefined) return undefined;
  const port = Number(values['jgj-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--jgj-port: got "${values['jgj-port']}"; expected a port 0-65535`);
  const aesKey = values['jgj-aes-key'] as string | undefined;
  const loginKey = values['jgj-login-key'] as string | undefined;
  if (!aesKey) throw new UsageError('--jgj-aes-key: missing; expected the AES-128 key (16 characters or 32 hex digits) with --jgj-port');
  if (!loginKey) throw new UsageError('--jgj-login-key: missing; expected the login key with --jgj-port');
  const profile = values['jgj-profile'] as string | undefined;
  if (profile !== undefined && !(PROFILES as readonly string[]).includes(profile)) throw new UsageError(`--jgj-profile: got "${profile}": ${unknownProfileMessage(profile)}`);
  return { host: (values.host as string | undefined) ?? '127.0.0.1', port, aesKey, loginKey, aesIv: values['jgj-aes-iv'] as string | undefined, profile: profile as ProfileName | undefined };
}
