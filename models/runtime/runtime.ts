// Where ONNX sessions live and run.
//
// onnxruntime-node 1.30 is NOT asynchronous where it matters: `session.run()` returns a
// promise, but the inference itself is one synchronous native call made from a
// setImmediate on the calling thread (node_modules/onnxruntime-node/dist/backend.js);
// session creation is the same. Run on the main thread, a 25 ms inference is 25 ms in
// which no timer, socket or scale line is served. So by default every session lives in
// one worker thread (`ort-worker.mjs`) and the main thread only posts tensors to it.
// `inline` keeps sessions on the calling thread: for benchmarks and for comparison.
import { Worker } from 'node:worker_threads';

export interface TensorData {
  data: Float32Array;
  dims: number[];
}

export interface TensorInfo {
  name: string;
  type: string;
  /** numbers for fixed dimensions, names for dynamic ones */
  shape: (number | string)[];
}

/** The onnxruntime session options a registry may set. */
export interface SessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  /** 0 verbose … 4 fatal; default 3 (errors only) */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** onnxruntime session config entries, nested: { session: { intra_op: { allow_spinning: '0' } } } */
  extra?: Record<string, unknown>;
}

export interface RunOptions {
  /** output names to compute; default all */
  fetches?: string[];
  /** hand the input buffers to the worker instead of copying them (the caller's arrays become empty) */
  transfer?: boolean;
}

export interface SessionHandle {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  run(feeds: Record<string, TensorData>, opts?: RunOptions): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export type RuntimeKind = 'worker' | 'inline';

export interface InferenceRuntime {
  readonly kind: RuntimeKind;
  load(file: string, options: SessionOptions): Promise<SessionHandle>;
  /** called when every session was lost (the worker died); they must be loaded again */
  onReset(cb: (err: Error) => void): void;
  close(): Promise<void>;
}

export function createRuntime(kind: RuntimeKind): InferenceRuntime {
  return kind === 'inline' ? new InlineRuntime() : new WorkerRuntime();
}

// ------------------------------------------------------------------ worker

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

const WORKER_URL = new URL('./ort-worker.mjs', import.meta.url);

class WorkerRuntime implements InferenceRuntime {
  readonly kind = 'worker' as const;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private generation = 0;
  private closed = false;
  private readonly resetListeners: ((err: Error) => void)[] = [];

  onReset(cb: (err: Error) => void): void {
    this.resetListeners.push(cb);
  }

  private ensure(): Worker {
    if (this.closed) throw new Error('the inference runtime is closed');
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_URL, { stdout: false, stderr: false });
    const gen = ++this.generation;
    w.on('message', (msg: { id: number; ok: boolean; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) w.unref();
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(msg.error));
    });
    const lost = (err: Error) => {
      if (this.generation !== gen || this.worker !== w) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!this.closed) for (const cb of this.resetListeners) cb(err);
    };
    w.on('error', (err) => lost(new Error(`inference worker failed: ${err.message}`)));
    w.on('exit', (code) => lost(new Error(`inference worker exited (code ${code})`)));
    w.unref(); // an idle worker never keeps the process alive; it is ref'd while a call is pending
    this.worker = w;
    return w;
  }

  private call<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    const w = this.ensure();
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ ...msg, id }, transfer);
    });
  }

  async load(file: string, options: SessionOptions): Promise<SessionHandle> {
    const r = await this.call<{ key: number; inputs: TensorInfo[]; outputs: TensorInfo[] }>({ op: 'load', file, options });
    const gen = this.generation;
    const self = this;
    return {
      inputs: r.inputs,
      outputs: r.outputs,
      async run(feeds, opts = {}) {
        if (self.generation !== gen || !self.worker) throw new Error('the inference worker was restarted: load the model again');
        const transfer = opts.transfer ? Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer) : [];
        const res = await self.call<{ outputs: Record<string, TensorData> }>({ op: 'run', key: r.key, feeds, fetches: opts.fetches }, transfer);
        return res.outputs;
      },
      async release() {
        if (self.generation !== gen || !self.worker) return;
        await self.call({ op: 'release', key: r.key });
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error('the inference runtime was closed'));
    this.pending.clear();
    if (w) await w.terminate();
  }
}

// ------------------------------------------------------------------ inline

class InlineRuntime implements InferenceRuntime {
  readonly kind = 'inline' as const;
  private ort: typeof import('onnxruntime-node') | undefined;
  private readonly sessions = new Set<{ release(): Promise<void> }>();

  onReset(): void {}

  async load(file: string, options: SessionOptions): Promise<SessionHandle> {
    const ort = (this.ort ??= await import('onnxruntime-node'));
    const session = await ort.InferenceSession.create(file, options);
    this.sessions.add(session);
    const meta = (list: readonly any[]): TensorInfo[] =>
      list.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', shape: m.isTensor ? [...m.shape] : [] }));
    return {
      inputs: meta(session.inputMetadata),
      outputs: meta(session.outputMetadata),
      async run(feeds, opts = {}) {
        const input: Record<string, InstanceType<typeof ort.Tensor>> = {};
        for (const [name, t] of Object.entries(feeds)) input[name] = new ort.Tensor('float32', t.data, t.dims);
        const result = opts.fetches ? await session.run(input, opts.fetches) : await session.run(input);
        const out: Record<string, TensorData> = {};
        for (const [name, t] of Object.entries(result)) {
          if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}; only float32 outputs are supported`);
          out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
        }
        return out;
      },
      release: async () => {
        this.sessions.delete(session);
        await session.release();
      },
    };
  }

  async close(): Promise<void> {
    for (const s of this.sessions) await s.release();
    this.sessions.clear();
  }
}
