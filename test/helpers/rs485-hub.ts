// An RS-485 multi-drop line made of socat pty pairs: whatever the master (the
// gateway) sends reaches every device, whatever a device sends reaches the
// master — so meters of different protocols can share one line in a test, as
// they do on a real bus.
import { SerialPort } from 'serialport';
import { ptyPair } from '../peers/modbus.ts';

export interface Rs485Line {
  /** the gateway's end */
  master: string;
  /** one end per device */
  devices: string[];
  stop(): Promise<void>;
}

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export async function rs485Line(deviceCount: number): Promise<Rs485Line> {
  const masterPair = await ptyPair();
  const devicePairs = await Promise.all(Array.from({ length: deviceCount }, () => ptyPair()));
  const hubMaster = await open(masterPair.a);
  const hubDevices = await Promise.all(devicePairs.map((p) => open(p.a)));
  hubMaster.on('data', (chunk: Buffer) => hubDevices.forEach((d) => d.write(chunk)));
  for (const d of hubDevices) d.on('data', (chunk: Buffer) => hubMaster.write(chunk));
  return {
    master: masterPair.b,
    devices: devicePairs.map((p) => p.b),
    async stop() {
      await Promise.all([hubMaster, ...hubDevices].map((p) => new Promise((r) => p.close(() => r(undefined)))));
      await Promise.all([masterPair, ...devicePairs].map((p) => p.stop()));
    },
  };
}
