// What other features may use of the canteen: sales to settle, the station scales'
// weights, and the menu. Typed ports, so that payments, biometrics and the food-safety
// records depend on these few calls, not on the canteen module's internals.
import type { CanteenConfig } from './config.ts';
import type { CanteenModule } from './module.ts';
import type { SaleMsg } from '../wire/canteen.ts';
import type { ScaleWeightMsg } from '../wire/devices.ts';
import type { SaleMethod } from '../wire/payments.ts';

/** Sales awaiting payment, and how a payment settles one (payments, face pay). */
export interface SalesPort {
  /** site time zone: the day and meal a payment belongs to */
  readonly timeZone: string;
  /** when each meal starts (canteen.meals) */
  readonly meals: CanteenConfig['meals'];
  sale(id: string): SaleMsg | undefined;
  markPaid(saleId: string, method: SaleMethod, reference: string | null, actor?: string): Promise<SaleMsg>;
}

/** The latest reading of a station's scale, its grams rounded to the station's interval e; undefined before the first. */
export interface StationWeights {
  weight(stationId: string): ScaleWeightMsg | undefined;
}

/** The dish catalog, menus and meals (food samples: which dishes of which meal). */
export type MenuPort = Pick<CanteenModule, 'catalog' | 'currentMeal' | 'cfg'>;
