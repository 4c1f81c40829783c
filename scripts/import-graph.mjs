// The project's import graph, from its own source (gateway/, kiosk/, drivers/, models/):
// file-level cycles, imports into gateway/server from outside it, and imports from
// gateway/ into kiosk/. `node scripts/import-graph.mjs [--json]`; test/import-graph.test.ts
// keeps the figures where issue 17 put them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FLOORS = ['gateway', 'kiosk', 'drivers', 'models'];

export function importGraph(root = ROOT) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'dist', '.git'].includes(e.name)) walk(p);
      } else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(path.relative(root, p));
    }
  };
  for (const f of FLOORS) if (fs.existsSync(path.join(root, f))) walk(path.join(root, f));
  const known = new Set(files);
  const graph = new Map();
  for (const f of files) {
    const src = fs.readFileSync(path.join(root, f), 'utf8');
    const deps = [];
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const t = path.normalize(path.join(path.dirname(f), m[1])).replace(/\.js$/, '.ts');
      const hit = [t, `${t}.ts`, `${t}.tsx`, t.replace(/\.ts$/, '.tsx'), path.join(t, 'index.ts')].find((c) => known.has(c));
      if (hit) deps.push(hit);
    }
    graph.set(f, deps);
  }
  // Tarjan's strongly connected components: a component of more than one file is a cycle
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const idx = new Map();
  const low = new Map();
  const cycles = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) cycles.push(c.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  const edges = [...graph].flatMap(([f, ds]) => ds.map((d) => [f, d]));
  return {
    files: files.length,
    cycles,
    intoServer: edges.filter(([f, d]) => d.startsWith('gateway/server/') && !f.startsWith('gateway/server/')).map(([f, d]) => `${f} -> ${d}`),
    gatewayToKiosk: edges.filter(([f, d]) => f.startsWith('gateway/') && d.startsWith('kiosk/')).map(([f, d]) => `${f} -> ${d}`),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const g = importGraph();
  if (process.argv.includes('--json')) console.log(JSON.stringify(g, null, 2));
  else {
    console.log(`files: ${g.files}`);
    console.log(`file-level cycles: ${g.cycles.length}`);
    for (const c of g.cycles) console.log(`  ${c.join(' <-> ')}`);
    console.log(`imports into gateway/server from outside it: ${g.intoServer.length}`);
    console.log(`imports from gateway/ into kiosk/: ${g.gatewayToKiosk.length}`);
    for (const e of g.gatewayToKiosk) console.log(`  ${e}`);
  }
}
