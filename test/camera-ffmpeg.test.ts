// The ffmpeg frame source against real video streams made with ffmpeg from the photos of
// ../shared/images (in a temp dir, never committed): frame count, size and content; the
// end of a file and a killed feeding process are drops restarted with backoff; a stream
// that sends nothing is killed by the stall watchdog; stop() kills the child.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cameraConfigSchema, createFrameSource } from '../drivers/camera/config.ts';
import { ffmpegArgs, FfmpegFrameSource, parseInput, redactUrl, type FfmpegSourceOptions } from '../drivers/camera/ffmpeg-source.ts';
import type { Frame } from '../drivers/camera/file-source.ts';
import type { SourceHealth } from '../drivers/camera/health.ts';
import { MotionGate } from '../drivers/camera/motion.ts';
import { image } from '../bench/recognition/photos.ts';
import { freePort } from './helpers/ports.ts';

const FFMPEG = '/usr/bin/ffmpeg';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'camera-ffmpeg-'));
/** darknet_person.jpg (640×424) for 2 s, then an empty grey scene for 2 s; 10 fps H.264 */
const SCENE = path.join(tmp, 'scene.mp4');
/** 1 s of the person photo */
const SHORT = path.join(tmp, 'short.mp4');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p'];
  execFileSync(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-loop', '1', '-framerate', '10', '-t', '2', '-i', image('darknet_person.jpg'),
    '-f', 'lavfi', '-i', 'color=c=0x808080:s=640x424:r=10:d=2',
    '-filter_complex', '[0]scale=640:424,setsar=1,format=yuv420p[a];[1]setsar=1,format=yuv420p[b];[a][b]concat=n=2:v=1[v]',
    '-map', '[v]', ...enc, SCENE,
  ]);
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', '10', '-t', '1', '-i', image('darknet_person.jpg'), '-vf', 'scale=640:424', ...enc, SHORT]);
});

interface Recorder {
  frames: Frame[];
  errors: string[];
  states: SourceHealth[];
  opts: Pick<FfmpegSourceOptions, 'onFrame' | 'onError' | 'onState'>;
}
function recorder(): Recorder {
  const r: Recorder = { frames: [], errors: [], states: [], opts: {} as Recorder['opts'] };
  r.opts = { onFrame: (f) => r.frames.push(f), onError: (e) => r.errors.push(e.message), onState: (h) => r.states.push(h) };
  return r;
}

const sources: FfmpegFrameSource[] = [];
const feeders: ChildProcess[] = [];
afterAll(async () => {
  for (const f of feeders) f.kill('SIGKILL');
  await Promise.all(sources.map((s) => s.stop()));
});
function source(o: FfmpegSourceOptions): FfmpegFrameSource {
  const s = new FfmpegFrameSource({ ffmpegPath: FFMPEG, ...o });
  sources.push(s);
  return s;
}

/** mean and spread of one channel over a rectangle of a frame */
function stats(f: Frame, x0: number, y0: number, w: number, h: number): { mean: number; sd: number } {
  let s = 0;
  let s2 = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const v = f.rgb[(y * f.width + x) * 3 + 1]!;
      s += v;
      s2 += v * v;
    }
  }
  const n = w * h;
  return { mean: s / n, sd: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) };
}

