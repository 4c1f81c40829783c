// The measurements behind the face defaults (models/face/README.md), on the real models
// and the shared photos — small data, printed with what it can and cannot show:
//   1. detector scores of true faces and of the best non-face cells (YuNet, UltraFace);
//   2. where YuNet's landmarks sit inside UltraFace's boxes (landmarks for UltraFace);
//   3. MobileFaceNet similarities: every genuine and impostor pair, thresholdForFar at
//      the FARs the pairs can resolve, a Gaussian tail extrapolation, and same-capture
//      pairs (mirrored, downscaled + JPEG, darker) as an upper bound of genuine scores;
//   3c. UltraFace with landmarks estimated from its box, against YuNet's;
//   4. blur: the Laplacian variance of the aligned face and the embedding's drift when the
//      aligned face is blurred with σ = 0.75–3 px; 4b. the same for smaller faces;
//   5. pose values of every face; 5b. the photo rotated 10–40°, with and without the upright
//      landmark refinement; 6. liveness scores and calibrateLiveness on them.
//
// usage: npx tsx bench/face/thresholds.ts [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { cosine } from '../../models/face/embed.ts';
import { FaceDetector, iou } from '../../models/face/detect.ts';
import { decodeImage } from '../../models/face/image.ts';
import { calibrateLiveness } from '../../models/face/liveness.ts';
import { createFacePipeline, type Face } from '../../models/face/pipeline.ts';
import { faceBlur } from '../../models/face/quality.ts';
import { farAt, gaussianThresholdForFar, perComparisonFar, scoreSummary, thresholdForFar } from '../../models/face/threshold.ts';
import { createModelRegistry } from '../../models/registry.ts';
import { FACE_MODELS, GROUP_PHOTO, NO_FACE, photo, requireShared, SHARED_MODELS_DIR, SINGLE_FACES, SPOOFS } from './photos.ts';

const { values: opt } = parseArgs({ options: { json: { type: 'string' } } });
requireShared(FACE_MODELS);
const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
const fp = createFacePipeline(registry);
const report: Record<string, unknown> = {};
const f3 = (x: number) => x.toFixed(3);
const h = (t: string) => console.log(`\n## ${t}\n`);

// ------------------------------------------------------------------ 1. detectors
h('1. detector scores (all cells ≥ 0.3 after NMS)');
const low = {
  yunet: new FaceDetector(registry, { minScore: 0.3 }),
  ultraface: new FaceDetector(registry, { model: 'ultraface-RFB-320', minScore: 0.3 }),
};
const allPhotos = [GROUP_PHOTO, ...SINGLE_FACES.map((s) => s.file), ...SPOOFS, ...NO_FACE, 'darknet_person.jpg', 'pexels_cc0_sharing-tomatoes.jpg'];
const detScores: Record<string, { file: string; yunet: number[]; ultraface: number[] }> = {};
for (const file of allPhotos) {
  const img = await decodeImage(photo(file));
  const y = await low.yunet.detect(img);
  const u = await low.ultraface.detect(img);
  detScores[file] = { file, yunet: y.map((d) => +f3(d.score)), ultraface: u.map((d) => +f3(d.score)) };
  console.log(`${file.padEnd(34)} YuNet ${y.map((d) => f3(d.score)).join(' ') || '—'}   UltraFace ${u.map((d) => f3(d.score)).join(' ') || '—'}`);
}
report['detector_scores'] = detScores;

