// The line a one-shot meter read (`dlt645 read`, `cjt188 read`) talks over: a serial port
// (--port, --baud, --parity) or a TCP converter (--tcp), with --timeout and --retries.
import { SerialByteStream, TcpByteStream, type ByteStream, type Parity } from '../../drivers/serial/byte-stream.ts';
import { SharedBus } from '../../drivers/serial/shared-bus.ts';
import { UsageError, intFlag, parseHostPort } from './command.ts';

/** Opens the line the flags name; `line` is the protocol's default serial settings. */
export function openMeterLine(values: Parameters<typeof intFlag>[0], line: { baudRate: number; parity: string }): { bus: SharedBus; description: string; timeoutMs: number; retries: number } {
  const port = values.port as string | undefined;
  const tcp = values.tcp as string | undefined;
  if ((port === undefined) === (tcp === undefined)) throw new UsageError('expected exactly one of --port PATH or --tcp HOST:PORT');
  if (tcp !== undefined && (values.baud !== undefined || values.parity !== undefined)) {
    throw new UsageError('--baud and --parity set the serial line: use them with --port, not --tcp (the converter sets its own line)');
  }
  const timeoutMs = intFlag(values, 'timeout', 1000, 1, 60_000);
  const retries = intFlag(values, 'retries', 1, 0, 10);
  let stream: ByteStream;
  if (port !== undefined) {
    const baudRate = intFlag(values, 'baud', line.baudRate, 50, 4_000_000);
    const parity = (values.parity as string | undefined) ?? line.parity;
    if (!['none', 'even', 'odd'].includes(parity)) throw new UsageError(`--parity "${parity}": expected none, even or odd`);
    stream = new SerialByteStream({ path: port, baudRate, dataBits: 8, parity: parity as Parity, stopBits: 1 });
  } else {
    const { host, port: tcpPort } = parseHostPort(tcp!, '--tcp');
    stream = new TcpByteStream(host, tcpPort);
  }
  return { bus: new SharedBus(stream, { interRequestDelayMs: 20 }), description: stream.description, timeoutMs, retries };
}
