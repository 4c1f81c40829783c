// One request at a time on a shared line (an RS-485 bus, a TCP converter, a
// Modbus TCP connection): whoever holds the lock owns the line until it is done.
export class BusLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
