/**
 * The configs of `infogan export` (a run's generator as files) and `infogan explore` (a local web
 * page to play with it): their defaults, flag tables and help.
 */
import { UserError } from '../util/log';
import { FlagDef, formatHelp, parseCommandLine } from './flags';

/** Everything `infogan export` needs. */
export interface ExportConfig {
  /** `--run DIR`: the run folder (required). */
  run: string;
  /** `--out DIR`: folder for generator.safetensors and metadata.json (required). */
  out: string;
  /** `--checkpoint N`: the checkpoint of iteration N; undefined = the newest. */
  checkpoint?: number;
}

/** Everything `infogan explore` needs. */
export interface ExploreConfig {
  /** `--run DIR`: the run folder (required). */
  run: string;
  /** `--checkpoint N`: the checkpoint of iteration N; undefined = the newest. */
  checkpoint?: number;
  /** `--port P`: TCP port; 0 picks a free one. Default: 8080. */
  port: number;
  /** `--host H`: address to listen on. Default: 127.0.0.1, this machine only. */
  host: string;
}

export const DEFAULT_EXPLORE_CONFIG: Readonly<Omit<ExploreConfig, 'run'>> = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
});

const runFlag = <C extends { run: string }>(): FlagDef<C> => ({
  name: 'run', key: 'run', kind: 'string', metavar: 'DIR', group: 'What',
  help: 'run folder written by infogan train', required: true,
});

const checkpointFlag = <C extends { checkpoint?: number }>(): FlagDef<C> => ({
  name: 'checkpoint', key: 'checkpoint', kind: 'int', min: 0, group: 'What',
  help: 'iteration of the checkpoint to load', defaultText: 'the newest',
});

export const EXPORT_FLAGS: readonly FlagDef<ExportConfig>[] = [
  runFlag<ExportConfig>(),
  checkpointFlag<ExportConfig>(),
  {
    name: 'out', key: 'out', kind: 'string', metavar: 'DIR', group: 'Output',
    help: 'folder to write generator.safetensors and metadata.json into', required: true,
  },
];

export const EXPLORE_FLAGS: readonly FlagDef<ExploreConfig>[] = [
  runFlag<ExploreConfig>(),
  checkpointFlag<ExploreConfig>(),
  {
    name: 'port', key: 'port', kind: 'int', min: 0, max: 65535, metavar: 'P', group: 'Server',
    help: 'TCP port to serve on; 0 picks a free one',
  },
  {
    name: 'host', key: 'host', kind: 'string', metavar: 'H', group: 'Server',
    help: 'address to listen on; 0.0.0.0 lets other machines reach the page',
  },
];

/** Parses `infogan export` flags, or 'help'. Throws a UserError (exit 2) for any mistake. */
export function parseExportArgs(argv: readonly string[]): ExportConfig | 'help' {
  const parsed = parseCommandLine(argv, EXPORT_FLAGS, { run: '', out: '' }, 'export');
  if (parsed === 'help') return parsed;
  if (!parsed.given.has('run')) usageError('infogan export needs --run DIR, the run to export');
  if (!parsed.given.has('out')) {
    usageError('infogan export needs --out DIR, the folder to write the files into');
  }
  return parsed.config;
}

/** Parses `infogan explore` flags, or 'help'. Throws a UserError (exit 2) for any mistake. */
export function parseExploreArgs(argv: readonly string[]): ExploreConfig | 'help' {
  const defaults: ExploreConfig = { ...DEFAULT_EXPLORE_CONFIG, run: '' };
  const parsed = parseCommandLine(argv, EXPLORE_FLAGS, defaults, 'explore');
  if (parsed === 'help') return parsed;
  if (!parsed.given.has('run')) usageError('infogan explore needs --run DIR, the run to explore');
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(parsed.config.host)) {
    usageError(`--host expects an address or host name such as 127.0.0.1, got ` +
      `"${parsed.config.host}"`);
  }
  return parsed.config;
}

function usageError(message: string): never {
  throw new UserError(message, 2);
}

export function exportHelp(): string {
  return formatHelp({
    usage: 'infogan export --run DIR --out DIR [flags]',
    summary: [
      'Writes a trained run\'s generator as generator.safetensors (generator tensors only) and ' +
        'metadata.json (latent layout, image shape, training step, architecture spec, and ' +
        'evaluate\'s results when the run has evaluation.json).',
    ],
    groups: ['What', 'Output'],
    notes: ['Example:', '  infogan export --run runs/mnist --out exported/mnist'],
  }, EXPORT_FLAGS, { run: '', out: '' });
}

export function exploreHelp(): string {
  return formatHelp({
    usage: 'infogan explore --run DIR [flags]',
    summary: [
      'Serves a web page to play with a trained generator: a slider per continuous code, ' +
        'buttons per categorical code, a seed for the style noise, sweeps of one code, and the ' +
        'training curves. Every view is in its URL. Ctrl-C stops the server.',
    ],
    groups: ['What', 'Server'],
    notes: ['Example:', '  infogan explore --run runs/mnist --port 8080'],
  }, EXPLORE_FLAGS, { ...DEFAULT_EXPLORE_CONFIG, run: '' });
}