// ------------------------------------------------------------------ 2. landmarks in UltraFace boxes
h('2. YuNet landmarks inside UltraFace boxes (fractions of width, height)');
const ufDet = new FaceDetector(registry, { model: 'ultraface-RFB-320' });
const rel: number[][][] = [];
for (const file of [GROUP_PHOTO, ...SINGLE_FACES.map((s) => s.file), ...SPOOFS]) {
  const img = await decodeImage(photo(file));
  const ys = await fp.detector.detect(img);
  const us = await ufDet.detect(img);
  for (const y of ys) {
    const u = us.find((x) => iou(x.box, y.box) > 0.5);
    if (!u || !y.landmarks) continue;
    const [x1, y1, x2, y2] = u.box;
    rel.push(y.landmarks.map(([x, yy]) => [(x - x1) / (x2 - x1), (yy - y1) / (y2 - y1)]));
  }
}
const meanRel = [0, 1, 2, 3, 4].map((k) => [0, 1].map((c) => rel.reduce((s, r) => s + r[k]![c]!, 0) / rel.length));
const sdRel = [0, 1, 2, 3, 4].map((k) => [0, 1].map((c) => Math.sqrt(rel.reduce((s, r) => s + (r[k]![c]! - meanRel[k]![c]!) ** 2, 0) / (rel.length - 1))));
console.log(`${rel.length} faces; mean ${JSON.stringify(meanRel.map((p) => p.map((v) => +v.toFixed(3))))}`);
console.log(`          sd   ${JSON.stringify(sdRel.map((p) => p.map((v) => +v.toFixed(3))))}`);
// mirror-averaged (a face box is symmetric; the few turned faces here are not)
const sym = [
  [(meanRel[0]![0]! + 1 - meanRel[1]![0]!) / 2, (meanRel[0]![1]! + meanRel[1]![1]!) / 2],
  [(meanRel[1]![0]! + 1 - meanRel[0]![0]!) / 2, (meanRel[0]![1]! + meanRel[1]![1]!) / 2],
  [0.5, meanRel[2]![1]!],
  [(meanRel[3]![0]! + 1 - meanRel[4]![0]!) / 2, (meanRel[3]![1]! + meanRel[4]![1]!) / 2],
  [(meanRel[4]![0]! + 1 - meanRel[3]![0]!) / 2, (meanRel[3]![1]! + meanRel[4]![1]!) / 2],
];
console.log(`mirror-averaged ${JSON.stringify(sym.map((p) => p.map((v) => +v.toFixed(3))))}  (BOX_LANDMARKS.ultraface in models/face/pipeline.ts)`);
report['ultraface_box_landmarks'] = { n: rel.length, mean: meanRel, sd: sdRel, mirrorAveraged: sym };

// ------------------------------------------------------------------ 3. similarities
h('3. MobileFaceNet cosine similarities');
interface Sample {
  name: string;
  person: string;
  face: Face;
  embedding: Float32Array;
  image: Awaited<ReturnType<typeof decodeImage>>;
}
const samples: Sample[] = [];
for (const s of SINGLE_FACES) {
  const a = await fp.analyse(photo(s.file));
  samples.push({ name: s.file, person: s.person, face: a.primary!, embedding: await fp.embed(a.primary!), image: a.image });
}
{
  const a = await fp.analyse(photo(GROUP_PHOTO));
  const byX = [...a.faces].sort((p, q) => p.box[0] - q.box[0]);
  for (const [i, face] of byX.entries()) samples.push({ name: `${GROUP_PHOTO}#${i + 1}`, person: `group-${i + 1}`, face, embedding: await fp.embed(face), image: a.image });
}
const genuine: { a: string; b: string; s: number }[] = [];
const impostor: { a: string; b: string; s: number }[] = [];
for (let i = 0; i < samples.length; i++) {
  for (let j = i + 1; j < samples.length; j++) {
    const p = samples[i]!, q = samples[j]!;
    const s = cosine(p.embedding, q.embedding);
    (p.person === q.person ? genuine : impostor).push({ a: p.name, b: q.name, s });
  }
}
// the spoofs, for what a replayed face scores against the real one
const spoofPairs: { a: string; b: string; s: number }[] = [];
for (const file of SPOOFS) {
  const a = await fp.analyse(photo(file));
  const e = await fp.embed(a.primary!);
  for (const p of samples) if (p.person === 'T1-woman') spoofPairs.push({ a: file, b: p.name, s: cosine(e, p.embedding) });
}
impostor.sort((x, y) => y.s - x.s);
const imp = impostor.map((x) => x.s);
const is = scoreSummary(imp);
console.log(`${samples.length} faces of ${new Set(samples.map((s) => s.person)).size} people: ${genuine.length} genuine pair(s), ${impostor.length} impostor pairs`);
for (const g of genuine) console.log(`  genuine  ${g.a} ~ ${g.b}: ${f3(g.s)}`);
for (const g of spoofPairs) console.log(`  spoof of T1-woman ${g.a} ~ ${g.b}: ${f3(g.s)}`);
console.log(`  impostors: min ${f3(is.min)} median ${f3(is.median)} mean ${f3(is.mean)} sd ${f3(is.std)} max ${f3(is.max)}`);
console.log(`  highest impostor pairs: ${impostor.slice(0, 5).map((x) => `${x.a} ~ ${x.b} ${f3(x.s)}`).join('; ')}`);
const fars = [0.1, 0.05, 1 / imp.length, 1e-3, 1e-4, 1e-6];
const farRows = fars.map((far) => {
  const t = thresholdForFar(imp, far);
  return { far, empirical: t, resolvable: far * imp.length >= 1, gaussian: gaussianThresholdForFar(imp, far), farAtEmpirical: farAt(imp, t) };
});
console.log('\n  target FAR   thresholdForFar (empirical)   resolvable with these pairs   Gaussian extrapolation mean + z·sd');
for (const r of farRows) console.log(`  ${r.far.toExponential(1).padEnd(12)} ${f3(r.empirical).padEnd(29)} ${String(r.resolvable).padEnd(29)} ${f3(r.gaussian)}`);
for (const n of [100, 1000, 5000]) {
  const p = perComparisonFar(1e-3, n);
  console.log(`  1:N with ${n} people, 1e-3 false accepts per search → per comparison ${p.toExponential(2)} → Gaussian threshold ${f3(gaussianThresholdForFar(imp, p))}`);
}
report['similarities'] = { genuine, spoofPairs, impostor, impostorSummary: is, farRows };

