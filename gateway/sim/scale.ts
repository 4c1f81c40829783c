// A simulated checkout scale indicator: a TCP server streaming continuous ASCII
// weight lines (`ST,GS,+0000.352kg`) as a real indicator does on its serial or
// Ethernet port. It walks through a weighing cycle — empty, plate put down
// (unstable), stable, plate lifted — so every state of a sale shows up live.
import net from 'node:net';

export interface ScaleSimOptions {
  host: string;
  port: number;
  intervalMs: number;
  platesG: number[];
  /** one weighing cycle (empty, loading, stable, removing); default 8.8 s */
  cycleMs?: number;
  now?: () => number;
}

const PHASES = [
  { name: 'empty', ms: 3000 },
  { name: 'loading', ms: 1200 },
  { name: 'stable', ms: 4000 },
  { name: 'removing', ms: 600 },
] as const;
export const DEFAULT_CYCLE_MS = PHASES.reduce((s, p) => s + p.ms, 0);

export interface SimReading {
  grams: number;
  stable: boolean;
}

/** What the scale shows at time `at`: a pure function of time, shared by all clients. */
export function simulatedReading(at: number, platesG: number[], cycleMs = DEFAULT_CYCLE_MS): SimReading {
  const stretch = cycleMs / DEFAULT_CYCLE_MS;
  const cycle = Math.floor(at / cycleMs);
  const plate = platesG[cycle % platesG.length]!;
  let t = (at % cycleMs) / stretch;
  for (const phase of PHASES) {
    if (t < phase.ms) {
      const f = t / phase.ms;
      switch (phase.name) {
        case 'empty': return { grams: 0, stable: true };
        case 'stable': return { grams: plate, stable: true };
        // settling: overshoot and ring down towards the plate's weight
        case 'loading': return { grams: Math.round(plate * (1 - Math.exp(-5 * f) * Math.cos(9 * f))), stable: false };
        case 'removing': return { grams: Math.max(0, Math.round(plate * (1 - f) + (f < 0.5 ? 30 : -10))), stable: false };
      }
    }
    t -= phase.ms;
  }
  return { grams: 0, stable: true };
}

export function continuousLine({ grams, stable }: SimReading): string {
  const kg = (Math.abs(grams) / 1000).toFixed(3).padStart(8, '0');
  return `${stable ? 'ST' : 'US'},GS,${grams < 0 ? '-' : '+'}${kg}kg\r\n`;
}

export class ScaleSim {
  private readonly server = net.createServer((sock) => this.serve(sock));
  private readonly sockets = new Set<net.Socket>();
  private readonly now: () => number;

  constructor(private readonly opts: ScaleSimOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    const timer = setInterval(() => sock.write(continuousLine(simulatedReading(this.now(), this.opts.platesG, this.opts.cycleMs))), this.opts.intervalMs);
    const end = () => {
      clearInterval(timer);
      this.sockets.delete(sock);
    };
    sock.on('close', end);
    sock.on('error', end);
  }
}
