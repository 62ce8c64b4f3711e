/**
 * Data-layer benchmark: decode + centre-crop + resize of the 10,000 CelebA faces to 64x64x3,
 * infogan (native libjpeg-turbo path, or sharp without it; cold and cached) against Pillow doing
 * the same in the same run.
 *
 * Each measurement runs in its own child process, so peak RSS is that load's alone. Runs alternate
 * infogan, Pillow, infogan, Pillow; figures are medians over the rounds. A cached load takes
 * about 20 ms and varies by a quarter from one process to the next on a shared machine, so each
 * round loads from the cache CACHED_LOADS times, each in a fresh process, and its figure is the
 * median of them all. Both sides use the same
 * thread count: 1, then N = all cores (Pillow with a multiprocessing pool of N workers).
 *
 *   npm run bench:data -- [--rounds 3] [--threads N] [--folder DIR]
 * Ends with one line `BENCH {json}` holding every figure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadDataset } from '../src/data/index';
import { jpegBinding } from '../src/data/jpeg';
import { datasetsRoot } from '../src/data/testing';
import { MemoryLogger } from '../src/util/log';

const SIDE = 64;
const CACHED_LOADS = 3;
const PYTHON = '/usr/bin/python3';

/** What one child reports about one load. */
interface Run {
  seconds: number;
  cpuSeconds: number;
  count: number;
  peakRssMB: number;
  /** Pillow with a pool: the largest worker's peak RSS. */
  workerRssMB?: number;
}

/** Pillow's side: the same open, centre crop (ImageOps.fit) and Lanczos resize, to a bytearray. */
const PILLOW_SCRIPT = `
import json, os, re, resource, sys, time
from multiprocessing import Pool
from PIL import Image, ImageOps
folder, threads, side, dump = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def load(name):
    with Image.open(os.path.join(folder, name)) as im:
        return ImageOps.fit(im.convert('RGB'), (side, side), Image.LANCZOS).tobytes()
if __name__ == '__main__':
    start, cpu = time.perf_counter(), time.process_time()
    names = sorted(n for n in os.listdir(folder) if n.endswith('.jpg'))
    pixels = bytearray()
    if threads == 1:
        for name in names: pixels += load(name)
    else:
        with Pool(threads) as pool:
            for frame in pool.imap(load, names, chunksize=64): pixels += frame
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))
    if dump: open(dump, 'wb').write(pixels)
    print(json.dumps({'seconds': seconds, 'count': len(names), 'peakRssMB': peak / 1024,
        'workerRssMB': kids.ru_maxrss / 1024 if threads > 1 else None,
        'cpuSeconds': own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime}))
`;

/**
 * This process's peak RSS in MB. VmHWM, not getrusage's maxrss: Linux carries maxrss across exec,
 * so a child would report its parent's size whenever that was larger.
 */
