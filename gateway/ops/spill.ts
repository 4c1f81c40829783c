// A reserve of disk space, set aside while there is room, for the few lines that must
// outlive a crash while the disk is full (staff audit lines, alerts): the file is
// written full of zeros at start, so writing a line later overwrites blocks the file
// already owns and needs no free space (true of ext4 and tmpfs; a copy-on-write
// filesystem such as btrfs would need new blocks, and the line is then only in memory
// and the log). Lines are `u32 length (LE) + JSON`, one after the other; a zero length
// ends them. Read back and cleared once they are in SQLite.
import { closeSync, existsSync, fsyncSync, openSync, readSync, statSync, writeSync } from 'node:fs';

const HEADER = 4;

export class SpillFile {
  private fd: number | null = null;
  /** where the next line goes */
  private end = 0;

  private constructor(
    readonly file: string,
    readonly bytes: number,
  ) {}

  /**
   * Opens the reserve, making it (`bytes` of zeros, synced) when it is missing. Throws when
   * it cannot be made (the disk is already full at start): the caller goes on without it.
   */
  static open(file: string, bytes: number): SpillFile {
    const spill = new SpillFile(file, bytes);
    if (!existsSync(file) || statSync(file).size < bytes) {
      const fd = openSync(file, 'w', 0o600);
      try {
        const zeros = Buffer.alloc(Math.min(bytes, 256 * 1024));
        for (let at = 0; at < bytes; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    spill.fd = openSync(file, 'r+');
    spill.end = spill.scan().end;
    return spill;
  }

  /** Writes one line durably into the reserve; false when it does not fit (the reserve is used up). */
  append(line: unknown): boolean {
    if (this.fd === null) return false;
    const json = Buffer.from(JSON.stringify(line));
    if (this.end + HEADER + json.length + HEADER > this.bytes) return false;
    const buf = Buffer.alloc(HEADER + json.length);
    buf.writeUInt32LE(json.length, 0);
    json.copy(buf, HEADER);
    writeSync(this.fd, buf, 0, buf.length, this.end);
    fsyncSync(this.fd);
    this.end += buf.length;
    return true;
  }

  /** The lines held, oldest first. */
  lines<T>(): T[] {
    return this.scan().lines as T[];
  }

  /** Forgets every line (call once they are written elsewhere): zeros over what was used. */
  clear(): void {
    if (this.fd === null || this.end === 0) return;
    writeSync(this.fd, Buffer.alloc(this.end), 0, this.end, 0);
    fsyncSync(this.fd);
    this.end = 0;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private scan(): { lines: unknown[]; end: number } {
    const lines: unknown[] = [];
    if (this.fd === null) return { lines, end: 0 };
    const data = Buffer.alloc(this.bytes);
    readSync(this.fd, data, 0, this.bytes, 0);
    let at = 0;
    while (at + HEADER <= this.bytes) {
      const n = data.readUInt32LE(at);
      if (n === 0 || at + HEADER + n > this.bytes) break;
      try {
        lines.push(JSON.parse(data.subarray(at + HEADER, at + HEADER + n).toString('utf8')));
      } catch {
        break; // a line torn by a crash mid-write: it and what follows were never acknowledged
      }
      at += HEADER + n;
    }
    return { lines, end: at };
  }
}
