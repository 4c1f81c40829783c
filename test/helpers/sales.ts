// Sales awaiting payment without waiting for plates on the scale simulator (3 s a
// plate): the test writes them into the running gateway's database with the canteen's
// own Ledger, as a station's weighing does (a priced line, then its sale), from a
// second connection (WAL; the CLI does the same while the gateway runs). Only the
// weighing is skipped; every payment then goes through the gateway's HTTP routes.
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../gateway/canteen/ledger.ts';
import { localDay } from '../../gateway/canteen/meals.ts';
import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import { openDatabase, type Db } from '../../gateway/store/sqlite.ts';

export class SaleSeeder {
  readonly db: Db;
  private readonly ledger: Ledger;

  constructor(dataDir: string) {
    this.db = openDatabase(dataDir);
    this.ledger = new Ledger(this.db);
  }

  /** A sale of `totalFen` at `station`, awaiting payment (a per-portion line: no weight to make up). */
  sale(totalFen: number, station = 'checkout-1'): SaleMsg {
    const at = Date.now();
    const id = randomUUID();
    this.ledger.recordLine({
      id, at, station, frames: [], stable: true, scaleNet: false, readingG: 0, grossG: null, tareG: 0, tareSource: 'none', tray: null,
      netG: 0, intervalG: 1, dishId: null, dishName: 'test dish', unit: { mode: 'per_portion', fen: totalFen }, totalFen, nutrition: null, score: null, corrected: false,
    });
    return this.ledger.openSale(id, station, localDay(at, 'Asia/Shanghai'), at);
  }

  close(): void {
    this.db.close();
  }
}
