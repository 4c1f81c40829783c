// A Toledo 8217 scale, polled with W. A weight frame is a stable weight; while
// the scale is in motion, over capacity or under zero it answers with its status
// byte instead (a reading without weight). Zero (Z), tare (T CR), preset tare
// (Twwwww CR) and clear tare (C) are answered with the status byte.
import { ScaleCommandError, type ScaleCapabilities } from './driver.ts';
import { LinkScaleDriver, printable, type LinkDriverOptions } from './link-driver.ts';
import { STX, describeToledoStatus, parseToledoFrame, toledoPresetTare, toledoReading, type ToledoFrame, type ToledoStatus } from './toledo.ts';

export interface ToledoOptions extends Omit<LinkDriverOptions, 'protocol'> {
  /** unit of the weight digits (the frames carry none): kg on metric scales */
  unit?: 'kg' | 'g';
}

export class ToledoScale extends LinkScaleDriver {
  readonly hasStableFlag = true;
  override readonly capabilities: ScaleCapabilities = { zero: true, tare: true, presetTare: true, clearTare: true };
  private readonly unit: 'kg' | 'g';
  /** the last status byte seen */
  status: ToledoStatus | undefined;
  /** the preset tare sent last (a tare taken with T is not reported by the protocol) */
  private presetG: number | undefined;

  constructor(opts: ToledoOptions) {
    super({ ...opts, protocol: 'toledo' });
    this.unit = opts.unit ?? 'kg';
  }

  protected override async poll(): Promise<void> {
    const f = await this.command('W');
    const r = toledoReading(f);
    this.deliver(r.net && !r.noWeight && this.presetG !== undefined ? { ...r, tare: this.presetG } : r);
  }

  override async zero(): Promise<void> {
    this.checkRunning('zero');
    const s = await this.statusReply('Z');
    // taken only when stable, within the zero capture range and in gross mode (no tare)
    if (s.motion || s.outsideZeroRange || s.overCapacity || s.net) this.refuse('zero', s);
    this.filter.reset();
  }

  override async tare(): Promise<number | undefined> {
    this.checkRunning('tare');
    const s = await this.statusReply('T\r');
    if (s.motion || !s.net) this.refuse('tare', s);
    this.presetG = undefined;
    this.filter.reset();
    return undefined; // the protocol does not say how much
  }

  override async presetTare(grams: number): Promise<void> {
    this.checkRunning('preset tare');
    this.checkTare(grams);
    let command: string;
    try {
      command = toledoPresetTare(grams);
    } catch (err) {
      throw new RangeError((err as Error).message);
    }
    const s = await this.statusReply(command);
    if (!s.net && grams > 0) this.refuse('preset tare', s);
    this.presetG = grams > 0 ? grams : undefined;
  }

  override async clearTare(): Promise<void> {
    this.checkRunning('clear tare');
    const s = await this.statusReply('C');
    if (s.net) this.refuse('clear tare', s);
    this.presetG = undefined;
  }

  private refuse(what: string, s: ToledoStatus): never {
    this.counters.refused += 1;
    throw new ScaleCommandError(`${what} not taken: ${describeToledoStatus(s)}`);
  }

  private async statusReply(command: string): Promise<ToledoStatus> {
    const f = await this.command(command, this.commandTimeoutMs);
    if (f.kind !== 'status') throw new ScaleCommandError(`${printable(command)}: expected a status frame, got "${printable(f.raw)}"`);
    this.contact();
    return f.status;
  }

  private async command(command: string, timeoutMs = this.opts.replyTimeoutMs): Promise<ToledoFrame> {
    const frame = await this.ask(command, (f) => f.startsWith(STX), timeoutMs);
    const f = parseToledoFrame(frame, this.unit);
    if (!f) {
      this.garble(frame, `not a Toledo frame in reply to ${printable(command)}`);
      throw new ScaleCommandError(`${printable(command)}: garbled reply "${printable(frame)}"`);
    }
    if (f.kind === 'status') {
      this.status = f.status;
      if (command !== 'W') this.counters.good += 1; // readings are counted when delivered
    }
    return f;
  }
}
