// What face pay may use of payments: accounts, PINs, the face token, and paying a sale.
import type { PaymentsModule } from './module.ts';

export type PaymentsPort = Pick<PaymentsModule, 'ledger' | 'pins' | 'issueFaceToken' | 'mealNow' | 'paySale'>;
