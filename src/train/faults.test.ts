/**
 * Fault injection against the built `infogan` command on real MNIST: kill -9 at seeded moments
 * (some in the middle of a checkpoint write) and resume, again and again; SIGINT and SIGTERM; a
 * run folder that cannot be written; a disk that fills up mid-run; training that diverges. Runs
 * train the tiny model of src/testing/cli.ts on 128 digits, 8 steps an epoch, with a checkpoint
 * every 3 steps, so a run takes a few seconds and the file about two minutes on a busy 2-core
 * machine. Tests that mount a tmpfs run only as root where mount is allowed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it, mock } from 'node:test';

import { parseTrainArgs, type TrainConfig } from '../config/train';
import {
  canMount, lines, mapLimit, mountTmpfs, runCli, seededRandom, startCli, tinyTrainArgs, waitFor,
  type CliResult,
} from '../testing/cli';
import { dataset } from '../data/testing';
import { MemoryLogger } from '../util/log';
import { train } from './trainer';

/** Steps of a tiny run: 2 epochs x (128 images / 16 per batch). */
const STEPS = 16;
const CHECKPOINT_EVERY = 3;
/** Kill chains run 3 epochs: room for 5 kills and resumes each. */
const CHAIN_STEPS = 24;
const KILL_SEED = 20261204;

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-faults-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

const pad = (iteration: number) => String(iteration).padStart(9, '0');
const escape = (value: unknown) => String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Iterations of the traversal grids written (since `sinceMs`): one per step with --plot_every 1. */
function gridIterations(out: string, sinceMs = 0): number[] {
  const folder = path.join(out, 'grids');
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder).flatMap((name) => {
    const match = /_iter_(\d+)\.png$/.exec(name);
    const fresh = match && fs.statSync(path.join(folder, name)).mtimeMs >= sinceMs;
    return fresh ? [Number(match[1])] : [];
  });
}

/**
 * Iterations of the checkpoint files written (since `sinceMs`). A step's checkpoint is written
 * before its grid, so a run killed between the two has finished a step no grid shows.
 */
function checkpointIterations(out: string, sinceMs = 0): number[] {
  const folder = path.join(out, 'checkpoints');
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder).flatMap((name) => {
    const match = /^step-(\d+)\.safetensors$/.exec(name);
    const fresh = match && fs.statSync(path.join(folder, name)).mtimeMs >= sinceMs;
    return fresh ? [Number(match[1])] : [];
  });
}

/** The last step a run finished, as far as its files tell: its newest grid or checkpoint. */
function reachedIteration(out: string, sinceMs = 0): number {
  return Math.max(0, ...gridIterations(out, sinceMs), ...checkpointIterations(out, sinceMs));
}

/** The newest checkpoint the manifest lists (what a resume loads), or 0. */
function newestListed(out: string): number {
  const manifest = path.join(out, 'checkpoints', 'manifest.json');
  if (!fs.existsSync(manifest)) return 0;
  const listed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as
    { checkpoints: { iteration: number }[] };
  return listed.checkpoints.at(-1)?.iteration ?? 0;
}

function tempFiles(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.includes('.tmp-')) : [];
}

/** Asserts that every checkpoint the manifest lists exists and has its checksum; returns them. */
function verifiedCheckpoints(out: string): number[] {
  const folder = path.join(out, 'checkpoints');
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as
    { checkpoints: { file: string; iteration: number; sha256: string }[] };
  for (const entry of manifest.checkpoints) {
    const bytes = fs.readFileSync(path.join(folder, entry.file));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, entry.file);
  }
  return manifest.checkpoints.map((e) => e.iteration);
}

/** The iteration a resume started from: from its log line, or 0 when there was no checkpoint. */
function resumedFrom(result: CliResult): number {
  const match = /resumed from \S+: iteration (\d+)/.exec(result.stdout);
  if (match) return Number(match[1]);
  assert.match(result.stderr, /no checkpoint .*yet.*iteration 0/, result.stdout + result.stderr);
  return 0;
}

function assertOnlyWarnings(result: CliResult): void {
  for (const line of lines(result.stderr)) assert.match(line, /^warning: /, result.stderr);
}

