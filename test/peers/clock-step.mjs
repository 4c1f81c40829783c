// TEST-ONLY clock step for the fault harness, loaded into the gateway process with
// NODE_OPTIONS="--import <this file>" — the gateway itself has no clock hook. It
// steps the wall clock (Date.now(), new Date()) by the number of milliseconds written
// in the file named by CANTEEN_EDGE_TEST_CLOCK_FILE, as an NTP correction or an RTC
// reset would; the monotonic clock (performance.now, timers) is untouched, as on a
// real box. The file is read every 100 ms; absent or empty means no offset.
import { readFileSync } from 'node:fs';

const file = process.env.CANTEEN_EDGE_TEST_CLOCK_FILE;
if (file) {
  const RealDate = Date;
  let offset = 0;
  const read = () => {
    try {
      const v = Number(readFileSync(file, 'utf8').trim() || 0);
      offset = Number.isFinite(v) ? v : 0;
    } catch {
      offset = 0;
    }
  };
  read();
  setInterval(read, 100).unref();
  class SteppedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = SteppedDate;
}
