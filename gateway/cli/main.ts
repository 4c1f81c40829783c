// `canteen-edge`: finds the subcommand by its words, parses its flags strictly,
// and maps failures to the exit codes of shared/CLI.md.
import { parseArgs } from 'node:util';
import { VERSION } from '../version.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, type Command } from './command.ts';
import { configCheck } from './config-check.ts';
import { detect } from './detect.ts';
import { cjt188Read } from './cjt188.ts';
import { dlt645Read } from './dlt645.ts';
import { faceCalibrate, faceCompare, faceDetect, faceLiveness } from './face.ts';
import { meterProfiles, meterRead, meterScan } from './meter.ts';
import { scaleRead } from './scale.ts';
import { simProvince } from './sim-province.ts';
import { start } from './start.ts';
import { backup } from './backup.ts';
import { restore } from './restore.ts';
import { USER_COMMANDS } from './user.ts';
import { MODELS_COMMANDS } from './models.ts';

export const COMMANDS: Command[] = [start, configCheck, dlt645Read, cjt188Read, simProvince, meterProfiles, meterRead, meterScan, scaleRead, detect, faceDetect, faceCompare, faceLiveness, faceCalibrate, ...USER_COMMANDS, backup, restore, ...MODELS_COMMANDS];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  return [
    `canteen-edge ${VERSION} — edge gateway and kiosk runtime for canteens`,
    '',
    'usage: canteen-edge <command> [flags]   (each command has --help)',
    '',
    ...COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(overview());
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length)[0];
  if (!command) {
    process.stderr.write(`canteen-edge: unknown command "${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}"\n\n${overview()}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(command.words.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  // Every file a command creates (database, WAL, settings, backups) is the service user's only:
  // personal information, PIPL art. 51 (gateway/ops/data-dir.ts tightens older files).
  process.umask(0o077);
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: command.positionals ?? false });
    return await command.run(values, positionals);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (err instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`canteen-edge ${command.words.join(' ')}: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