type KillKind = 'at-start' | 'checkpoint-write' | 'manifest-write' | 'mid-step';

/**
 * Four chains of five kills: each run is killed, resumed, the resume killed, and so on; the sixth
 * run of a chain finishes. 5 kills in checkpoint writes, 2 in manifest writes, 2 right after the
 * config is written (for a first run: before any checkpoint), 11 at seeded steps.
 */
const KILL_CHAINS: KillKind[][] = [
  ['at-start', 'checkpoint-write', 'mid-step', 'manifest-write', 'mid-step'],
  ['checkpoint-write', 'mid-step', 'mid-step', 'checkpoint-write', 'mid-step'],
  ['at-start', 'mid-step', 'checkpoint-write', 'mid-step', 'mid-step'],
  ['mid-step', 'manifest-write', 'mid-step', 'checkpoint-write', 'mid-step'],
];

interface KillPlan {
  kind: KillKind;
  /** The checkpoint whose write is interrupted, or the step after which the kill comes. */
  target: number;
  /** Extra wait after a mid-step trigger, so kills land anywhere within a step. */
  delayMs: number;
}

/** Where to kill a run that starts from checkpoint `from`: always past it, before the end. */
function planKill(kind: KillKind, from: number, random: () => number): KillPlan {
  const firstCheckpoint = (Math.floor(from / CHECKPOINT_EVERY) + 1) * CHECKPOINT_EVERY;
  const checkpoints = [firstCheckpoint, firstCheckpoint + CHECKPOINT_EVERY]
    .filter((i) => i < CHAIN_STEPS - CHECKPOINT_EVERY);
  const pick = random();
  const delayMs = Math.floor(random() * 60);
  if ((kind === 'checkpoint-write' || kind === 'manifest-write') && checkpoints.length > 0) {
    return { kind, target: checkpoints[Math.floor(pick * checkpoints.length)], delayMs: 0 };
  }
  if (kind === 'at-start') return { kind, target: from, delayMs: 0 };
  const target = Math.min(from + 1 + Math.floor(pick * 4), CHAIN_STEPS - 2);
  return { kind: 'mid-step', target, delayMs: target <= CHAIN_STEPS - 4 ? delayMs : 0 };
}

interface Attempt {
  plan?: KillPlan;
  result: CliResult;
  /** The checkpoint it started from (what the manifest listed). */
  from: number;
  /** The last step it finished: its newest grid, or `from`. */
  reached: number;
  /** Its temporary files left in checkpoints/: proof that the kill came mid-write. */
  leftovers: string[];
}

/** Runs `args` (a run writing `out`) and SIGKILLs it when `plan`'s moment comes. */
async function attempt(out: string, args: string[], plan?: KillPlan): Promise<Attempt> {
  const from = newestListed(out);
  const startedMs = Date.now();
  const running = startCli(args);
  let fired = false;
  const kill = () => {
    if (fired) return;
    fired = true;
    running.child.kill('SIGKILL');
  };
  const checkpoints = path.join(out, 'checkpoints');
  const onCheckpointFile = (name: string) => {
    if (plan?.kind === 'checkpoint-write' &&
      name.startsWith(`step-${pad(plan.target)}.safetensors.tmp-`)) kill();
    if (plan?.kind === 'manifest-write' && name.startsWith('manifest.json.tmp-') &&
      fs.existsSync(path.join(checkpoints, `step-${pad(plan.target)}.safetensors`))) kill();
  };
  const watchers = [
    fs.watch(checkpoints, (_, name) => name && onCheckpointFile(name)),
    fs.watch(path.join(out, 'grids'), (_, name) => {
      const step = Number(/_iter_(\d+)\.png$/.exec(name ?? '')?.[1] ?? -1);
      if (plan?.kind === 'mid-step' && step >= plan.target) setTimeout(kill, plan.delayMs);
    }),
    fs.watch(out, (_, name) => {
      if (plan?.kind === 'at-start' && name === 'config.json') kill();
    }),
  ];
  try {
    const result = await running.done;
    // Files of this run only: an earlier run of the chain may have got further.
    const reached = Math.max(from, reachedIteration(out, startedMs));
    const mine = `.tmp-${running.child.pid}`;
    const leftovers = tempFiles(checkpoints).filter((f) => f.endsWith(mine));
    return { plan, result, from, reached, leftovers };
  } finally {
    for (const watcher of watchers) watcher.close();
  }
}

