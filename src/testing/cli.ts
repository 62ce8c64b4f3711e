/**
 * Helpers for tests that drive the built `infogan` command as a user would: a child process per
 * command (under `nice`, so test runs yield to real work), its exit code and output, a tiny model
 * that trains on real MNIST in a second, and a seeded random stream for fault schedules.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { dataset } from '../data/testing';

/** The project root: the folder above this file that holds package.json. */
export const PROJECT_ROOT = findRoot(__dirname);

/** The command as installed: `bin/infogan.js` over the compiled `dist/`. */
export const CLI = path.join(PROJECT_ROOT, 'bin', 'infogan.js');

/** The real MNIST idx files, read in place. */
export const MNIST = dataset('mnist');

/** A model small enough that a step takes milliseconds and a checkpoint is half a megabyte. */
export const TINY_MODEL = [
  '--generator', 'fc:32,fc:7x7x8,reshape:7:7:8,deconv:4:2:8,deconv:4:2:1:sigmoid',
  '--discriminator', 'conv:4:2:8:lrelu,conv:4:2:8:lrelu,fc:32:lrelu',
  '--style_size', '8', '--num_continuous', '1',
];

/**
 * `train` flags for a run of a few seconds on 128 real digits: 8 steps per epoch of 16 images,
 * 2 epochs, a checkpoint every 3 steps, one thread, the tiny model, writing into `out`.
 * `extra` flags are appended; one that is already set (`--plot_every 1`) replaces it.
 */
export function tinyTrainArgs(out: string, extra: string[] = []): string[] {
  const settings = new Map<string, string[]>([
    ['--dataset', [MNIST]], ['--max_images', ['128']], ['--batch_size', ['16']],
    ['--epochs', ['2']], ['--checkpoint_every', ['3']], ['--plot_every', ['1000']],
    ['--threads', ['1']], ['--out', [out]],
  ]);
  const appended: string[] = [];
  for (let i = 0; i < extra.length; i++) {
    const value = extra[i + 1];
    if (settings.has(extra[i]) && value !== undefined) settings.set(extra[i], [extra[++i]]);
    else appended.push(extra[i]);
  }
  return ['train', ...[...settings].flatMap(([flag, values]) => [flag, ...values]), ...TINY_MODEL,
    ...appended];
}

/** How a command ended and what it printed. */
export interface CliResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** A running command: its process, the output so far, and its end. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Where and how to run a command. */
export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Caps the child's address space (`ulimit -v`), so an input that allocates fails instead. */
  addressSpaceKb?: number;
}

/** Starts `infogan <args>` under `nice`, with NO_COLOR set. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const started = performance.now();
  // `nice` (and sh) exec node in place, so child.pid is node's pid and signals reach it directly.
  const command = ['nice', '-n', '10', process.execPath, CLI, ...args];
  const [file, ...argv] = options.addressSpaceKb === undefined ? command
    : ['sh', '-c', 'ulimit -v "$0" && exec "$@"', String(options.addressSpaceKb), ...command];
  const child = spawn(file, argv, {
    cwd: options.cwd ?? os.tmpdir(),
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `infogan <args>` to the end; kills it (SIGKILL) after `timeoutMs`. */
export async function runCli(args: string[], options: CliOptions & { timeoutMs?: number } = {}):
  Promise<CliResult> {
  const running = startCli(args, options);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  try {
    return await running.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `items` through `work` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number,
  work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A seeded stream of floats in [0, 1) (mulberry32): the same seed, the same fault schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `predicate` holds, checking every `everyMs`; rejects with `what` after
 * `timeoutMs`, or as soon as `alive` returns false.
 */
export async function waitFor(predicate: () => boolean, what: string,
  options: { timeoutMs?: number; everyMs?: number; alive?: () => boolean } = {}): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  while (!predicate()) {
    if (options.alive && !options.alive()) throw new Error(`exited before ${what}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(options.everyMs ?? 5);
  }
}

/** Whether this process may mount a tmpfs (root in a container that allows it). */
export function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-mount-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    if (mounted.status !== 0) return false;
    spawnSync('umount', [probe]);
    return true;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `sizeKb` (read-only with `readOnly`) on `dir`; returns the unmount. */
export function mountTmpfs(dir: string, sizeKb: number, readOnly = false): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const options = `size=${sizeKb}k${readOnly ? ',ro' : ''}`;
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], {
    encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${mounted.stderr}`);
  return () => {
    spawnSync('umount', [dir]);
  };
}

/** The non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}