describe('ffmpeg source: a video file', () => {
  it('reads 4 s at 5 fps as 320×180 RGB: ~20 frames, the photo then the empty scene; the end of the file is a drop', async () => {
    const rec = recorder();
    const s = source({ url: SCENE, fps: 5, width: 320, height: 180, backoff: { initialMs: 60_000 }, ...rec.opts });
    const t0 = Date.now();
    s.start();
    expect(s.health().state).toBe('starting');
    await until('the end of the file', () => s.health().state === 'offline');
    const took = Date.now() - t0;
    await s.stop();

    expect(took).toBeGreaterThan(3500); // -re: read at the file's own rate
    expect(rec.frames.length).toBeGreaterThanOrEqual(18);
    expect(rec.frames.length).toBeLessThanOrEqual(21);
    for (const [i, f] of rec.frames.entries()) {
      expect(f.rgb.length).toBe(320 * 180 * 3);
      expect([f.width, f.height, f.seq]).toEqual([320, 180, i + 1]);
    }
    const first = rec.frames[1]!;
    const last = rec.frames.at(-2)!;
    // 640×424 fitted into 320×180: 272×180 in the middle, black bars of 24 px left and right
    expect(stats(first, 0, 0, 20, 180).mean).toBeLessThan(3);
    expect(stats(first, 40, 20, 240, 140).sd).toBeGreaterThan(20); // a photo
    const grey = stats(last, 40, 20, 240, 140);
    expect(grey.sd).toBeLessThan(2); // an empty, flat scene
    expect(Math.abs(grey.mean - 128)).toBeLessThan(4);
    // frames came at ~5 fps
    const span = rec.frames.at(-3)!.at - rec.frames[2]!.at;
    expect(span / (rec.frames.length - 5)).toBeGreaterThan(120);

    const h = s.health();
    expect(h.state).toBe('stopped');
    expect(h.frames).toBe(rec.frames.length);
    expect(h.lastFrameAt).toBe(rec.frames.at(-1)!.at);
    expect(h.lastError).toBe('the stream ended (ffmpeg exited 0)');
    expect(rec.states.map((x) => x.state)).toEqual(['starting', 'online', 'offline', 'stopped']);
  });

  it('the motion gate on those frames: the first passes, the change to the empty scene passes, the rest are skipped', async () => {
    const rec = recorder();
    const s = source({ url: SCENE, fps: 5, width: 320, height: 180, realtime: false, backoff: { initialMs: 60_000 }, ...rec.opts });
    s.start();
    await until('the end of the file', () => s.health().state === 'offline');
    await s.stop();
    const gate = new MotionGate();
    const decisions = rec.frames.map((f) => gate.check(f));
    expect(decisions.filter((d) => d.run).map((d) => d.reason)).toEqual(['first', 'motion']);
    const change = decisions.findIndex((d) => d.reason === 'motion');
    expect(change).toBeGreaterThanOrEqual(9); // 2 s of the photo at 5 fps
    expect(change).toBeLessThanOrEqual(11);
    expect(decisions[change]!.ratio).toBeGreaterThan(0.5);
    expect(gate.stats).toMatchObject({ frames: rec.frames.length, passed: 2, skipped: rec.frames.length - 2 });
  });

  it('a file that ends without loop is restarted with exponential backoff, and health says so', async () => {
    const rec = recorder();
    const s = source({ url: SHORT, fps: 5, width: 160, height: 90, backoff: { initialMs: 150, maxMs: 1000 }, ...rec.opts });
    s.start();
    await until('two restarts', () => s.health().restarts >= 2 && s.health().state === 'online', 20_000);
    const h = s.health();
    await s.stop();
    expect(rec.errors[0]).toMatch(/the stream ended \(ffmpeg exited 0\); restarting in 150 ms/);
    expect(rec.errors[1]).toMatch(/restarting in 300 ms/);
    expect(h.backoffMs).toBe(600);
    expect(h.lastError).toBe('the stream ended (ffmpeg exited 0)');
    // frames from every run; seq keeps counting across restarts
    expect(rec.frames.length).toBeGreaterThan(10);
    expect(rec.frames.map((f) => f.seq)).toEqual(rec.frames.map((_, i) => i + 1));
    const seq = rec.states.map((x) => x.state);
    expect(seq.slice(0, 7)).toEqual(['starting', 'online', 'offline', 'starting', 'online', 'offline', 'starting']);
  });

  it('loop: the same file plays on, no restarts; stop() kills ffmpeg and resolves', async () => {
    const rec = recorder();
    const s = source({ url: SHORT, loop: true, fps: 5, width: 160, height: 90, ...rec.opts });
    s.start();
    await until('3 s of frames', () => rec.frames.length >= 15, 20_000);
    const pid = s.pid;
    expect(alive(pid)).toBe(true);
    expect(s.health()).toMatchObject({ state: 'online', restarts: 0, lastError: null });
    const t0 = Date.now();
    await s.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(alive(pid)).toBe(false);
    const n = rec.frames.length;
    await sleep(400);
    expect(rec.frames.length).toBe(n); // nothing after stop
    expect(s.health().state).toBe('stopped');
  });
});

