// The floors of the code stay as issue 17 left them: no file-level import cycle except the
// kiosk's type-only i18n one; message types on the ground floor (gateway/wire/), so only
// service.ts, which composes the server, imports from gateway/server/; and the gateway
// imports nothing from kiosk/ (the pages are built once, by `npm run build`, and served as files).
import { expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { importGraph } from '../scripts/import-graph.mjs';

interface Graph { files: number; cycles: string[][]; intoServer: string[]; gatewayToKiosk: string[] }
const graph = importGraph() as Graph;

it('reads the whole source tree', () => {
  expect(graph.files).toBeGreaterThan(200);
});

it('has no import cycle outside the kiosk\'s type-only i18n texts', () => {
  const outside = graph.cycles.filter((c) => !c.every((f) => f === 'kiosk/i18n.ts' || f.startsWith('kiosk/i18n/')));
  expect(outside).toEqual([]);
});

it('imports nothing from kiosk/ into gateway/', () => {
  expect(graph.gatewayToKiosk).toEqual([]);
});

it('imports into gateway/server/ only from service.ts, which composes it', () => {
  expect(graph.intoServer.filter((e) => !e.startsWith('gateway/service.ts -> '))).toEqual([]);
});
