// The base of the drivers that talk over a ScaleLink (serial or TCP): MT-SICS,
// Toledo, continuous. Reports the line going away and coming back, counts
// timeouts and garbled frames.
import { ScaleDriverBase, ScaleCommandError, type DriverOptions } from './driver.ts';
import { LinkDown, ReplyTimeout, ScaleLink, type LinkOptions, type ScaleTransport } from './link.ts';

export interface LinkDriverOptions extends DriverOptions {
  transport: ScaleTransport;
  link?: LinkOptions;
  /** wait for one reply to a poll */
  replyTimeoutMs: number;
  /** wait for the reply to zero / tare (a scale may wait for stability first) */
  commandTimeoutMs?: number;
}

export abstract class LinkScaleDriver extends ScaleDriverBase {
  protected readonly link: ScaleLink;

  constructor(protected override readonly opts: LinkDriverOptions) {
    super(opts);
    this.link = new ScaleLink(opts.transport, opts.link);
  }

  get description(): string {
    return this.link.description;
  }

  protected begin(): void {
    this.link.on('up', () => {
      this.opened();
      this.onUp();
    });
    this.link.on('down', (reason) => this.lose(`${this.link.description}: ${reason}`));
    this.link.on('frame', (frame) => this.onFrame(frame));
    this.link.on('dropped', (why, bytes) => this.garble(`(${bytes} bytes)`, why === 'overlong' ? `over-long frame (${bytes} bytes) dropped` : `partial frame of ${bytes} bytes when the line closed`));
    this.link.start();
  }

  protected async end(): Promise<void> {
    await this.link.stop();
    this.link.removeAllListeners();
  }

  protected override canPoll(): boolean {
    return this.link.isUp;
  }

  /** the line is open (again) */
  protected onUp(): void {}

  /** a frame no request was waiting for; polled protocols count it as garbled */
  protected onFrame(frame: string): void {
    this.garble(frame, 'unexpected frame');
  }

  /** One request; a timeout is counted, every failure is a ScaleCommandError or LinkDown. */
  protected async ask(command: string, accept: (frame: string) => boolean, timeoutMs = this.opts.replyTimeoutMs): Promise<string> {
    try {
      return await this.link.request(command, accept, timeoutMs);
    } catch (err) {
      if (err instanceof ReplyTimeout) {
        this.counters.timeouts += 1;
        throw new ScaleCommandError(`${printable(command)}: ${err.message}`);
      }
      if (err instanceof LinkDown) throw new ScaleCommandError(`${printable(command)}: ${err.message}`);
      throw err;
    }
  }

  protected get commandTimeoutMs(): number {
    return this.opts.commandTimeoutMs ?? Math.max(this.opts.replyTimeoutMs, 3000);
  }
}

/** A command or frame with its control characters visible: "SI\r\n" → "SI␍␊". */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\r' ? '␍' : c === '\n' ? '␊' : c === '\x02' ? '␂' : c === '\x03' ? '␃' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
