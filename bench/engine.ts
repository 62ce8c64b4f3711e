/**
 * Engine throughput against PyTorch, on this machine, in one run.
 *
 * Trains and samples the reference's MNIST and 64x64 networks with infogan's engine (float32, and
 * bfloat16 autocast) and with /work/shared/bench/pytorch_reference.py, alternating the three
 * (A B C A B C ...) so that a change in machine load hits all of them alike, at 1 and 2 threads
 * (pinned on both sides: libtorch/torch threads, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS=1).
 * Each measurement is its own process. Prints a table of medians and ratios, then one line
 * `BENCH {json}` with every figure, including the other load seen on the machine during each run.
 *
 *   node dist/bench/engine.js [--seconds 6] [--sample-seconds 3] [--rounds 3]
 *     [--faces64-rounds 1] [--threads 1,2] [--arch mnist,faces64] [--no-bf16] [--no-spin-check]
 *     [--profile-rounds 2]
 *   node dist/bench/engine.js --worker --arch mnist --threads 2 [--bf16]   (one measurement)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getThreads, setAutocast, setThreads, torchVersion } from '../src/torch/runtime';
import { memory, rand } from '../src/torch/tensor';
import { Arch, buildNetworks, makeTrainer, sampleOnce } from './engine-networks';

const REFERENCE = '/work/shared/bench/pytorch_reference.py';
const PYTHON = '/usr/bin/python3';
const BATCH = 64;

/** `pytorch-spin`: the reference with libgomp's default wait policy (spinning), for contrast. */
type Engine = 'infogan' | 'pytorch' | 'infogan-bf16' | 'pytorch-spin';
const ENGINES: Engine[] = ['infogan', 'pytorch', 'infogan-bf16', 'pytorch-spin'];

/**
 * The engine makes OpenMP threads sleep at barriers (src/torch/native.ts); both sides get the same
 * policy so that the engines are compared, not libgomp settings.
 */
const WAIT_POLICY = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';

interface Options {
  worker: boolean;
  arch: Arch[];
  threads: number[];
  seconds: number;
  sampleSeconds: number;
  rounds: number;
  faces64Rounds: number;
  bf16: boolean;
  spinCheck: boolean;
  /** Rounds of the one-thread CPU-time comparison (0: none). */
  profileRounds: number;
}

/** One process's figures, as both engines print them after `RESULT `. */
interface Result {
  engine: string;
  arch: Arch;
  threads: number;
  train_images_per_s: number;
  sample_images_per_s: number;
  steps: number;
  last_losses: number[];
  peak_rss_mb: number;
}

interface Run {
  engine: Engine;
  arch: Arch;
  threads: number;
  round: number;
  result: Result;
  wallSeconds: number;
  /** CPU the rest of the machine used while this ran, in cores (0 = quiet, 2 = both busy). */
  otherCores: number;
  /** CPU this run used, in cores: near its thread count when it ran, higher when it spun. */
  ownCores: number;
  loadAverage: [number, number];
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    worker: false, arch: ['mnist', 'faces64'], threads: [1, 2], seconds: 5, sampleSeconds: 2,
    rounds: 3, faces64Rounds: 1, bf16: true, spinCheck: true, profileRounds: 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--worker': options.worker = true; break;
      case '--bf16': options.bf16 = true; break;
      case '--no-bf16': options.bf16 = false; break;
      case '--no-spin-check': options.spinCheck = false; break;
      case '--profile': break; // worker: CPU time on one thread
      case '--profile-rounds': options.profileRounds = Number(value()); break;
      case '--arch': options.arch = value().split(',') as Arch[]; break;
      case '--threads': options.threads = value().split(',').map(Number); break;
      case '--seconds': options.seconds = Number(value()); break;
      case '--sample-seconds': options.sampleSeconds = Number(value()); break;
      case '--rounds': options.rounds = Number(value()); break;
      case '--faces64-rounds': options.faces64Rounds = Number(value()); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  for (const arch of options.arch) {
    if (arch !== 'mnist' && arch !== 'faces64') throw new Error(`--arch: unknown ${arch}`);
  }
  return options;
}

