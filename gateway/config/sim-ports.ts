// CANTEEN_EDGE_PORT moves the whole demo, not only the web server: the simulators sit
// on fixed ports (5020/5021/5030, the kitchen sensors' 5022) in the shipped config, so a second gateway on the
// same machine used to die on the first of them. With the variable set, a simulator
// still on its shipped port moves next to the gateway's port, and whatever reaches it
// on this machine (a meter's or scale's TCP transport, an uplink URL) follows it.
import type { Config } from './schema.ts';

/** The simulators, their shipped ports and where they go: CANTEEN_EDGE_PORT + offset. */
export const SIMULATOR_PORTS = [
  { sim: 'energy_meter', shipped: 5020, offset: 1 },
  { sim: 'scale', shipped: 5021, offset: 2 },
  { sim: 'province', shipped: 5030, offset: 3 },
] as const;

/** The kitchen sensors' simulator (`kitchen_sensors.simulator`) moves to CANTEEN_EDGE_PORT + 4. */
export const KITCHEN_SENSORS_SIM_PORT = { shipped: 5022, offset: 4 } as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Moves the simulators on their shipped ports next to `gatewayPort` (nothing when it is 0: a free port). */
export function deriveSimulatorPorts(config: Config, gatewayPort: number): void {
  if (gatewayPort === 0) return;
  for (const { sim, shipped, offset } of SIMULATOR_PORTS) {
    const s = config.simulators[sim];
    if (!s.enabled || s.port !== shipped) continue;
    const to = gatewayPort + offset;
    if (to > 65535) continue; // stays where it is; a clash is then reported by name at start
    s.port = to;
    for (const d of [...config.devices.meters, ...config.devices.scales]) {
      const t = (d as { transport?: { type: string; host?: string; port?: number } }).transport;
      if (t?.type === 'tcp' && t.host && LOOPBACK.has(t.host) && t.port === shipped) t.port = to;
    }
    const at = new RegExp(`(//(?:127\\.0\\.0\\.1|localhost|\\[::1\\])):${shipped}(?=[/?#]|$)`);
    for (const u of config.uplinks as unknown as Record<string, unknown>[]) {
      for (const [k, v] of Object.entries(u)) if (typeof v === 'string' && at.test(v)) u[k] = v.replace(at, `$1:${to}`);
    }
  }
  const k = config.kitchen_sensors.simulator;
  const to = gatewayPort + KITCHEN_SENSORS_SIM_PORT.offset;
  if (k.enabled && k.port === KITCHEN_SENSORS_SIM_PORT.shipped && to <= 65535) {
    k.port = to;
    // every sensor source reaching it over TCP on this machine follows
    const follow = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const t = node as { type?: string; host?: string; port?: number };
      if (t.type === 'tcp' && t.host && LOOPBACK.has(t.host) && t.port === KITCHEN_SENSORS_SIM_PORT.shipped) t.port = to;
      for (const v of Object.values(node)) follow(v);
    };
    follow([config.kitchen_sensors.cold_rooms, config.kitchen_sensors.disinfection]);
  }
}
