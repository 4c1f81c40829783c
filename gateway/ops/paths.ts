// Files of the data directory that operations treat specially.
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';

/** The biometric template key (gateway/biometrics): `biometrics.key_file` when the config has one, else <data_dir>/biometric.key. */
export function biometricKeyFile(config: LoadedConfig): string {
  const configured = (config as { biometrics?: { key_file?: unknown } }).biometrics?.key_file;
  return typeof configured === 'string' ? path.resolve(path.dirname(config.file), configured) : path.join(config.paths.data_dir, 'biometric.key');
}