// --- One measurement (a child process) -----------------------------------------------------------

function peakRssMb(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function worker(options: Options, bf16: boolean): void {
  const arch = options.arch[0];
  setThreads(options.threads[0]);
  if (bf16) setAutocast(true);
  const nets = buildNetworks(arch);
  const trainer = makeTrainer(nets, BATCH);
  const realBatches = Array.from({ length: 4 }, () => rand([BATCH, ...nets.codes.image]).keep());
  const warmup = arch === 'mnist' ? 3 : 1;
  for (let i = 0; i < warmup; i++) trainer.step(realBatches[i % 4]);

  let steps = 0;
  let losses: [number, number] = [NaN, NaN];
  let started = performance.now();
  while (steps < 3 || performance.now() - started < options.seconds * 1000) {
    losses = trainer.step(realBatches[steps % 4]);
    steps += 1;
  }
  const trainSeconds = (performance.now() - started) / 1000;

  nets.generator.eval();
  sampleOnce(nets);
  let calls = 0;
  started = performance.now();
  while (calls < 3 || performance.now() - started < options.sampleSeconds * 1000) {
    sampleOnce(nets);
    calls += 1;
  }
  const sampleSeconds = (performance.now() - started) / 1000;

  console.log('RESULT ' + JSON.stringify({
    engine: bf16 ? 'infogan-bf16' : 'infogan', torch: torchVersion(), arch, batch: BATCH,
    threads: getThreads(), train_images_per_s: round1((steps * BATCH) / trainSeconds),
    sample_images_per_s: round1((calls * 100) / sampleSeconds), steps,
    last_losses: losses.map((v) => Math.round(v * 1e4) / 1e4), peak_rss_mb: peakRssMb(),
    live_tensors: memory().numTensors,
  }));
}

// --- Running measurements and watching the machine -----------------------------------------------

/** Busy CPU time of the whole machine and of one process, in clock ticks. */
function busyTicks(pid: number): { machine: number; process: number } | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1)
      .map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      machine: user + nice + system + irq + softirq + (steal ?? 0),
      process: Number(fields[11]) + Number(fields[12]), // utime, stime
    };
  } catch {
    return null; // the process has just exited
  }
}

function commandFor(engine: Engine, arch: Arch, threads: number, options: Options): string[] {
  if (engine === 'pytorch' || engine === 'pytorch-spin') {
    return [PYTHON, REFERENCE, '--arch', arch, '--threads', String(threads), '--batch',
      String(BATCH), '--seconds', String(options.seconds), '--sample-seconds',
      String(options.sampleSeconds), '--warmup', arch === 'mnist' ? '3' : '1'];
  }
  return [process.execPath, __filename, '--worker', '--arch', arch, '--threads', String(threads),
    '--seconds', String(options.seconds), '--sample-seconds', String(options.sampleSeconds),
    ...(engine === 'infogan-bf16' ? ['--bf16'] : [])];
}

interface Child {
  /** The JSON after `prefix` on the child's stdout. */
  line: unknown;
  wallSeconds: number;
  otherCores: number;
  ownCores: number;
  loadAverage: [number, number];
}