// same capture, transformed: an upper bound of what a genuine pair can score
h('3b. same photo, transformed (not a second capture: an upper bound of genuine similarity)');
const sameCapture: { name: string; variant: string; s: number }[] = [];
for (const s of samples.filter((x) => !x.name.includes('#'))) {
  const file = photo(s.name);
  const { width } = await sharp(file).autoOrient().metadata().then((m) => ({ width: m.autoOrient?.width ?? m.width! }));
  const variants: [string, Buffer][] = [
    ['mirrored', await sharp(file).autoOrient().flop().png().toBuffer()],
    ['½ size, JPEG q60', await sharp(file).autoOrient().resize(Math.round(width / 2)).jpeg({ quality: 60 }).toBuffer()],
    ['darker ×0.6', await sharp(file).autoOrient().linear(0.6, 0).png().toBuffer()],
  ];
  const row: string[] = [];
  for (const [variant, buf] of variants) {
    const a = await fp.analyse(buf);
    if (!a.primary) {
      row.push(`${variant}: no face`);
      continue;
    }
    const sim = cosine(s.embedding, await fp.embed(a.primary));
    sameCapture.push({ name: s.name, variant, s: sim });
    row.push(`${variant} ${f3(sim)}`);
  }
  console.log(`  ${s.name.padEnd(30)} ${row.join('   ')}`);
}
const sc = scoreSummary(sameCapture.map((x) => x.s));
console.log(`  same-capture similarity: min ${f3(sc.min)} median ${f3(sc.median)} max ${f3(sc.max)}`);
report['same_capture'] = sameCapture;

// UltraFace has no landmarks: the box-estimated alignment against YuNet's
h('3c. UltraFace + landmarks estimated from its box, against YuNet landmarks');
{
  const uf = createFacePipeline(registry, { detector: { model: 'ultraface-RFB-320' } });
  const ue: { name: string; person: string; e: Float32Array }[] = [];
  for (const s of samples) {
    const file = s.name.split('#')[0]!;
    const a = await uf.analyse(photo(file));
    const m = a.faces.find((f) => iou(f.box, s.face.box) > 0.5);
    if (!m) {
      console.log(`  ${s.name}: UltraFace did not find it`);
      continue;
    }
    const e = await uf.embed(m);
    ue.push({ name: s.name, person: s.person, e });
    console.log(`  ${s.name.padEnd(30)} cos(UltraFace-aligned, YuNet-aligned) ${f3(cosine(e, s.embedding))}`);
  }
  const g: number[] = [], im: number[] = [];
  for (let i = 0; i < ue.length; i++) for (let j = i + 1; j < ue.length; j++) (ue[i]!.person === ue[j]!.person ? g : im).push(cosine(ue[i]!.e, ue[j]!.e));
  const u = scoreSummary(im);
  console.log(`  with UltraFace alignment: genuine ${g.map(f3).join(', ')}; impostors median ${f3(u.median)} max ${f3(u.max)} (${im.length} pairs)`);
  report['ultraface_alignment'] = { genuine: g, impostor: u };
}