/** One chain: its runs, the killed ones first, the finishing resume last. */
async function killChain(kinds: KillKind[], out: string, random: () => number):
  Promise<Attempt[]> {
  // Created up front so they can be watched from the start; train creates them the same way.
  for (const folder of ['checkpoints', 'grids']) {
    fs.mkdirSync(path.join(out, folder), { recursive: true });
  }
  const resume = ['train', '--resume', out, '--threads', '1'];
  const attempts: Attempt[] = [];
  for (const kind of kinds) {
    const args = attempts.length === 0 ? tinyTrainArgs(out, ['--plot_every', '1', '--epochs', '3'])
      : resume;
    attempts.push(await attempt(out, args, planKill(kind, newestListed(out), random)));
  }
  attempts.push(await attempt(out, resume));
  return attempts;
}

/** Checks kill `killed` against the run that resumed it (`next`). */
function checkResume(killed: Attempt, next: Attempt): void {
  const plan = killed.plan!;
  const where = `${plan.kind} ${plan.target} from ${killed.from}, reached ${killed.reached}`;
  assert.equal(killed.result.signal, 'SIGKILL', `${where}: not killed: ${killed.result.stderr}`);
  assertOnlyWarnings(next.result);
  const from = resumedFrom(next.result);
  // The manifest may not list a checkpoint whose file is complete (a kill between the two
  // renames); with no manifest yet, the trainer finds such a file itself, which is newer still.
  assert.ok(from >= next.from, `${where}: resumed from ${from}, older than the newest listed`);
  assert.ok(from >= killed.reached - CHECKPOINT_EVERY && from <= killed.reached,
    `${where}: resumed from ${from}`);
  if (plan.kind === 'checkpoint-write' && killed.leftovers.length > 0) {
    assert.equal(from, plan.target - CHECKPOINT_EVERY, `${where}: resumed from ${from}`);
  }
}

describe('kill -9 at seeded moments, then --resume', () => {
  it('20 kills in 4 chains of kill and resume: every resume loads the newest checkpoint, ' +
    'loses at most one checkpoint interval, and the last one finishes', async (t) => {
    const random = seededRandom(KILL_SEED);
    const plans = KILL_CHAINS.map((kinds) => ({ kinds, random: seededRandom(random() * 2 ** 32) }));
    const chains = await mapLimit(plans, KILL_CHAINS.length, ({ kinds, random: stream }, c) =>
      killChain(kinds, path.join(temp, `chain-${c}`), stream));
    const killed = chains.flatMap((runs) => runs.slice(0, -1));
    const report = chains.map((runs, c) => `chain ${c}: ` + runs.map((a) => a.plan
      ? `[${a.plan.kind} ${a.plan.target}: from ${a.from}, ${a.result.signal ?? a.result.code} ` +
        `at ${a.reached}${a.leftovers.length > 0 ? ' mid-write' : ''}]`
      : `[finish: from ${a.from}, exit ${a.result.code}]`).join(' ')).join('\n');
    const problems = chains.flatMap((runs, c) => runs.slice(0, -1).flatMap((run, i) => {
      try {
        checkResume(run, runs[i + 1]);
        return [];
      } catch (error) {
        return [`chain ${c} kill ${i}: ${(error as Error).message.split('\n')[0]}`];
      }
    }));
    assert.deepEqual(problems, [], report);
    for (const [c, runs] of chains.entries()) {
      const last = runs.at(-1)!;
      const out = path.join(temp, `chain-${c}`);
      assert.equal(last.result.code, 0, `chain ${c}: ${last.result.stderr}`);
      assert.match(last.result.stdout, new RegExp(`finished at iteration ${CHAIN_STEPS};`));
      assert.deepEqual(tempFiles(path.join(out, 'checkpoints')), [], `chain ${c}: temp files`);
      assert.equal(verifiedCheckpoints(out).at(-1), CHAIN_STEPS);
    }
    const midWrite = killed.filter((a) => a.leftovers.length > 0).length;
    const early = killed.filter((a) => a.reached < CHECKPOINT_EVERY).length;
    t.diagnostic(`${killed.length} kills, ${midWrite} mid-write, ${early} before any checkpoint; ` +
      `steps lost per kill: ${chains.flatMap((runs) => runs.slice(1).map((next, i) =>
        runs[i].reached - next.from)).join(' ')} (at most ${CHECKPOINT_EVERY} allowed)`);
    assert.equal(killed.length, 20);
    assert.ok(midWrite >= 3, `only ${midWrite} kills landed mid-write:\n${report}`);
    assert.ok(early >= 1, report);
  });
});