describe('ffmpeg source: a network stream', () => {
  it('the feeding process is killed: offline, retries with growing backoff, online again when it is back', async () => {
    const port = await freePort();
    const feed = () => {
      const f = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', SCENE, '-c', 'copy', '-f', 'mpegts', `tcp://127.0.0.1:${port}?listen=1`], { stdio: 'ignore' });
      feeders.push(f);
      return f;
    };
    const rec = recorder();
    const s = source({
      url: `tcp://127.0.0.1:${port}`,
      fps: 5,
      width: 160,
      height: 90,
      // a small probe: the test stream is a few kB/s and ffmpeg would wait seconds to fill its default probe
      extraInputArgs: ['-analyzeduration', '500000', '-probesize', '65536'],
      backoff: { initialMs: 100, maxMs: 800 },
      stableMs: 60_000,
      ...rec.opts,
    });
    // the camera is not there yet: connection refused, retried with backoff
    s.start();
    await until('3 failed attempts', () => s.health().restarts >= 3);
    expect(s.health().state).not.toBe('online');
    expect(rec.errors[0]).toMatch(/Connection refused; restarting in 100 ms/);
    expect(rec.errors[1]).toMatch(/restarting in 200 ms/);

    let feeder = feed();
    await until('online', () => s.health().state === 'online', 20_000);
    const framesBefore = s.health().frames;
    await until('more frames', () => s.health().frames >= framesBefore + 5);

    feeder.kill('SIGKILL');
    await until('offline after the feeder died', () => s.health().state === 'offline');
    const down = s.health();
    expect(down.lastError).toMatch(/stream ended|exited/);
    expect(down.nextRetryAt).toBeGreaterThan(Date.now() - 100);
    await until('retries while the feeder is down', () => s.health().restarts >= down.restarts + 2);
    expect(s.health().state).not.toBe('online');
    expect(s.health().backoffMs).toBe(800); // capped

    feeder = feed();
    await until('online again', () => s.health().state === 'online', 20_000);
    const n = s.health().frames;
    await until('frames again', () => s.health().frames >= n + 3);
    await s.stop();
    feeder.kill('SIGKILL');
  });

  it('a stream that sends nothing: the stall watchdog kills ffmpeg and restarts it', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const rec = recorder();
    const s = source({ url: `tcp://127.0.0.1:${port}`, fps: 5, width: 160, height: 90, stallTimeoutMs: 600, backoff: { initialMs: 100 }, ...rec.opts });
    s.start();
    await until('two stalls', () => s.health().restarts >= 2);
    const pid = s.pid;
    await s.stop();
    expect(rec.errors[0]).toMatch(/no frame for \d+ ms \(stall timeout 600 ms\)/);
    expect(s.health()).toMatchObject({ state: 'stopped', frames: 0 });
    expect(alive(pid)).toBe(false);
    for (const sock of sockets) sock.destroy();
    silent.close();
  });

  it('ffmpeg missing: offline with the reason, retried', async () => {
    const rec = recorder();
    const s = source({ url: SHORT, fps: 5, width: 32, height: 18, ffmpegPath: path.join(tmp, 'no-ffmpeg'), backoff: { initialMs: 50 }, ...rec.opts });
    s.start();
    await until('retries', () => s.health().restarts >= 2);
    await s.stop();
    expect(s.health().lastError).toMatch(/ffmpeg not found .*no-ffmpeg/);
  });
});