// ------------------------------------------------------------------ 4. blur
h('4. blur: Laplacian variance of the aligned face, and the embedding drift under Gaussian blur (aligned-face pixels)');
const sigmas = [0, 0.75, 1, 1.5, 2, 3];
console.log(`  ${'face'.padEnd(30)} ${sigmas.map((s) => `σ=${s}: var / cos`.padEnd(20)).join('')}`);
const blurRows: { name: string; sigma: number; blur: number; cos: number }[] = [];
const aRef = samples.find((s) => s.name === 'compreface_002_A.jpg')!;
const genuineUnderBlur: { sigma: number; s: number }[] = [];
for (const s of samples) {
  const al = fp.aligned(s.face);
  const cells: string[] = [];
  for (const sigma of sigmas) {
    const rgb = sigma === 0 ? al.rgb : new Uint8Array(await sharp(Buffer.from(al.rgb), { raw: { width: 112, height: 112, channels: 3 } }).blur(Math.max(0.3, sigma)).raw().toBuffer());
    const blur = faceBlur({ rgb, width: 112, height: 112 });
    const e = await fp.embedder.embed({ rgb, width: 112, height: 112 });
    const c = cosine(e, s.embedding);
    blurRows.push({ name: s.name, sigma, blur, cos: c });
    if (s.name === 'compreface_001_A.jpg') genuineUnderBlur.push({ sigma, s: cosine(e, aRef.embedding) });
    cells.push(`${blur.toFixed(0).padStart(5)} / ${f3(c)}`.padEnd(20));
  }
  console.log(`  ${s.name.padEnd(30)} ${cells.join('')}`);
}
console.log(`  person A: 001 blurred vs 002 sharp: ${genuineUnderBlur.map((g) => `σ=${g.sigma} ${f3(g.s)}`).join(', ')}`);
for (const sigma of sigmas) {
  const r = blurRows.filter((x) => x.sigma === sigma);
  const b = scoreSummary(r.map((x) => x.blur));
  const c = scoreSummary(r.map((x) => x.cos));
  console.log(`  σ=${String(sigma).padEnd(4)} variance min ${b.min.toFixed(0).padStart(4)} median ${b.median.toFixed(0).padStart(4)} max ${b.max.toFixed(0).padStart(5)}   cos to sharp min ${f3(c.min)} median ${f3(c.median)}`);
}
report['blur'] = { rows: blurRows, genuineUnderBlur };

// face size: the photo downscaled so the face box is ~N px
h('4b. face size: the photo downscaled until the face box is N px; cos to the full-size embedding');
{
  const sizes = [96, 80, 64, 48, 40, 32];
  const rows: { name: string; px: number; cos: number | null }[] = [];
  const aGenuine: string[] = [];
  for (const s of samples.filter((x) => !x.name.includes('#'))) {
    const cells: string[] = [];
    const full = Math.min(s.face.box[2] - s.face.box[0], s.face.box[3] - s.face.box[1]);
    const { width } = (await sharp(photo(s.name)).autoOrient().metadata()).autoOrient!;
    for (const px of sizes) {
      if (px >= full) {
        cells.push(`${px}: —`.padEnd(14));
        continue;
      }
      const buf = await sharp(photo(s.name)).autoOrient().resize(Math.round((width * px) / full)).png().toBuffer();
      const a = (await fp.analyse(buf)).primary;
      const c = a ? cosine(s.embedding, await fp.embed(a)) : null;
      rows.push({ name: s.name, px, cos: c });
      if (s.name === 'compreface_001_A.jpg' && a) aGenuine.push(`${px} px ${f3(cosine(await fp.embed(a), aRef.embedding))}`);
      cells.push(`${px}: ${c === null ? 'no face' : f3(c)}`.padEnd(14));
    }
    console.log(`  ${s.name.padEnd(30)} (${full.toFixed(0)} px) ${cells.join('')}`);
  }
  console.log(`  person A: 001 at N px vs 002 full size: ${aGenuine.join(', ')}`);
  for (const px of sizes) {
    const c = rows.filter((r) => r.px === px && r.cos !== null).map((r) => r.cos!);
    if (c.length) console.log(`  ${String(px).padStart(3)} px: cos to full size min ${f3(Math.min(...c))} median ${f3(scoreSummary(c).median)} (${c.length} faces)`);
  }
  report['size'] = rows;
}