describe('stop signals', () => {
  /** Starts a run, sends `signals` once it has finished step 4, and returns what happened. */
  async function stopRun(name: string, signals: NodeJS.Signals[]) {
    const out = path.join(temp, name);
    const running = startCli(tinyTrainArgs(out, ['--plot_every', '1']));
    let exited = false;
    void running.done.then(() => { exited = true; });
    await waitFor(() => reachedIteration(out) >= 4, 'step 4', { alive: () => !exited });
    const reached = reachedIteration(out);
    for (const signal of signals) running.child.kill(signal);
    return { out, reached, result: await running.done };
  }

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} once: finishes the step, checkpoints there, exits ${code}; resume goes on`,
      async () => {
        const { out, reached, result } = await stopRun(signal.toLowerCase(), [signal]);
        assert.equal(result.code, code, result.stderr);
        assert.deepEqual(lines(result.stderr), [`warning: ${signal}: finishing this step and ` +
          'writing a checkpoint (again to quit at once)']);
        const stopped = /stopped at iteration (\d+); checkpoint \S+step-(\d+)\.safetensors/
          .exec(result.stdout);
        assert.ok(stopped, result.stdout);
        const iteration = Number(stopped[1]);
        assert.equal(Number(stopped[2]), iteration);
        assert.ok(iteration >= reached && iteration < STEPS, `stopped at ${iteration}`);
        assert.equal(verifiedCheckpoints(out).at(-1), iteration);

        const resumed = await runCli(['train', '--resume', out, '--threads', '1']);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.equal(resumedFrom(resumed), iteration);
        assert.match(resumed.stdout, new RegExp(`finished at iteration ${STEPS};`));
      });
  }

  it('SIGINT twice, during a slow image decode: the second exits 130 at once', async () => {
    const out = path.join(temp, 'sigint-twice');
    const running = startCli(tinyTrainArgs(out, ['--dataset', dataset('lfw-people'),
      '--max_images', '1000', '--scale_dataset', '28', '28', '--force_grayscale',
      '--cache_dir', path.join(temp, 'cache')]));
    let exited = false;
    void running.done.then(() => { exited = true; });
    // The run folder appears once the stop handler is in place, just before decoding starts.
    await waitFor(() => fs.existsSync(out), 'the run folder', { alive: () => !exited });
    running.child.kill('SIGINT');
    await waitFor(() => running.stderr().includes('SIGINT'), 'the first warning',
      { alive: () => !exited });
    running.child.kill('SIGINT');
    const result = await running.done;
    assert.equal(result.code, 130, result.stderr);
    assert.deepEqual(lines(result.stderr), ['warning: SIGINT: finishing this step and writing ' +
      'a checkpoint (again to quit at once)', 'warning: SIGINT again: quitting at once']);
    assert.equal(fs.existsSync(path.join(out, 'config.json')), false, 'it went on to train');
  });
});

/** A tiny run's config, for calling `train` in this process (where fs can be stubbed). */
function tinyConfig(name: string, extra: string[] = []): TrainConfig {
  const config = parseTrainArgs(tinyTrainArgs(path.join(temp, name), extra).slice(1));
  assert.notEqual(config, 'help');
  return config as TrainConfig;
}

function errnoError(code: string, syscall: string, file?: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'permission denied';
  return Object.assign(new Error(`${code}: ${text}, ${syscall}${file ? ` '${file}'` : ''}`),
    { code, syscall, errno: code === 'ENOSPC' ? -28 : -13 });
}

describe('a run folder that cannot be written', () => {
  it('a regular file where --out should go: one clear line before any data is read', async () => {
    const blocker = path.join(temp, 'not-a-folder');
    fs.writeFileSync(blocker, 'in the way\n');
    const result = await runCli(tinyTrainArgs(path.join(blocker, 'run')));
    assert.equal(result.code, 1);
    assert.deepEqual(lines(result.stderr), [`infogan: cannot write the run folder --out ` +
      `${path.join(blocker, 'run')} (ENOTDIR); choose a folder you can write to`]);
    assert.equal(result.stdout, '');
  });

  for (const code of ['EACCES', 'ENOSPC']) {
    it(`${code} on the run folder: refused before the data is loaded`, async () => {
      const config = tinyConfig(`probe-${code}`);
      const writeFileSync = fs.writeFileSync;
      const stub = mock.method(fs, 'writeFileSync', (...args: Parameters<typeof writeFileSync>) => {
        const file = String(args[0]);
        if (file.includes('.write-test-')) throw errnoError(code, 'open', file);
        return writeFileSync(...args);
      });
      const log = new MemoryLogger();
      try {
        await assert.rejects(train(config, log), new RegExp(
          `^UserError: cannot write the run folder --out \\S+probe-${code} \\(${code}\\)`));
      } finally {
        stub.mock.restore();
      }
      assert.deepEqual(log.lines, []);
    });
  }

  it('a read-only file system (read-only tmpfs mount, as root)',
    { skip: !canMount() && 'needs mount' }, async () => {
      const mountPoint = path.join(temp, 'read-only');
      const unmount = mountTmpfs(mountPoint, 64, true);
      try {
        const result = await runCli(tinyTrainArgs(path.join(mountPoint, 'run')));
        assert.equal(result.code, 1);
        assert.deepEqual(lines(result.stderr), [`infogan: cannot write the run folder --out ` +
          `${path.join(mountPoint, 'run')} (EROFS); choose a folder you can write to`]);
      } finally {
        unmount();
      }
    });
});

/**
 * Makes fs.writeSync fail with ENOSPC for checkpoint files where `fail(iteration, failuresSoFar)`
 * says so, the way a full disk fails the write of a temporary file (other writes go through).
 */
function failCheckpointWrites(fail: (iteration: number, failures: number) => boolean) {
  const openSync = fs.openSync;
  const writeSync = fs.writeSync as (...args: unknown[]) => number;
  const victims = new Set<number>();
  let failures = 0;
  const opens = mock.method(fs, 'openSync', (...args: Parameters<typeof openSync>) => {
    const fd = openSync(...args);
    const match = /^step-(\d+)\.safetensors\.tmp-/.exec(path.basename(String(args[0])));
    if (match && fail(Number(match[1]), failures)) victims.add(fd);
    return fd;
  });
  const writes = mock.method(fs, 'writeSync', (...args: unknown[]) => {
    if (victims.delete(args[0] as number)) {
      failures += 1;
      throw errnoError('ENOSPC', 'write');
    }
    return writeSync(...args);
  });
  return {
    failures: () => failures,
    restore: () => {
      opens.mock.restore();
      writes.mock.restore();
    },
  };
}

describe('a disk that fills up mid-run', () => {
  it('ENOSPC in one checkpoint write: keeps the previous one, warns once, trains on', async () => {
    const config = tinyConfig('enospc-once');
    const stubs = failCheckpointWrites((iteration, failures) => iteration === 6 && failures === 0);
    const log = new MemoryLogger();
    const folder = path.join(config.out, 'checkpoints');
    let afterFailure: { files: string[]; listed: number[] } | undefined;
    try {
      const result = await train(config, log, {
        afterStep: (iteration) => {
          if (iteration === 6) {
            const files = fs.readdirSync(folder).sort();
            afterFailure = { files, listed: verifiedCheckpoints(config.out) };
          }
        },
      });
      assert.equal(result.finished, 'completed');
      assert.equal(result.iterations, STEPS);
    } finally {
      stubs.restore();
    }
    assert.equal(stubs.failures(), 1);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /^checkpoint at iteration 6 failed \(ENOSPC\); keeping \S+step-000000003\.safetensors and training on$/);
    assert.deepEqual(afterFailure,
      { files: ['manifest.json', `step-${pad(3)}.safetensors`], listed: [3] });
    assert.deepEqual(verifiedCheckpoints(config.out), [12, 15, 16]);
  });

  it('a real full tmpfs: a warning per failed checkpoint, an error naming the last good one; ' +
    'resume after space is freed', { skip: !canMount() && 'needs mount' }, async () => {
    // Room for two checkpoints of 448 KB, the small files and someone else's 512 KB file.
    const mountPoint = path.join(temp, 'small-disk');
    const unmount = mountTmpfs(mountPoint, 1150 + 512);
    try {
      const filler = path.join(mountPoint, 'somebody-elses-file');
      fs.writeFileSync(filler, Buffer.alloc(512 * 1024));
      const out = path.join(mountPoint, 'run');
      const full = await runCli(tinyTrainArgs(out, ['--keep_checkpoints', '2']));
      assert.equal(full.code, 1, full.stderr);
      const stderr = lines(full.stderr);
      assert.deepEqual(stderr.slice(0, -1), [9, 12, 15].map((i) => `warning: checkpoint at ` +
        `iteration ${i} failed (ENOSPC); keeping ${out}/checkpoints/step-${pad(6)}.safetensors ` +
        'and training on'));
      assert.match(stderr.at(-1)!, /^infogan: cannot write the final checkpoint in \S+ \(ENOSPC\); the last one written is \S+step-000000006\.safetensors$/);
      assert.deepEqual(verifiedCheckpoints(out), [3, 6]);
      assert.deepEqual(tempFiles(path.join(out, 'checkpoints')), []);

      fs.rmSync(filler);
      const resumed = await runCli(['train', '--resume', out, '--threads', '1']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumedFrom(resumed), 6);
      assert.deepEqual(verifiedCheckpoints(out), [15, STEPS]);
    } finally {
      unmount();
    }
  });

  it('ENOSPC mid-run after a resume names the checkpoint it resumed from', async () => {
    const config = tinyConfig('enospc-resumed', ['--epochs', '1']);
    await train(config, new MemoryLogger());
    const stubs = failCheckpointWrites(() => true);
    const log = new MemoryLogger();
    try {
      await assert.rejects(train({ ...config, epochs: 2, resume: config.out }, log),
        /cannot write the final checkpoint in \S+ \(ENOSPC\); the last one written is \S+step-000000008\.safetensors$/);
    } finally {
      stubs.restore();
    }
    assert.deepEqual(log.warnings, [9, 12, 15].map((i) => `checkpoint at iteration ${i} failed ` +
      `(ENOSPC); keeping ${config.out}/checkpoints/step-${pad(8)}.safetensors and training on`));
  });
});

describe('divergence from the command line', () => {
  const huge = ['--generator_lr', '1e30', '--discriminator_lr', '1e30'];

  it('--on_nan stop: one line naming the step and the last good checkpoint, exit 1', async () => {
    const result = await runCli(tinyTrainArgs(path.join(temp, 'diverge'), huge));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(lines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /^infogan: training diverged at iteration 1: .* loss is (NaN|Infinity).*; last good checkpoint: none yet/);
  });

  it('--on_nan rollback: rolls back to the checkpoint with halved rates, 3 times, then stops',
    async () => {
      const out = path.join(temp, 'rollback');
      const first = await runCli(tinyTrainArgs(out, ['--epochs', '1']));
      assert.equal(first.code, 0, first.stderr);
      const result = await runCli(['train', '--resume', out, '--epochs', '2', '--on_nan',
        'rollback', ...huge, '--threads', '1']);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const stderr = lines(result.stderr);
      assert.equal(stderr.length, 4, result.stderr);
      [5e29, 2.5e29, 1.25e29].forEach((rate, i) => assert.match(stderr[i], new RegExp(
        `^warning: training diverged at iteration 9: .*; rolled back to \\S+step-${pad(8)}` +
        `\\.safetensors \\(iteration 8\\) with learning rates halved to generator ${escape(rate)}, ` +
        `discriminator ${escape(rate)} \\(rollback ${i + 1} of 3\\)$`)));
      assert.match(stderr[3], /^infogan: training diverged at iteration 9: .*; last good checkpoint: \S+step-000000008\.safetensors/);
    });
});
