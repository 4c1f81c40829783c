// A MT-SICS scale, polled with SI. Zero (Z), tare (T), preset tare (TA value
// unit) and clear tare (TAC) go through the same line between polls. The net
// flag follows the scale's tare memory, asked with TA on every (re)connect.
import { ScaleCommandError, type ScaleCapabilities } from './driver.ts';
import { LinkScaleDriver, printable, type LinkDriverOptions } from './link-driver.ts';
import { answersMtSics, mtSicsPresetTare, mtSicsRefusal, parseMtSicsReply, type MtSicsReply } from './mt-sics.ts';
import { fromGrams } from './units.ts';

export class MtSicsScale extends LinkScaleDriver {
  readonly hasStableFlag = true;
  override readonly capabilities: ScaleCapabilities = { zero: true, tare: true, presetTare: true, clearTare: true };
  /** the scale's tare memory, grams (0: gross) */
  private tareG = 0;
  /** the unit the scale answers in; preset tares are sent in it */
  private unit = 'kg';

  constructor(opts: Omit<LinkDriverOptions, 'protocol'>) {
    super({ ...opts, protocol: 'mt-sics' });
  }

  get tareGrams(): number {
    return this.tareG;
  }

  protected override onUp(): void {
    void this.refreshTare();
  }

  protected override async poll(): Promise<void> {
    const r = await this.command('SI\r\n', 'S', this.opts.replyTimeoutMs);
    if (r.kind === 'weight') {
      if (r.unit) this.unit = r.unit;
      this.deliver({ ...r.reading, net: this.tareG !== 0, ...(this.tareG !== 0 ? { tare: this.tareG } : {}) });
      return;
    }
    this.contact();
    this.counters.refused += 1;
    throw new ScaleCommandError(mtSicsRefusal(r));
  }

  override async zero(): Promise<void> {
    this.checkRunning('zero');
    const r = await this.command('Z\r\n', 'Z', this.commandTimeoutMs);
    this.expect(r, 'A');
    this.filter.reset();
    await this.refreshTare(); // scales differ in whether zeroing clears the tare
  }

  override async tare(): Promise<number | undefined> {
    this.checkRunning('tare');
    const r = await this.command('T\r\n', 'T', this.commandTimeoutMs);
    this.expect(r, 'S');
    this.tareG = r.kind === 'status' && r.grams !== undefined ? r.grams : this.tareG;
    this.filter.reset();
    return this.tareG;
  }

  override async presetTare(grams: number): Promise<void> {
    this.checkRunning('preset tare');
    this.checkTare(grams);
    const unit = this.unit.toLowerCase() === 'g' ? 'g' : 'kg';
    const r = await this.command(mtSicsPresetTare(fromGrams(grams, unit), unit), 'TA', this.commandTimeoutMs);
    this.expect(r, 'A');
    this.tareG = r.kind === 'status' && r.grams !== undefined ? r.grams : grams;
  }

  override async clearTare(): Promise<void> {
    this.checkRunning('clear tare');
    const r = await this.command('TAC\r\n', 'TAC', this.commandTimeoutMs);
    this.expect(r, 'A');
    this.tareG = 0;
  }

  private async refreshTare(): Promise<void> {
    try {
      const r = await this.command('TA\r\n', 'TA', this.opts.replyTimeoutMs);
      if (r.kind === 'status' && r.status === 'A' && r.grams !== undefined) this.tareG = r.grams;
    } catch {
      // a level-0 scale without TA: net follows T and TAC only
    }
  }

  /** Sends a command and parses the reply with identifier `id` (or an error reply). */
  private async command(line: string, id: string, timeoutMs: number): Promise<MtSicsReply> {
    const frame = await this.ask(line, (f) => answersMtSics(f, id), timeoutMs);
    const r = parseMtSicsReply(frame);
    if (!r) {
      this.garble(frame, `not a MT-SICS reply to ${printable(line)}`);
      throw new ScaleCommandError(`${printable(line)}: garbled reply "${printable(frame)}"`);
    }
    if (r.kind !== 'weight') this.counters.good += 1; // weights are counted when delivered
    return r;
  }

  private expect(r: MtSicsReply, status: string): void {
    this.contact();
    if (r.kind === 'status' && r.status === status) return;
    this.counters.refused += 1;
    throw new ScaleCommandError(mtSicsRefusal(r));
  }
}
