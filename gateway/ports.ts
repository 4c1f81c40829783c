// Every typed port a feature may provide to the features after it (and to the server):
// the few calls one feature makes of another, instead of the other's module. A feature
// declares the ports it provides in start()'s result and asks for a port with
// ctx.ports.need(name, itself) — a missing `after` is a start-up error (gateway/feature.ts).
import type { BiometricsModule } from './biometrics/module.ts';
import type { MenuPort, SalesPort, StationWeights } from './canteen/ports.ts';
import type { RaiseAlertFn, ResolveAlertByKeyFn } from './kitchen/alerts.ts';
import type { KitchenModule } from './kitchen/module.ts';
import type { KitchenSensorsModule } from './kitchen/sensors/module.ts';
import type { PaymentsPort } from './payments/port.ts';
import type { EnergySummaryMsg } from './wire/energy.ts';
import type { KitchenRecordsMsg } from './wire/kitchen.ts';

export interface Ports {
  /** canteen: sales to settle */
  sales: SalesPort;
  /** canteen: the latest weight on each station's scale */
  stationWeights: StationWeights;
  /** canteen: dishes, menus, meals */
  menu: MenuPort;
  /** payments: accounts, PINs, face tokens, paying a sale */
  payments: PaymentsPort;
  /** biometrics: face pay for the kiosks' socket events, /admin's impact assessment and model reloads */
  facePay: BiometricsModule;
  /** kitchen: raise an alert in the alert book */
  raiseAlert: RaiseAlertFn;
  /** kitchen: close a reminder alert by its dedupe key (a recorded morning check closes its 晨检缺失) */
  resolveAlert: ResolveAlertByKeyFn;
  /** kitchen: the board's alerts, the cameras' detection and outputs (/kitchen snapshot, /readyz) */
  kitchenBoard: Pick<KitchenModule, 'currentAlerts' | 'status' | 'detection'>;
  /** kitchen sensors: cold rooms, disinfection and waste health (/readyz) */
  kitchenSensors: Pick<KitchenSensorsModule, 'health'>;
  /** food-safety records: today's board (/kitchen snapshot) */
  records: { today(): KitchenRecordsMsg };
  /** energy: the panel's latest summary (/energy snapshot) */
  energySummary: () => EnergySummaryMsg | null;
  /** the service: a camera's problem, shown on its device state (a camera whose models are missing is degraded) */
  cameraProblem: (camera: string, reason: string | null) => void;
}
