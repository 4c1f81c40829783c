import { describe, expect, it } from 'vitest';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { DeviceTracker, OFFLINE_AFTER } from '../gateway/devices/tracker.ts';
import { Metrics } from '../gateway/metrics.ts';
import type { DeviceStatus } from '../gateway/wire/devices.ts';

describe('device tracker', () => {
  it('moves starting → online → degraded → offline → online and announces each change once', () => {
    const bus = new EventBus();
    const changes: string[] = [];
    bus.on('device:state', (d: DeviceStatus) => changes.push(d.state));
    const t = new DeviceTracker(bus, new Metrics());
    t.register('m1', 'meter', true);
    expect(t.notReady()).toEqual(['meter m1 is starting']);
    t.ok('m1');
    t.ok('m1');
    t.failed('m1', 'timeout');
    for (let i = 1; i < OFFLINE_AFTER; i++) t.failed('m1', 'timeout');
    expect(t.notReady()).toEqual(['meter m1 is offline: timeout']);
    t.ok('m1');
    expect(changes).toEqual(['online', 'degraded', 'offline', 'online']);
    expect(t.list()[0]).toMatchObject({ id: 'm1', state: 'online', lastError: 'timeout' });
  });

  it('a subscriber that throws does not stop the others', () => {
    const errors: string[] = [];
    const bus = new EventBus((event) => errors.push(event));
    let delivered = 0;
    bus.on('device:state', () => {
      throw new Error('boom');
    });
    bus.on('device:state', () => delivered++);
    const t = new DeviceTracker(bus, new Metrics());
    t.register('s', 'scale', false);
    t.ok('s');
    expect(delivered).toBe(1);
    expect(errors).toEqual(['device:state']);
  });
});