/** Runs one measurement process, watching its CPU use and everybody else's while it runs. */
function runChild(command: string[], env: NodeJS.ProcessEnv, prefix: string, what: string):
  Promise<Child> {
  const [program, ...args] = command;
  const ticksPerSecond = 100; // USER_HZ on Linux
  const startLoad = os.loadavg()[0];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    type Sample = { machine: number; process: number; at: number };
    let first: Sample | undefined;
    let last: Sample | undefined;
    const watch = setInterval(() => {
      const ticks = busyTicks(child.pid!);
      if (!ticks) return;
      const sample: Sample = { ...ticks, at: performance.now() };
      first ??= sample;
      last = sample;
    }, 250);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      const line = stdout.split('\n').find((l) => l.startsWith(prefix));
      if (code !== 0 || !line) {
        reject(new Error(`${what} exited ${code}: ` +
          `${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      let otherCores = NaN;
      let ownCores = NaN;
      if (first && last && last.at > first.at) {
        const seconds = (last.at - first.at) / 1000;
        const own = last.process - first.process;
        ownCores = own / ticksPerSecond / seconds;
        otherCores = Math.max(0, (last.machine - first.machine - own) / ticksPerSecond / seconds);
      }
      resolve({
        line: JSON.parse(line.slice(prefix.length)), otherCores, ownCores,
        wallSeconds: (performance.now() - started) / 1000,
        loadAverage: [startLoad, os.loadavg()[0]],
      });
    });
  });
}

function childEnv(engine: Engine, threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: '1',
    OMP_WAIT_POLICY: WAIT_POLICY,
  };
  if (engine === 'pytorch-spin') delete env.OMP_WAIT_POLICY;
  return env;
}

async function measure(engine: Engine, arch: Arch, threads: number, round: number,
  options: Options): Promise<Run> {
  const child = await runChild(commandFor(engine, arch, threads, options),
    childEnv(engine, threads), 'RESULT ', `${engine} ${arch} threads ${threads}`);
  const { line, ...watched } = child;
  return { engine, arch, threads, round, result: line as Result, ...watched };
}

// --- CPU time on one thread (robust to other load) -----------------------------------------------

/** CPU milliseconds of one thread per training step and per 100 samples. */
interface Profile {
  engine: Engine;
  arch: Arch;
  round: number;
  trainCpuMsPerStep: number;
  sampleCpuMsPer100: number;
  otherCores: number;
}

const PROFILE_STEPS: Record<Arch, [number, number]> = { mnist: [10, 10], faces64: [1, 2] };

function profileWorker(arch: Arch, bf16: boolean): void {
  setThreads(1);
  if (bf16) setAutocast(true);
  const nets = buildNetworks(arch);
  const trainer = makeTrainer(nets, BATCH);
  const real = rand([BATCH, ...nets.codes.image]).keep();
  const cpuMs = (): number => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  const [steps, samples] = PROFILE_STEPS[arch];
  trainer.step(real);
  let started = cpuMs();
  for (let i = 0; i < steps; i++) trainer.step(real);
  const train = (cpuMs() - started) / steps;
  nets.generator.eval();
  sampleOnce(nets);
  started = cpuMs();
  for (let i = 0; i < samples; i++) sampleOnce(nets);
  const sample = (cpuMs() - started) / samples;
  console.log('PROFILE ' + JSON.stringify({
    engine: bf16 ? 'infogan-bf16' : 'infogan', arch,
    train_cpu_ms_per_step: round1(train), sample_cpu_ms_per_100: round1(sample),
  }));
}

async function profile(engine: Engine, arch: Arch, round: number): Promise<Profile> {
  const [steps, samples] = PROFILE_STEPS[arch];
  const command = engine === 'pytorch'
    ? [PYTHON, path.join(__dirname, '..', '..', 'bench', 'engine-profile.py'), '--arch', arch,
      '--steps', String(steps), '--samples', String(samples)]
    : [process.execPath, __filename, '--worker', '--profile', '--arch', arch,
      ...(engine === 'infogan-bf16' ? ['--bf16'] : [])];
  const child = await runChild(command, childEnv(engine, 1), 'PROFILE ',
    `${engine} ${arch} profile`);
  const line = child.line as { train_cpu_ms_per_step: number; sample_cpu_ms_per_100: number };
  return {
    engine, arch, round, trainCpuMsPerStep: line.train_cpu_ms_per_step,
    sampleCpuMsPer100: line.sample_cpu_ms_per_100, otherCores: child.otherCores,
  };
}

// --- Summary -------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

interface Summary {
  arch: Arch;
  threads: number;
  rounds: number;
  train: Record<Engine, number[]>;
  sample: Record<Engine, number[]>;
  median: { train: Partial<Record<Engine, number>>; sample: Partial<Record<Engine, number>> };
  ratio: { train: number; sample: number; trainBf16?: number; sampleBf16?: number;
    trainBf16VsFloat32?: number; sampleBf16VsFloat32?: number;
    /** PyTorch with libgomp's default spin-waiting over PyTorch with the same policy as ours. */
    trainSpinVsPassive?: number; sampleSpinVsPassive?: number };
  lastLosses: Partial<Record<Engine, number[]>>;
  otherCoresMax: number;
}

function summarise(runs: Run[], arch: Arch, threads: number): Summary {
  const mine = runs.filter((r) => r.arch === arch && r.threads === threads);
  const engines = ENGINES;
  const pick = (field: 'train_images_per_s' | 'sample_images_per_s'): Record<Engine, number[]> =>
    Object.fromEntries(engines.map((e) => [e,
      mine.filter((r) => r.engine === e).map((r) => r.result[field])])) as Record<Engine, number[]>;
  const train = pick('train_images_per_s');
  const sample = pick('sample_images_per_s');
  const med = (values: Record<Engine, number[]>): Partial<Record<Engine, number>> =>
    Object.fromEntries(engines.filter((e) => values[e].length > 0)
      .map((e) => [e, round1(median(values[e]))]));
  const medianTrain = med(train);
  const medianSample = med(sample);
  const lastLosses: Partial<Record<Engine, number[]>> = {};
  for (const e of engines) {
    const last = mine.filter((r) => r.engine === e).pop();
    if (last) lastLosses[e] = last.result.last_losses;
  }
  const summary: Summary = {
    arch, threads, rounds: Math.max(...engines.map((e) => train[e].length)), train, sample,
    median: { train: medianTrain, sample: medianSample },
    ratio: {
      train: ratio(medianTrain.infogan!, medianTrain.pytorch!),
      sample: ratio(medianSample.infogan!, medianSample.pytorch!),
    },
    lastLosses,
    otherCoresMax: Math.round(Math.max(...mine.map((r) => r.otherCores)) * 100) / 100,
  };
  if (medianTrain['infogan-bf16'] !== undefined) {
    summary.ratio.trainBf16 = ratio(medianTrain['infogan-bf16'], medianTrain.pytorch!);
    summary.ratio.sampleBf16 = ratio(medianSample['infogan-bf16']!, medianSample.pytorch!);
    summary.ratio.trainBf16VsFloat32 = ratio(medianTrain['infogan-bf16'], medianTrain.infogan!);
    summary.ratio.sampleBf16VsFloat32 = ratio(medianSample['infogan-bf16']!, medianSample.infogan!);
  }
  if (medianTrain['pytorch-spin'] !== undefined) {
    summary.ratio.trainSpinVsPassive = ratio(medianTrain['pytorch-spin'], medianTrain.pytorch!);
    summary.ratio.sampleSpinVsPassive = ratio(medianSample['pytorch-spin']!, medianSample.pytorch!);
  }
  return summary;
}

function printTable(summaries: Summary[]): void {
  const header = ['arch', 'thr', 'what', 'infogan f32', 'pytorch f32', 'ratio', 'infogan bf16',
    'bf16/pytorch', 'bf16/f32', 'runs', 'other load'];
  const rows: string[][] = [];
  for (const s of summaries) {
    for (const what of ['train', 'sample'] as const) {
      const m = s.median[what];
      const r = s.ratio;
      rows.push([s.arch, String(s.threads), `${what} img/s`, String(m.infogan), String(m.pytorch),
        `${what === 'train' ? r.train : r.sample}x`, m['infogan-bf16'] === undefined ? '-'
          : String(m['infogan-bf16']),
        what === 'train' ? `${r.trainBf16 ?? '-'}x` : `${r.sampleBf16 ?? '-'}x`,
        what === 'train' ? `${r.trainBf16VsFloat32 ?? '-'}x` : `${r.sampleBf16VsFloat32 ?? '-'}x`,
        String(s.rounds), `${s.otherCoresMax} cores`]);
    }
    const losses = Object.entries(s.lastLosses).map(([e, l]) => `${e} ${l!.join('/')}`);
    rows.push(['', '', `last D/G losses: ${losses.join(', ')}`]);
    if (s.median.train['pytorch-spin'] !== undefined) {
      rows.push(['', '', `pytorch with libgomp's default spin-wait: train ` +
        `${s.median.train['pytorch-spin']} img/s (${s.ratio.trainSpinVsPassive}x), sample ` +
        `${s.median.sample['pytorch-spin']} img/s (${s.ratio.sampleSpinVsPassive}x)`]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length,
    ...rows.filter((r) => r.length > 3).map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(row.length > 3 ? line(row) : `  ${row[2]}`);
}

interface ProfileSummary {
  arch: Arch;
  rounds: number;
  /** Median CPU ms per training step and per 100 samples, by engine. */
  trainCpuMs: Partial<Record<Engine, number>>;
  sampleCpuMs: Partial<Record<Engine, number>>;
  /** PyTorch's CPU time over ours: above 1 when ours needs less. */
  speedup: { train: number; sample: number; trainBf16?: number; sampleBf16?: number };
}

function summariseProfiles(profiles: Profile[], arch: Arch): ProfileSummary {
  const mine = profiles.filter((p) => p.arch === arch);
  const med = (field: 'trainCpuMsPerStep' | 'sampleCpuMsPer100'): Partial<Record<Engine, number>> => {
    const out: Partial<Record<Engine, number>> = {};
    for (const e of ENGINES) {
      const values = mine.filter((p) => p.engine === e).map((p) => p[field]);
      if (values.length > 0) out[e] = round1(median(values));
    }
    return out;
  };
  const trainCpuMs = med('trainCpuMsPerStep');
  const sampleCpuMs = med('sampleCpuMsPer100');
  const speedup: ProfileSummary['speedup'] = {
    train: ratio(trainCpuMs.pytorch!, trainCpuMs.infogan!),
    sample: ratio(sampleCpuMs.pytorch!, sampleCpuMs.infogan!),
  };
  if (trainCpuMs['infogan-bf16'] !== undefined) {
    speedup.trainBf16 = ratio(trainCpuMs.pytorch!, trainCpuMs['infogan-bf16']);
    speedup.sampleBf16 = ratio(sampleCpuMs.pytorch!, sampleCpuMs['infogan-bf16']!);
  }
  return {
    arch, rounds: Math.max(0, ...ENGINES.map((e) => mine.filter((p) => p.engine === e).length)),
    trainCpuMs, sampleCpuMs, speedup,
  };
}

function printProfiles(summaries: ProfileSummary[]): void {
  console.log('\nCPU time on one thread (robust to other load; speed-up = pytorch time / ours):');
  for (const s of summaries) {
    for (const what of ['train', 'sample'] as const) {
      const ms = what === 'train' ? s.trainCpuMs : s.sampleCpuMs;
      const unit = what === 'train' ? 'ms a step' : 'ms per 100 samples';
      const bf16 = ms['infogan-bf16'] === undefined ? '' : `, infogan bf16 ${ms['infogan-bf16']} ` +
        `(${what === 'train' ? s.speedup.trainBf16 : s.speedup.sampleBf16}x)`;
      console.log(`  ${s.arch.padEnd(8)} ${what.padEnd(6)} infogan ${ms.infogan}, pytorch ` +
        `${ms.pytorch} ${unit}: ${s.speedup[what]}x${bf16}, ${s.rounds} rounds`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.worker) {
    const bf16 = process.argv.includes('--bf16');
    if (process.argv.includes('--profile')) profileWorker(options.arch[0], bf16);
    else worker(options, bf16);
    return;
  }
  // The spin-wait contrast is one extra run, in the first round of MNIST at 2+ threads.
  const enginesFor = (arch: Arch, threads: number, round: number): Engine[] => ENGINES.filter(
    (e) => (e !== 'infogan-bf16' || options.bf16) && (e !== 'pytorch-spin' ||
      (options.spinCheck && arch === 'mnist' && threads > 1 && round === 1)));
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  const loadBefore = os.loadavg();
  console.log(`engine bench: ${os.availableParallelism()} cores (${cpu}), ` +
    `torch ${torchVersion()}, ` +
    `batch ${BATCH}, ${options.seconds} s training + ${options.sampleSeconds} s sampling a run, ` +
    `OMP_WAIT_POLICY=${WAIT_POLICY} on both sides, ` +
    `load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  const runs: Run[] = [];
  const started = performance.now();
  for (const threads of options.threads) {
    for (const arch of options.arch) {
      const rounds = arch === 'mnist' ? options.rounds : options.faces64Rounds;
      for (let round = 1; round <= rounds; round++) {
        for (const engine of enginesFor(arch, threads, round)) {
          const run = await measure(engine, arch, threads, round, options);
          runs.push(run);
          console.log(`  ${arch} threads ${threads} round ${round} ${engine.padEnd(13)} ` +
            `train ${run.result.train_images_per_s} img/s, sample ` +
            `${run.result.sample_images_per_s} img/s, ` +
            `losses ${run.result.last_losses.join('/')}, ` +
            `own ${run.ownCores.toFixed(2)} / other ${run.otherCores.toFixed(2)} cores, ` +
            `${run.wallSeconds.toFixed(0)} s`);
        }
      }
    }
  }
  const profiles: Profile[] = [];
  for (const arch of options.arch) {
    const rounds = arch === 'mnist' ? options.profileRounds : Math.min(1, options.profileRounds);
    for (let round = 1; round <= rounds; round++) {
      for (const engine of enginesFor(arch, 1, round)) {
        const p = await profile(engine, arch, round);
        profiles.push(p);
        console.log(`  ${arch} one-thread CPU time round ${round} ${engine.padEnd(13)} ` +
          `${p.trainCpuMsPerStep} ms a step, ${p.sampleCpuMsPer100} ms per 100 samples, ` +
          `other load ${p.otherCores.toFixed(2)} cores`);
      }
    }
  }
  const summaries = options.threads.flatMap((t) => options.arch.map((a) => summarise(runs, a, t)));
  const cpuSummaries = options.arch.map((a) => summariseProfiles(profiles, a))
    .filter((p) => p.rounds > 0);
  console.log('');
  printTable(summaries);
  if (cpuSummaries.length > 0) printProfiles(cpuSummaries);
  console.log('BENCH ' + JSON.stringify({
    cpu, cores: os.availableParallelism(), torch: torchVersion(), batch: BATCH,
    ompWaitPolicy: WAIT_POLICY,
    seconds: options.seconds, sampleSeconds: options.sampleSeconds,
    loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg(),
    totalSeconds: Math.round((performance.now() - started) / 1000),
    summaries,
    cpuTimeOneThread: cpuSummaries,
    runs: runs.map((r) => ({
      engine: r.engine, arch: r.arch, threads: r.threads, round: r.round,
      train: r.result.train_images_per_s, sample: r.result.sample_images_per_s,
      steps: r.result.steps, lastLosses: r.result.last_losses, peakRssMb: r.result.peak_rss_mb,
      reportedThreads: r.result.threads, otherCores: Math.round(r.otherCores * 100) / 100,
      ownCores: Math.round(r.ownCores * 100) / 100,
      loadAverage: r.loadAverage, wallSeconds: Math.round(r.wallSeconds),
    })),
    profiles: profiles.map((p) => ({ ...p, otherCores: Math.round(p.otherCores * 100) / 100 })),
  }));
}

main().catch((error: Error) => {
  console.error(`engine bench: ${error.message}`);
  process.exit(1);
});