// ------------------------------------------------------------------ 5. pose
h('5. pose from landmarks');
for (const s of samples) {
  const p = s.face.quality.pose!;
  console.log(`  ${s.name.padEnd(30)} roll ${p.roll.toFixed(1).padStart(6)}°  yaw ${p.yaw.toFixed(3).padStart(7)}  pitch ${p.pitch.toFixed(3)}  size ${s.face.quality.size.toFixed(0).padStart(5)} px  residual ${fp.aligned(s.face).residual.toFixed(2)} px  quality ${s.face.quality.ok ? 'ok' : s.face.quality.reasons.join('; ')}`);
}
for (const file of SPOOFS) {
  const a = await fp.analyse(photo(file));
  const p = a.primary!.quality.pose!;
  console.log(`  ${file.padEnd(30)} roll ${p.roll.toFixed(1).padStart(6)}°  yaw ${p.yaw.toFixed(3).padStart(7)}  pitch ${p.pitch.toFixed(3)}`);
}

// in-plane rotation: what YuNet's landmarks measure, and the embedding's drift, with and
// without the upright re-detection (FaceDetector.refine)
h('5b. the photo rotated by r°: measured roll and cos to the upright embedding, refine 0 vs 2 passes');
{
  const plain = createFacePipeline(registry, { refinePasses: 0 });
  const rows: { file: string; deg: number; passes: number; roll: number | null; cos: number | null }[] = [];
  for (const file of ['compreface_007_B.jpg', 'compreface_009_C.jpg', 'skimage_astronaut.png', 'pexels_cc0_smiling-woman.jpg']) {
    for (const [passes, p] of [[0, plain], [2, fp]] as const) {
      const e0 = await p.embed((await p.analyse(photo(file))).primary!);
      const cells: string[] = [];
      for (const deg of [0, 10, 20, 30, 40]) {
        const t = await sharp(photo(file)).rotate(deg, { background: '#808080' }).png().toBuffer();
        const a = (await p.analyse(t)).primary;
        const c = a ? cosine(e0, await p.embed(a)) : null;
        rows.push({ file, deg, passes, roll: a?.quality.pose?.roll ?? null, cos: c });
        cells.push(a ? `${String(deg).padStart(2)}°: roll ${a.quality.pose!.roll.toFixed(1).padStart(5)} cos ${f3(c!)}` : `${deg}°: no face`);
      }
      console.log(`  ${file.padEnd(30)} refine ${passes}  ${cells.join(' | ')}`);
    }
  }
  report['rotation'] = rows;
}

// ------------------------------------------------------------------ 6. liveness
h('6. liveness P(real): V2 ×2.7, V1SE ×4.0, mean');
const liveRows: { name: string; v2: number; v1se: number; score: number }[] = [];
const scoreOf = async (name: string, img: Sample['image'], face: Face) => {
  const r = await fp.liveness(img, face);
  liveRows.push({ name, v2: r.models[0]!.score, v1se: r.models[1]!.score, score: r.score });
  console.log(`  ${name.padEnd(30)} ${f3(r.models[0]!.score)}  ${f3(r.models[1]!.score)}  → ${f3(r.score)}`);
  return r.score;
};
const studio: number[] = [];
let t1 = 0;
for (const s of samples) {
  const v = await scoreOf(s.name, s.image, s.face);
  if (s.person === 'T1-woman') t1 = v;
  else studio.push(v);
}
const spoofScores: number[] = [];
for (const file of SPOOFS) {
  const a = await fp.analyse(photo(file));
  spoofScores.push(await scoreOf(file, a.image, a.primary!));
}
const ss = scoreSummary(studio);
console.log(`  studio/press photos (not kiosk captures): min ${f3(ss.min)} median ${f3(ss.median)} max ${f3(ss.max)}`);
const cal = calibrateLiveness([t1], spoofScores);
console.log(`  calibrateLiveness(live = [T1], spoof = [F1, F2]): ${cal.advice}`);
const cal2 = calibrateLiveness([t1, ...studio], spoofScores);
console.log(`  calibrateLiveness(live = T1 + studio photos, spoof = [F1, F2]): ${cal2.advice}`);
report['liveness'] = { rows: liveRows, calibration: cal, withStudio: cal2 };

if (opt.json) writeFileSync(opt.json, JSON.stringify(report, null, 2));
await registry.close();
