// A port another program holds: one plain line naming the port, the part of the
// gateway that wanted it and how to move it (not a JSON stack trace), exit 1.
export class PortInUse extends Error {
  constructor(
    readonly port: number,
    /** what wanted it, in words: "the web server (kiosk pages)" */
    readonly part: string,
    /** the config key that sets it */
    readonly key: string,
  ) {
    super(`port ${port} is already in use by another program: ${part} (${key}) cannot listen on it`);
  }

  /** The line the terminal shows. */
  line(configFile: string): string {
    return (
      `canteen-edge start: port ${this.port} is already in use by another program; ${this.part} cannot listen on it. ` +
      `Change ${this.key} in ${configFile}, or set CANTEEN_EDGE_PORT=<free port> (the web server takes that port and the simulators on their shipped ports the next four), or stop the other program.`
    );
  }
}

/** Runs `listen`; an address in use becomes a PortInUse naming the part. */
export async function claimPort<T>(port: number, part: string, key: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EADDRINUSE') throw new PortInUse(port, part, key);
    throw err;
  }
}