function peakRssMB(): number {
  const match = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Child mode: one infogan load, reported as JSON on stdout. */
async function child(spec: { folder: string; threads: number; cacheDir: string; dump?: string }) {
  const log = new MemoryLogger();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const set = await loadDataset(
    {
      dataset: spec.folder,
      scale: { width: SIDE, height: SIDE },
      threads: spec.threads,
      cacheDir: spec.cacheDir,
    },
    log,
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (spec.dump) fs.writeFileSync(spec.dump, set.pixels);
  const run: Run = {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    count: set.count,
    peakRssMB: peakRssMB(),
  };
  process.stdout.write(JSON.stringify(run) + '\n');
}

function runInfogan(folder: string, threads: number, cacheDir: string, dump = ''): Run {
  const spec = JSON.stringify({ folder, threads, cacheDir, dump: dump || undefined });
  const output = execFileSync(process.execPath, [__filename, '--child', spec], {
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').pop() as string) as Run;
}

function runPillow(folder: string, threads: number, dump = ''): Run {
  const output = execFileSync(
    PYTHON,
    ['-c', PILLOW_SCRIPT, folder, String(threads), String(SIDE), dump],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(output.trim()) as Run;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median figures of one configuration over the rounds. */
function summarise(runs: Run[]) {
  const seconds = median(runs.map((r) => r.seconds));
  return {
    imagesPerSecond: Math.round(runs[0].count / seconds),
    seconds: round(seconds, 4),
    cpuSeconds: round(median(runs.map((r) => r.cpuSeconds)), 2),
    peakRssMB: Math.round(Math.max(...runs.map((r) => r.peakRssMB))),
    ...(runs[0].workerRssMB
      ? { workerRssMB: Math.round(Math.max(...runs.map((r) => r.workerRssMB ?? 0))) }
      : {}),
    runs: runs.map((r) => round(r.seconds, 4)),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** Mean absolute difference per byte between the two sides' outputs: is it the same work? */
function meanAbsDifference(a: string, b: string): number {
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  if (x.length !== y.length) return NaN;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
  return sum / x.length;
}

async function main() {
  const folder = path.resolve(
    argument('folder', path.join(datasetsRoot(), 'celeba-10k', 'img_align_celeba')),
  );
  if (!fs.existsSync(folder)) {
    process.stderr.write(`bench:data: no image folder at ${folder}; set INFOGAN_DATASETS to the ` +
      'folder holding celeba-10k, or give --folder DIR\n');
    process.exit(2);
  }
  if (spawnSync(PYTHON, ['-c', 'import PIL']).status !== 0) {
    process.stderr.write(`bench:data: ${PYTHON} cannot import PIL; install Debian's python3-pil ` +
      '(bash scripts/setup.sh --dev)\n');
    process.exit(2);
  }
  const rounds = Number(argument('rounds', '3'));
  const threadsN = Number(argument('threads', String(os.availableParallelism())));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-bench-data-'));
  const results: Record<string, Run[]> = {};
  const record = (key: string, run: Run) => (results[key] ??= []).push(run);
  const threadCounts = threadsN > 1 ? [1, threadsN] : [1];
  let sameWork = NaN;
  // Other work on the machine slows both sides; the load average says how much there was.
  const loadBefore = os.loadavg()[0];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const threads of threadCounts) {
        const cacheDir = path.join(scratch, `cache-${round}-${threads}`);
        const dumps =
          round === 0 && threads === threadsN
            ? [path.join(scratch, 'ours'), path.join(scratch, 'pillow')]
            : ['', ''];
        // A B, then B A on the next round, so neither side always runs on a warmer machine.
        const ours = () =>
          record(`infogan_cold_${threads}`, runInfogan(folder, threads, cacheDir, dumps[0]));
        const pillow = () => record(`pillow_${threads}`, runPillow(folder, threads, dumps[1]));
        for (const step of round % 2 === 0 ? [ours, pillow] : [pillow, ours]) step();
        for (let load = 0; load < CACHED_LOADS; load++)
          record(`infogan_cached_${threads}`, runInfogan(folder, threads, cacheDir));
        fs.rmSync(cacheDir, { recursive: true, force: true });
        process.stderr.write(`round ${round + 1}/${rounds}, ${threads} thread(s) done\n`);
      }
    }
    // Read only now: this process's size would otherwise count in every child's peak RSS.
    sameWork = meanAbsDifference(path.join(scratch, 'ours'), path.join(scratch, 'pillow'));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  report(folder, rounds, threadCounts, results, sameWork, [loadBefore, os.loadavg()[0]]);
}

function report(
  folder: string,
  rounds: number,
  threadCounts: number[],
  results: Record<string, Run[]>,
  sameWork: number,
  load: number[],
) {
  const figures: Record<string, ReturnType<typeof summarise>> = {};
  for (const [key, runs] of Object.entries(results)) figures[key] = summarise(runs);
  const count = results[`pillow_1`][0].count;
  console.log(
    `data bench: ${count} images from ${folder} -> ${SIDE}x${SIDE}x3, centre crop, Lanczos;`,
  );
  console.log(
    `${rounds} rounds alternating infogan/Pillow (${CACHED_LOADS} cached loads each), medians; ` +
      `${os.availableParallelism()} cores (shared; 1-minute load ${load[0].toFixed(1)} before, ` +
      `${load[1].toFixed(1)} after)`,
  );
  console.log('');
  console.log('side                          threads  images/s  seconds  cpu s  peak RSS MB');
  const row = (label: string, threads: number, f: ReturnType<typeof summarise>) =>
    console.log(
      `${label.padEnd(30)}${String(threads).padStart(7)}${String(f.imagesPerSecond).padStart(10)}` +
        `${f.seconds.toFixed(3).padStart(9)}${f.cpuSeconds.toFixed(2).padStart(7)}` +
        `${String(f.peakRssMB).padStart(13)}${f.workerRssMB ? ` (+${f.workerRssMB}/worker)` : ''}`,
    );
  const ratios: Record<string, number> = {};
  for (const threads of threadCounts) {
    const cold = figures[`infogan_cold_${threads}`];
    const cached = figures[`infogan_cached_${threads}`];
    const pillow = figures[`pillow_${threads}`];
    row(`infogan cold (${jpegBinding() ? 'libjpeg-turbo' : 'sharp'})`, threads, cold);
    row(threads === 1 ? 'Pillow 9 (ImageOps.fit)' : `Pillow, Pool(${threads})`, threads, pillow);
    row('infogan cached', threads, cached);
    ratios[`cold_vs_pillow_${threads}`] = round(cold.imagesPerSecond / pillow.imagesPerSecond, 2);
    // From the unrounded medians: a cached load's seconds to 3 places would be 5% off.
    ratios[`cached_vs_cold_${threads}`] = round(cached.imagesPerSecond / cold.imagesPerSecond, 1);
  }
  console.log('');
  for (const threads of threadCounts) {
    console.log(
      `${threads} thread(s): cold = ${ratios[`cold_vs_pillow_${threads}`]}x Pillow ` +
        '(target >= 2x); ' +
        `cached = ${ratios[`cached_vs_cold_${threads}`]}x faster than cold (target >= 50x)`,
    );
  }
  console.log(`same work: mean |infogan - Pillow| = ${sameWork.toFixed(2)} grey levels per byte`);
  console.log(
    'BENCH ' +
      JSON.stringify({
        bench: 'data',
        images: count,
        side: SIDE,
        rounds,
        figures,
        ratios,
        meanAbsDifference: round(sameWork, 3),
        loadAverage: load.map((value) => round(value, 2)),
      }),
  );
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3])).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
