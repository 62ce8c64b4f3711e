/**
 * Process-wide engine settings: threads, the BLAS in use, and bfloat16 autocast.
 */
import * as os from 'node:os';
import { native } from './native';

let warnedAboutBlas = false;

/** Describes the BLAS library answering sgemm in this process. */
export function blasInfo(): { library: string; config: string; isReference: boolean } {
  const library = native().blasLibrary();
  const config = native().blasConfig();
  // Debian's reference BLAS is libblas.so.3 under /usr/lib/<arch>/blas/ with no OpenBLAS config.
  const isReference = config === '' && /\/blas\/libblas\.so/.test(library);
  return { library, config, isReference };
}

/**
 * Sets libtorch's intra-op threads (default: all cores) and holds OpenBLAS at one thread of its
 * own, so the two never oversubscribe the cores. Warns once, through `warn`, when the BLAS in use
 * is the slow reference implementation.
 */
export function setThreads(threads = os.availableParallelism(), warn?: (line: string) => void):
  void {
  const cores = os.availableParallelism();
  if (threads > cores) {
    // A run resumed on a smaller machine: oversubscribed threads only slow it down.
    warn?.(`${threads} threads asked for, but this machine has ${cores} cores; using ${cores}`);
    threads = cores;
  }
  native().setThreads(threads);
  if (warn && !warnedAboutBlas) {
    const blas = blasInfo();
    if (blas.isReference) {
      warnedAboutBlas = true;
      warn(`the BLAS in use is the slow reference one (${blas.library}); install OpenBLAS ` +
        '(`sudo apt-get install libopenblas0-openmp`) for several times faster training');
    }
  }
}

export function getThreads(): number {
  return native().getThreads();
}

/** Turns bfloat16 autocast on or off: matmuls and convolutions then run in bfloat16. */
export function setAutocast(enabled: boolean): void {
  native().setAutocast(enabled);
}

/** True when this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX). */
export function cpuHasBfloat16(): boolean {
  try {
    const cpuinfo = require('node:fs').readFileSync('/proc/cpuinfo', 'utf8') as string;
    return /\b(avx512_bf16|amx_bf16)\b/.test(cpuinfo);
  } catch {
    return false;
  }
}

export function torchVersion(): string {
  return native().torchVersion();
}

/** What a first and a second stop signal print, each written to stderr as given. */
export interface StopNotices {
  first?: { SIGINT: string; SIGTERM: string };
  again?: { SIGINT: string; SIGTERM: string };
}

/**
 * While on, a second SIGINT or SIGTERM makes the next computing call throw an error for which
 * isInterrupted holds, so a long step stops at once instead of at its end. Each signal prints its
 * notice at once, from the signal handler, not after the step. Every signal still reaches
 * process.on listeners, which must be installed first (see native/torch_binding.cc).
 */
export function watchStopSignals(on: boolean, notices: StopNotices = {}): void {
  native().watchStopSignals(on, notices.first?.SIGINT ?? '', notices.first?.SIGTERM ?? '',
    notices.again?.SIGINT ?? '', notices.again?.SIGTERM ?? '');
}

/** The error a second stop signal raises (watchStopSignals), with that signal. */
export interface InterruptedError extends Error {
  code: 'INFOGAN_INTERRUPTED';
  signal: 'SIGINT' | 'SIGTERM';
}

export function isInterrupted(error: unknown): error is InterruptedError {
  return (error as { code?: unknown } | null)?.code === 'INFOGAN_INTERRUPTED';
}
