/**
 * The `infogan` command line: parses, validates and calls the library. Every error a user can
 * cause ends here as one line (exit code 2 for usage errors, 1 otherwise); `--debug` adds the
 * stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateHelp, parseEvaluateArgs } from '../config/evaluate';
import { nearestName } from '../config/flags';
import { parseSampleArgs, sampleHelp } from '../config/sample';
import {
  configDifferences,
  describeSetting,
  parseTrainCommandLine,
  resumeTrainConfig,
  trainHelp,
  type TrainConfig,
} from '../config/train';
import { evaluate } from '../eval/evaluate';
import { runExplore, runExport } from '../explore/cli';
import { sample } from '../train/sample';
import { readRunConfig } from '../train/run';
import { isInterrupted, watchStopSignals } from '../torch';
import { train } from '../train/trainer';
import { ConsoleLogger, printable, UserError } from '../util/log';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  train: { summary: 'train an InfoGAN on a folder of images or MNIST', run: runTrain },
  sample: { summary: 'draw traversal grids or random samples from a trained run', run: runSample },
  export: { summary: 'write a run\'s generator as safetensors plus metadata.json', run: runExport },
  explore: { summary: 'serve a web page to play with a trained generator', run: runExplore },
  evaluate: { summary: 'score what each code learned against labelled images', run: runEvaluate },
};

/** This package's version, from its package.json (dist/src/cli/ is three folders below it). */
function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return ['usage: infogan <command> [flags]   (infogan <command> --help for its flags; ' +
    'infogan --version)', '',
    'commands:', ...lines].join('\n');
}

async function runTrain(argv: string[]): Promise<number> {
  const parsed = parseTrainCommandLine(argv);
  if (parsed === 'help') {
    process.stdout.write(trainHelp() + '\n');
    return 0;
  }
  let config: TrainConfig = parsed.config;
  let changes: string[] = [];
  if (config.resume) {
    const saved = savedConfig(config.resume);
    config = resumeTrainConfig(saved, parsed);
    changes = configDifferences(saved, config)
      .filter((d) => parsed.given.has(d.key) && !['out', 'resume', 'logdir'].includes(d.key))
      .map((d) => `${d.flag} ${describeSetting(d.saved)} -> ${describeSetting(d.current)}`);
  }
  const log = new ConsoleLogger(config.quiet);
  if (changes.length > 0) log.info(`resuming with changed settings: ${changes.join(', ')}`);
  const stop = installStopHandler();
  try {
    const result = await train(config, log, { shouldStop: () => stop.requested !== null },
      { defaultOut: !parsed.given.has('out') && !config.resume });
    if (stop.requested) return stop.requested === 'SIGINT' ? 130 : 143;
    return result.finished === 'completed' ? 0 : 1;
  } catch (error) {
    if (isInterrupted(error)) return error.signal === 'SIGINT' ? 130 : 143;
    throw error;
  } finally {
    stop.remove();
  }
}

function savedConfig(runDir: string): TrainConfig {
  if (!fs.existsSync(runDir)) {
    throw new UserError(`--resume ${runDir}: no such folder; expected a run folder written by ` +
      'infogan train', 2);
  }
  if (!fs.existsSync(path.join(runDir, 'config.json'))) {
    throw new UserError(`--resume ${runDir}: no config.json there; expected a run folder ` +
      'written by infogan train', 2);
  }
  return readRunConfig(runDir);
}

/**
 * First Ctrl-C (or SIGTERM): finish the current step, checkpoint, flush logs, exit 130 (143).
 * A second one exits at once: between steps here, in the middle of one through the binding
 * (watchStopSignals), which JavaScript cannot interrupt.
 */
function installStopHandler() {
  const state = { requested: null as NodeJS.Signals | null, remove: () => {} };
  const handler = (signal: NodeJS.Signals) => {
    if (state.requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    state.requested = signal; // its notice is already printed (watchStopSignals)
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  // Printed from the signal handler itself, over a progress bar if one is drawn.
  const line = (text: string) => (process.stderr.isTTY ? '\r\x1b[K' : '') + `warning: ${text}\n`;
  const first = (signal: NodeJS.Signals) =>
    line(`${signal}: finishing this step and writing a checkpoint (again to quit at once)`);
  const again = (signal: NodeJS.Signals) => line(`${signal} again: quitting at once`);
  watchStopSignals(true, { first: { SIGINT: first('SIGINT'), SIGTERM: first('SIGTERM') },
    again: { SIGINT: again('SIGINT'), SIGTERM: again('SIGTERM') } });
  state.remove = () => {
    watchStopSignals(false);
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return state;
}

async function runSample(argv: string[]): Promise<number> {
  const config = parseSampleArgs(argv);
  if (config === 'help') {
    process.stdout.write(sampleHelp() + '\n');
    return 0;
  }
  sample(config, new ConsoleLogger(false));
  return 0;
}

async function runEvaluate(argv: string[]): Promise<number> {
  const config = parseEvaluateArgs(argv);
  if (config === 'help') {
    process.stdout.write(evaluateHelp() + '\n');
    return 0;
  }
  await evaluate(config, new ConsoleLogger(config.quiet));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`infogan ${packageVersion()}\n`);
    return 0;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    // Asked for, it is the output; missing a command, it is the error.
    (command ? process.stdout : process.stderr).write(usage() + '\n');
    return command ? 0 : 2;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    const nearest = nearestName(command, Object.keys(COMMANDS));
    throw new UserError(`unknown command ${command}` +
      `${nearest ? `; did you mean ${nearest}?` : `; expected one of ${Object.keys(COMMANDS).join(', ')}`}`, 2);
  }
  return entry.run(rest);
}

/** Runs `main` and turns any error into one line on stderr and an exit code. */
export function runCli(argv: string[]): void {
  const debug = argv.includes('--debug');
  // Output piped into `head` and closed early must not end training: stop printing instead.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.write = () => true;
  });
  main(argv).then((code) => {
    process.exitCode = code;
  }, (error: unknown) => {
    const userError = error instanceof UserError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`infogan: ${printable(message.split('\n')[0])}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
    process.exitCode = userError ? error.exitCode : 1;
  });
}
