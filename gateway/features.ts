// The gateway's features, started by service.ts in `after` order (gateway/feature.ts).
// A new feature: its folder's feature.ts + one line here.
import { biometricsFeature } from './biometrics/feature.ts';
import { canteenFeature } from './canteen/feature.ts';
import { demoFeature } from './demo/feature.ts';
import { energyFeature } from './energy/feature.ts';
import type { Feature } from './feature.ts';
import { kitchenFeature } from './kitchen/feature.ts';
import { recordsFeature } from './kitchen/records/feature.ts';
import { kitchenSensorsFeature } from './kitchen/sensors/feature.ts';
import { paymentsFeature } from './payments/feature.ts';

export const FEATURES: Feature[] = [energyFeature, canteenFeature, paymentsFeature, demoFeature, biometricsFeature, kitchenFeature, recordsFeature, kitchenSensorsFeature];
