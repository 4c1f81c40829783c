// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF, a UTF-8 BOM; tab-separated
// when the header has tabs and no commas. Records are numbered from 1 like a
// spreadsheet's rows (the header is row 1), also when a quoted cell spans lines.
export interface CsvRecord { row: number; cells: string[] }

export class CsvSyntaxError extends Error {
  constructor(readonly row: number, message: string) {
    super(message);
  }
}

export function parseCsv(text: string): CsvRecord[] {
  return [...csvRecords(text)];
}

/** The records one at a time, so that a long file can be read in chunks between other work. */
export function* csvRecords(text: string): Generator<CsvRecord> {
  const src = text.replace(/^\uFEFF/, '');
  const firstLine = src.slice(0, src.search(/\r?\n|$/));
  const sep = !firstLine.includes(',') && firstLine.includes('\t') ? '\t' : ',';
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let wasQuoted = false;
  let row = 0;
  const endCell = () => {
    cells.push(wasQuoted ? cell : cell.trim());
    cell = '';
    wasQuoted = false;
  };
  /** the record just ended, unless it was blank */
  const endRecord = (): CsvRecord | undefined => {
    endCell();
    row++;
    const done = cells.some((c) => c !== '') ? { row, cells } : undefined;
    cells = [];
    return done;
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (src[i + 1] === '"') (cell += '"'), i++;
      else quoted = false;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      wasQuoted = true;
      cell = '';
    } else if (ch === sep) endCell();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      const r = endRecord();
      if (r) yield r;
    } else cell += ch;
  }
  if (quoted) throw new CsvSyntaxError(row + 1, 'a quoted cell is not closed');
  if (cell !== '' || cells.length) {
    const r = endRecord();
    if (r) yield r;
  }
}
