// Which embedding of MobileNetV2's output separates dishes best? Enrols the photo set of
// photos.ts (3 views per dish), queries 5 different views per dish and 6 unrelated
// photos, for each embedding kind and two ways of scoring a dish (best photo | centroid).
//
// usage: npx tsx bench/recognition/embeddings.ts [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DishEmbedder, dot, EMBEDDING_KINDS, l2normalise, toEmbedding, type EmbeddingKind } from '../../models/dish/embedder.ts';
import { createModelRegistry } from '../../models/registry.ts';
import { DISH_PHOTOS, enrolViews, image, queryViews, requireShared, SHARED_MODELS_DIR, UNRELATED_PHOTOS } from './photos.ts';

const { values: opt } = parseArgs({ options: { json: { type: 'string' } } });
requireShared();
const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
const embedder = new DishEmbedder(registry);

// raw logits once; every embedding kind is a function of them
const dishes = Object.keys(DISH_PHOTOS);
const enrolRaw = new Map<string, Float32Array[]>();
const queryRaw = new Map<string, { name: string; raw: Float32Array }[]>();
for (const d of dishes) {
  const file = image(DISH_PHOTOS[d]!);
  enrolRaw.set(d, await embedder.rawMany((await enrolViews(file)).map((v) => v.image)));
  const qv = await queryViews(file);
  const raws = await embedder.rawMany(qv.map((v) => v.image));
  queryRaw.set(d, qv.map((v, i) => ({ name: v.name, raw: raws[i]! })));
}
const unrelatedRaw = await embedder.rawMany(UNRELATED_PHOTOS.map(image));

type Agg = 'best-photo' | 'centroid';
interface Row {
  embedding: EmbeddingKind;
  scoring: Agg;
  genuineMin: number;
  genuineMean: number;
  impostorMax: number;
  marginMin: number;
  unrelatedMax: number;
  unrelatedMaxPhoto: string;
  gap: number;
  top1: string;
}

const rows: Row[] = [];
const detail: Record<string, unknown> = {};
for (const kind of EMBEDDING_KINDS) {
  for (const agg of ['best-photo', 'centroid'] as Agg[]) {
    const gallery = new Map<string, Float32Array[]>();
    for (const d of dishes) {
      const embs = enrolRaw.get(d)!.map((r) => toEmbedding(r, kind));
      if (agg === 'best-photo') gallery.set(d, embs);
      else {
        const c = new Float32Array(embs[0]!.length);
        for (const e of embs) for (let i = 0; i < c.length; i++) c[i]! += e[i]!;
        gallery.set(d, [l2normalise(c)]);
      }
    }
    const score = (e: Float32Array) =>
      dishes.map((d) => ({ d, s: Math.max(...gallery.get(d)!.map((g) => dot(e, g))) })).sort((a, b) => b.s - a.s);
    const genuine: number[] = [];
    let impostorMax = -1;
    let marginMin = Infinity;
    let correct = 0;
    let total = 0;
    const perQuery: Record<string, unknown>[] = [];
    for (const d of dishes) {
      for (const q of queryRaw.get(d)!) {
        const ranked = score(toEmbedding(q.raw, kind));
        const own = ranked.find((r) => r.d === d)!.s;
        const other = ranked.filter((r) => r.d !== d)[0]!;
        genuine.push(own);
        impostorMax = Math.max(impostorMax, other.s);
        marginMin = Math.min(marginMin, own - other.s);
        total++;
        if (ranked[0]!.d === d) correct++;
        perQuery.push({ dish: d, view: q.name, own: +own.toFixed(3), best_other: other.d, other: +other.s.toFixed(3) });
      }
    }
    let unrelatedMax = -1;
    let unrelatedMaxPhoto = '';
    const unrelated: Record<string, unknown>[] = [];
    unrelatedRaw.forEach((raw, i) => {
      const top = score(toEmbedding(raw, kind))[0]!;
      unrelated.push({ photo: UNRELATED_PHOTOS[i], nearest: top.d, score: +top.s.toFixed(3) });
      if (top.s > unrelatedMax) {
        unrelatedMax = top.s;
        unrelatedMaxPhoto = UNRELATED_PHOTOS[i]!;
      }
    });
    const genuineMin = Math.min(...genuine);
    rows.push({
      embedding: kind,
      scoring: agg,
      genuineMin,
      genuineMean: genuine.reduce((a, b) => a + b, 0) / genuine.length,
      impostorMax,
      marginMin,
      unrelatedMax,
      unrelatedMaxPhoto,
      gap: genuineMin - Math.max(impostorMax, unrelatedMax),
      top1: `${correct}/${total}`,
    });
    detail[`${kind}/${agg}`] = { queries: perQuery, unrelated };
  }
}

const f = (x: number) => x.toFixed(3).padStart(7);
console.log('embedding        scoring     top-1  genuine min  mean   impostor max  min margin  unrelated max (photo)           gap');
for (const r of rows) {
  console.log(
    `${r.embedding.padEnd(16)} ${r.scoring.padEnd(10)} ${r.top1.padStart(6)}  ${f(r.genuineMin)} ${f(r.genuineMean)}   ${f(r.impostorMax)}    ${f(r.marginMin)}    ${f(r.unrelatedMax)} ${r.unrelatedMaxPhoto.padEnd(26)} ${f(r.gap)}`,
  );
}
console.log('\ngap = lowest genuine score − highest score of a wrong dish or an unrelated photo (bigger is better; > 0 means one threshold separates all)');
if (opt.json) writeFileSync(opt.json, JSON.stringify({ rows, detail }, null, 2));
await registry.close();
