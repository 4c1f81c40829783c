// The inference thread: owns every onnxruntime-node session of a registry and runs
// them here, off the main thread. onnxruntime-node 1.30's `session.run` and session
// creation are synchronous native calls (wrapped in setImmediate), so on the main
// thread they would stop timers, sockets and Socket.IO for the whole inference.
//
// Plain JavaScript on purpose: a worker thread starts a fresh module loader, and this
// file must load the same way under node, tsx and vitest. Protocol (see runtime.ts):
//   → {id, op: 'load', file, options}      ← {id, ok, key, inputs, outputs}
//   → {id, op: 'run', key, feeds, fetches} ← {id, ok, outputs: {name: {data, dims}}}
//   → {id, op: 'release', key}             ← {id, ok}
//   ← {id, ok: false, error}
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

if (!parentPort) throw new Error('ort-worker.mjs runs as a worker thread');
const port = parentPort;
const sessions = new Map();
let nextKey = 1;

const meta = (list) =>
  list.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', shape: m.isTensor ? [...m.shape] : [] }));

async function handle(msg) {
  switch (msg.op) {
    case 'load': {
      const session = await ort.InferenceSession.create(msg.file, msg.options);
      const key = nextKey++;
      sessions.set(key, session);
      return { key, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) };
    }
    case 'run': {
      const session = sessions.get(msg.key);
      if (!session) throw new Error(`no session ${msg.key} in the inference worker`);
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
      const result = msg.fetches ? await session.run(feeds, msg.fetches) : await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const [name, t] of Object.entries(result)) {
        if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}; only float32 outputs are supported`);
        const data = new Float32Array(t.data); // own copy: transferable, detached from ORT's buffer
        outputs[name] = { data, dims: [...t.dims] };
        transfer.push(data.buffer);
        t.dispose?.();
      }
      return { outputs, transfer };
    }
    case 'release': {
      const session = sessions.get(msg.key);
      sessions.delete(msg.key);
      await session?.release();
      return {};
    }
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

port.on('message', (msg) => {
  handle(msg).then(
    (r) => {
      const { transfer, ...rest } = r;
      port.postMessage({ id: msg.id, ok: true, ...rest }, transfer ?? []);
    },
    (err) => port.postMessage({ id: msg.id, ok: false, error: String(err?.message ?? err) }),
  );
});