describe('ffmpeg arguments and the camera config', () => {
  it('RTSP over TCP, V4L2, looped files, other URLs', () => {
    const base = { fps: 5, width: 640, height: 360 };
    expect(ffmpegArgs({ ...base, url: 'rtsp://admin:pw@10.0.0.7:554/Streaming/Channels/102' }).join(' ')).toBe(
      '-hide_banner -nostdin -loglevel error -rtsp_transport tcp -i rtsp://admin:pw@10.0.0.7:554/Streaming/Channels/102 ' +
        '-an -sn -dn -vf fps=5,scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2:black,setsar=1 -f rawvideo -pix_fmt rgb24 -',
    );
    expect(ffmpegArgs({ ...base, url: 'v4l2:///dev/video0', inputFormat: 'mjpeg', inputSize: '1280x720', fit: 'stretch' }).join(' ')).toBe(
      '-hide_banner -nostdin -loglevel error -f v4l2 -input_format mjpeg -video_size 1280x720 -i /dev/video0 -an -sn -dn -vf fps=5,scale=640:360,setsar=1 -f rawvideo -pix_fmt rgb24 -',
    );
    expect(ffmpegArgs({ ...base, url: '/data/loop.mp4', loop: true })).toEqual(expect.arrayContaining(['-stream_loop', '-1', '-re', '-i', '/data/loop.mp4']));
    expect(ffmpegArgs({ ...base, url: 'http://cam/stream.mjpg' })).not.toContain('-re');
    expect(parseInput('file:///data/a.mp4')).toEqual({ kind: 'file', path: '/data/a.mp4' });
    expect(() => parseInput('v4l2://dev/video0')).toThrow('expected v4l2:///dev/videoN');
    expect(redactUrl('rtsp://admin:secret@10.0.0.7:554/x')).toBe('rtsp://admin:***@10.0.0.7:554/x');
  });

  it('the config schema: defaults, url checked, every key described', () => {
    const cam = cameraConfigSchema.parse({ id: 'line-1', source: { type: 'ffmpeg', url: 'rtsp://10.0.0.7/main' } });
    expect(cam).toMatchObject({
      fps: 1,
      width: 640,
      height: 360,
      required: false,
      source: { type: 'ffmpeg', loop: false, realtime: true, rtsp_transport: 'tcp', fit: 'contain', stall_timeout_ms: 10_000, backoff: { min_ms: 1000, max_ms: 30_000, stable_ms: 10_000 } },
      motion: { enabled: true, pixel_threshold: 12, min_changed_ratio: 0.01 },
    });
    expect(cameraConfigSchema.safeParse({ id: 'x', source: { type: 'files', path: 'sim-camera' } }).success).toBe(true);
    const bad = cameraConfigSchema.safeParse({ id: 'x', source: { type: 'ffmpeg', url: 'v4l2://video0' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['source', 'url']);
    expect(cameraConfigSchema.safeParse({ id: 'x', source: { type: 'ffmpeg', url: 'a.mp4', lop: true } }).success).toBe(false); // strict

    const undescribed: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as { properties?: Record<string, { description?: string }>; anyOf?: unknown[]; oneOf?: unknown[] };
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        if (!v.description && !(v as { anyOf?: unknown }).anyOf && !(v as { oneOf?: unknown }).oneOf) undescribed.push(`${at}${k}`);
        walk(v, `${at}${k}.`);
      }
      for (const alt of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) walk(alt, at);
    };
    walk(z.toJSONSchema(cameraConfigSchema, { io: 'input' }), '');
    expect(undescribed).toEqual([]);
  });

  it('createFrameSource: files (as before) and ffmpeg, the same health shape', async () => {
    const rec = recorder();
    const files = createFrameSource(cameraConfigSchema.parse({ id: 'f', fps: 10, width: 64, height: 36, source: { type: 'files', path: path.dirname(image('skimage_coffee.png')) } }), rec.opts);
    files.start();
    await until('a file frame', () => rec.frames.length >= 2);
    expect(files.health()).toMatchObject({ state: 'online', restarts: 0 });
    await files.stop();
    expect(rec.frames[0]!.rgb.length).toBe(64 * 36 * 3);
    expect(files.health().state).toBe('stopped');

    const rec2 = recorder();
    const ff = createFrameSource(cameraConfigSchema.parse({ id: 'v', fps: 5, width: 64, height: 36, source: { type: 'ffmpeg', url: SHORT, loop: true, ffmpeg: FFMPEG } }), rec2.opts);
    expect(ff).toBeInstanceOf(FfmpegFrameSource);
    ff.start();
    await until('an ffmpeg frame', () => rec2.frames.length >= 2);
    expect(Object.keys(ff.health()).sort()).toEqual(Object.keys(files.health()).sort());
    await ff.stop();
  });
});
