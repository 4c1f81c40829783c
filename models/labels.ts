// Label lists: inline in the manifest, or a file in the models directory.
// `.tsv`: the last column is the label (the first an id, e.g. a WordNet id);
// anything else: one label a line. Blank lines at the end are ignored.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export async function readLabelsFile(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (path.extname(file).toLowerCase() === '.tsv') return lines.map((l) => l.split('\t').at(-1)!.trim());
  return lines.map((l) => l.trim());
}
