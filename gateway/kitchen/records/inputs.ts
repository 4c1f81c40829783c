// What a kitchen worker sends to record a check or a sample, and who did it: shared by
// module.ts and routes.ts.
import type { Meal } from '../../wire/canteen.ts';
import type { CheckItem } from './config.ts';

/** Who is recording: the signed-in account (its name is the signature). */
export interface Actor { name: string; role: string }

export interface CheckInput {
  staffId: string;
  temperatureC: number;
  answers: Partial<Record<CheckItem, boolean>>;
  note?: string;
}

export interface SampleInput {
  dishId: string;
  meal?: Meal;
  date?: string;
  grams?: number;
  fromScale?: boolean;
  cabinet?: string;
}
