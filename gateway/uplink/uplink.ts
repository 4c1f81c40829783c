// What every uplink (HTTP, MQTT, the building-energy TCP protocol) offers the
// forwarder: send one ordered batch of one stream, and say how it went.
import type { StoredRecord } from '../outbox/outbox.ts';
import type { Stream } from '../wire/streams.ts';

export interface SendResult {
  /** records the receiver refused as malformed, with its reason; the rest were taken */
  rejected?: { id: string; reason: string }[];
  /** ranges the receiver asks to have sent again (backfill) */
  backfill?: { stream: Stream; fromSeq: number; toSeq: number }[];
  /**
   * The uplink took only the batch's records up to this sequence number (one
   * acknowledged report of a protocol that acknowledges report by report, jgj285);
   * the rest were not sent and come again in the next batch. Unset: the whole batch.
   */
  upTo?: number;
}

/** The receiver refused the whole batch as malformed (HTTP 4xx): retrying cannot help. */
export class BatchRejected extends Error {}

export interface Uplink {
  readonly id: string;
  readonly streams: Stream[];
  /** Resolves when the receiver acknowledged the batch; throws BatchRejected, or anything else to retry. `signal` aborts on shutdown. */
  send(stream: Stream, batch: StoredRecord[], batchId: string, signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
  /** Uplinks that know when their connection is back (MQTT) call this, so a backing-off forwarder retries at once. */
  onReady?(listener: () => void): void;
  /**
   * Uplinks that hold a long-lived connection (MQTT) drop it and connect again: the
   * forwarder's watchdog calls this when the link is stalled, since a connection that
   * looks up but carries no answers (a silent broker, a NAT that forgot the flow) is
   * otherwise noticed only by the keep-alive, minutes later.
   */
  reset?(reason: string): void;
}
