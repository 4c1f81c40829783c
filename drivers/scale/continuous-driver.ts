// A scale that streams one line per reading (continuous output): the built-in
// `ST,GS,+0001.234kg` format or a configured pattern. Nothing is polled; silence
// longer than the timeout is a loss. Indicators that take commands on the same
// line (often "Z", "T") can be zeroed and tared with configured command strings;
// the stream shows whether it worked.
import { ScaleNotSupported, type ScaleCapabilities } from './driver.ts';
import { LinkScaleDriver, printable, type LinkDriverOptions } from './link-driver.ts';
import { compileLinePattern, parseContinuousLine, type LinePattern } from './continuous.ts';
import type { ScaleReading } from './reading.ts';

export interface ContinuousCommands {
  zero?: string;
  tare?: string;
  clear_tare?: string;
}

export interface ContinuousOptions extends Omit<LinkDriverOptions, 'protocol'> {
  pattern?: LinePattern;
  commands?: ContinuousCommands;
}

export class ContinuousScale extends LinkScaleDriver {
  readonly hasStableFlag: boolean;
  override readonly capabilities: ScaleCapabilities;
  private readonly parse: (line: string) => ScaleReading | undefined;
  private readonly commands: ContinuousCommands;

  constructor(opts: ContinuousOptions) {
    super({ ...opts, protocol: 'continuous' });
    if (opts.pattern) {
      const compiled = compileLinePattern(opts.pattern);
      this.parse = compiled.parse;
      this.hasStableFlag = compiled.hasStableFlag;
    } else {
      this.parse = parseContinuousLine;
      this.hasStableFlag = true;
    }
    this.commands = opts.commands ?? {};
    this.capabilities = { zero: !!this.commands.zero, tare: !!this.commands.tare, presetTare: false, clearTare: !!this.commands.clear_tare };
  }

  protected override onFrame(frame: string): void {
    const r = this.parse(frame);
    if (r) this.deliver(r);
    else this.garble(frame, 'not a weight line');
  }

  override async zero(): Promise<void> {
    await this.send('zero', this.commands.zero);
    this.filter.reset();
  }

  override async tare(): Promise<number | undefined> {
    await this.send('tare', this.commands.tare);
    this.filter.reset();
    return undefined;
  }

  override presetTare(_grams: number): Promise<void> {
    return Promise.reject(new ScaleNotSupported('preset tare', 'continuous', 'a continuous line only streams weights'));
  }

  override async clearTare(): Promise<void> {
    await this.send('clear tare', this.commands.clear_tare);
  }

  private async send(what: string, command: string | undefined): Promise<void> {
    if (!command) throw new ScaleNotSupported(what, 'continuous', `no \`commands.${what.replace(' ', '_')}\` configured for this indicator`);
    this.checkRunning(what);
    try {
      await this.link.write(command);
    } catch (err) {
      throw new Error(`${what} (${printable(command)}): ${(err as Error).message}`);
    }
  }
}
