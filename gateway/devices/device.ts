/** A running device adapter: drives one driver and reports to the tracker and bus. */
export interface Device {
  readonly id: string;
  start(): void;
  /** stops polling or streaming and closes the port; resolves when nothing is in flight */
  stop(): Promise<void>;
}
