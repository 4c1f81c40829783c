// DS18B20 temperature probes on a Raspberry Pi's 1-Wire bus, read through the kernel's
// w1-therm driver: /sys/bus/w1/devices/28-*/w1_slave holds two lines, the scratchpad
// with the driver's CRC verdict, then the temperature in thousandths of a degree:
//
//   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
//   72 01 4b 46 7f ff 0e 10 57 t=23125
//
// A read whose CRC failed ("NO"), a garbled file, the power-on value 85 °C (the probe
// answered before it converted) and values outside the part's −55…+125 °C range are
// refused with their reason — never turned into a number.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const W1_DEVICES_DIR = '/sys/bus/w1/devices';
/** DS18B20 datasheet: measuring range −55 °C to +125 °C; 85 °C is the power-on reset value of the register */
const MIN_C = -55;
const MAX_C = 125;
const POWER_ON_MILLI = 85_000;

export type W1Refusal = 'crc' | 'garbled' | 'power-on' | 'out-of-range';
export type W1Reading = { ok: true; celsius: number } | { ok: false; reason: W1Refusal; detail: string };

/** Parses the text of one w1_slave file. */
export function parseW1Slave(text: string): W1Reading {
  const lines = text.trim().split('\n');
  const crc = /crc=[0-9a-f]{2} (YES|NO)\s*$/i.exec(lines[0] ?? '');
  const t = /(?:^|\s)t=(-?\d+)\s*$/.exec(lines[1] ?? '');
  if (!crc || !t || lines.length !== 2) return { ok: false, reason: 'garbled', detail: `unexpected w1_slave text (${JSON.stringify(text.slice(0, 80))})` };
  if (crc[1]!.toUpperCase() !== 'YES') return { ok: false, reason: 'crc', detail: 'the probe\'s CRC check failed' };
  const milli = Number(t[1]);
  if (milli === POWER_ON_MILLI) return { ok: false, reason: 'power-on', detail: '85 °C is the power-on value: the probe had not converted yet' };
  const celsius = milli / 1000;
  if (celsius < MIN_C || celsius > MAX_C) return { ok: false, reason: 'out-of-range', detail: `${celsius} °C is outside the DS18B20's ${MIN_C}…${MAX_C} °C` };
  return { ok: true, celsius };
}

/** Reads one probe; throws (ENOENT…) when the device file is not there. */
export async function readDs18b20(device: string, dir = W1_DEVICES_DIR): Promise<W1Reading> {
  return parseW1Slave(await readFile(path.join(dir, device, 'w1_slave'), 'utf8'));
}

/** The DS18B20 probes present (family code 28). */
export async function listDs18b20(dir = W1_DEVICES_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((d) => d.startsWith('28-')).sort();
}
