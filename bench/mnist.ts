/**
 * The paper's MNIST number: how well the default run's categorical code classifies digits.
 *
 * For each seed, `infogan train` runs with its defaults on the full MNIST training set (60,000
 * digits) for --minutes of wall-clock time, stopped by SIGTERM (it checkpoints and exits) when
 * --epochs have not finished by then; `infogan evaluate` then scores the newest checkpoint on
 * 10,000 of the training digits: accuracy after the best one-to-one matching of the code's 10
 * values to the digits, and NMI. With --labeled N, one more run per seed uses the labels of N
 * digits (semi-supervised); --labeled_only leaves out the unsupervised runs. Runs go --parallel
 * at a time, each on --threads threads.
 *
 *   npm run bench:mnist -- [--seeds 1,2,3] [--minutes 30] [--epochs 100] [--parallel 2]
 *     [--threads 1] [--labeled 100 [--labeled_only]] [--dataset DIR] [--out DIR]
 *     [-- extra train flags]
 * Ends with one line `BENCH {json}` holding every figure.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { datasetsRoot } from '../src/data/testing';

const CLI = path.join(__dirname, '..', '..', 'bin', 'infogan.js');

interface Options {
  seeds: number[];
  minutes: number;
  epochs: number;
  parallel: number;
  threads: number;
  labeled?: number;
  labeledOnly: boolean;
  dataset: string;
  out: string;
  extra: string[];
}

interface Result {
  seed: number;
  labeled: number;
  iterations: number;
  epochs: number;
  trainSeconds: number;
  stoppedByClock: boolean;
  accuracy: number;
  nmi: number;
  /** Per-epoch accuracy logged by train on its own 1,000-digit sample. */
  epochAccuracy: number[];
}

function parseOptions(argv: string[]): Options {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const extra = split < 0 ? [] : argv.slice(split + 1);
  const value = (name: string): string | undefined => {
    const i = own.indexOf(`--${name}`);
    return i < 0 ? undefined : own[i + 1];
  };
  const labeled = value('labeled');
  return {
    seeds: (value('seeds') ?? '1,2,3').split(',').map(Number),
    minutes: Number(value('minutes') ?? 30),
    epochs: Number(value('epochs') ?? 100),
    parallel: Number(value('parallel') ?? 1),
    threads: Number(value('threads') ?? os.availableParallelism()),
    labeled: labeled === undefined ? undefined : Number(labeled),
    labeledOnly: own.includes('--labeled_only'),
    dataset: value('dataset') ?? path.join(datasetsRoot(), 'mnist'),
    out: value('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-bench-mnist-')),
    extra,
  };
}

function run(args: string[], log: string, limitSeconds?: number):
  Promise<{ code: number | null; seconds: number; stoppedByClock: boolean }> {
  return new Promise((resolve, reject) => {
    const output = fs.openSync(log, 'a');
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', output, output] });
    const started = performance.now();
    let stoppedByClock = false;
    const timer = limitSeconds === undefined ? undefined : setTimeout(() => {
      stoppedByClock = true;
      child.kill('SIGTERM');
    }, limitSeconds * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fs.closeSync(output);
      resolve({ code, seconds: (performance.now() - started) / 1000, stoppedByClock });
    });
  });
}

async function trainAndEvaluate(options: Options, seed: number, labeled: number): Promise<Result> {
  const name = labeled > 0 ? `seed-${seed}-labeled-${labeled}` : `seed-${seed}`;
  const folder = path.join(options.out, name);
  const log = `${folder}.log`;
  const trainArgs = ['train', '--dataset', options.dataset, '--seed', String(seed),
    '--epochs', String(options.epochs), '--threads', String(options.threads), '--out', folder,
    ...(labeled > 0 ? ['--labeled', String(labeled)] : []), ...options.extra];
  const trained = await run(trainArgs, log, options.minutes * 60);
  if (trained.code !== 0 && !(trained.stoppedByClock && trained.code === 143)) {
    throw new Error(`train for ${name} exited with ${trained.code}; see ${log}`);
  }
  const evaluation = path.join(folder, 'evaluation.json');
  const evaluated = await run(['evaluate', '--run', folder, '--max_images', '10000',
    '--threads', String(options.threads), '--out', evaluation, '--quiet'], log);
  if (evaluated.code !== 0) throw new Error(`evaluate for ${name} failed; see ${log}`);
  const report = JSON.parse(fs.readFileSync(evaluation, 'utf8'));
  const code = report.codes.find((c: { kind: string }) => c.kind === 'categorical');
  const text = fs.readFileSync(log, 'utf8');
  const epochAccuracy = [...text.matchAll(/categorical_accuracy ([0-9.]+)/g)].map((m) => Number(m[1]));
  const finished = [...text.matchAll(/(?:stopped|finished) at iteration (\d+)/g)].at(-1);
  const iterations = finished ? Number(finished[1]) : report.iteration;
  return {
    seed, labeled, iterations, epochs: epochAccuracy.length,
    trainSeconds: Math.round(trained.seconds), stoppedByClock: trained.stoppedByClock,
    accuracy: code.classes.accuracy, nmi: code.classes.nmi, epochAccuracy,
  };
}

/** Runs `jobs` with at most `width` at a time, results in job order. */
async function pooled<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.labeledOnly && !options.labeled) {
    throw new Error('--labeled_only needs --labeled N');
  }
  fs.mkdirSync(options.out, { recursive: true });
  console.log(`MNIST categorical accuracy: seeds ${options.seeds.join(', ')}, at most ` +
    `${options.minutes} min of training each, ${options.parallel} at a time on ` +
    `${options.threads} thread(s) each; runs in ${options.out}`);
  const jobs = options.labeledOnly ? []
    : options.seeds.map((seed) => () => trainAndEvaluate(options, seed, 0));
  if (options.labeled) {
    for (const seed of options.seeds) {
      jobs.push(() => trainAndEvaluate(options, seed, options.labeled!));
    }
  }
  const results = await pooled(jobs, options.parallel);
  console.log('seed  labels  iterations  minutes  accuracy  NMI    accuracy per epoch');
  for (const r of results) {
    console.log(`${String(r.seed).padEnd(6)}${String(r.labeled || '-').padEnd(8)}` +
      `${String(r.iterations).padEnd(12)}${(r.trainSeconds / 60).toFixed(1).padEnd(9)}` +
      `${r.accuracy.toFixed(4).padEnd(10)}${r.nmi.toFixed(3).padEnd(7)}` +
      `${r.epochAccuracy.map((a) => a.toFixed(2)).join(' ')}`);
  }
  const unsupervised = results.filter((r) => r.labeled === 0).map((r) => r.accuracy);
  const supervised = results.filter((r) => r.labeled > 0).map((r) => r.accuracy);
  const summary = {
    medianAccuracy: unsupervised.length ? median(unsupervised) : null,
    medianAccuracyLabeled: supervised.length ? median(supervised) : null,
  };
  const parts = [
    ...(summary.medianAccuracy === null ? [] : [`median accuracy ${summary.medianAccuracy.toFixed(4)}`]),
    ...(summary.medianAccuracyLabeled === null ? []
      : [`with ${options.labeled} labels ${summary.medianAccuracyLabeled.toFixed(4)}`]),
  ];
  console.log(parts.join('; '));
  console.log('BENCH ' + JSON.stringify({ ...summary, minutes: options.minutes,
    threads: options.threads, parallel: options.parallel, extraFlags: options.extra, runs: results }));
}

main().catch((error) => {
  console.error(`bench:mnist: ${(error as Error).message}`);
  process.exit(1);
});
