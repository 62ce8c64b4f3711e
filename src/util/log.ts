/**
 * One logger for everything the toolkit prints, so tests can capture it and `--quiet` can silence it.
 *
 * `info` lines are the record of a run (epoch summaries, what was loaded, what was skipped);
 * `progress` bars redraw in place on a terminal and print nothing when output is not a TTY.
 */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  /** A bar for `total` items, of which `from` were done before it started (a resumed epoch). */
  progress(label: string, total: number, from?: number): Progress;
}

export interface Progress {
  /** Moves the bar to `done` items (absolute, not a delta). */
  update(done: number): void;
  /** Clears the bar; the caller prints the summary line itself. */
  finish(): void;
}

/**
 * `text` with its control characters escaped (`\n`, `\x1b`), so that a line stays one line and
 * a file name cannot move the cursor, colour the terminal or fake a line of its own.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A bar line: `label [=====>    ] 1234/5000 24% 812/s ETA 5s`. */
export function renderBar(label: string, done: number, total: number, seconds: number,
  doneBefore = 0): string {
  const width = 24;
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  // The rate of this process's own work: a resumed epoch's earlier steps took no time here.
  const rate = seconds > 0 ? (done - doneBefore) / seconds : 0;
  const eta = rate > 0 ? formatDuration((total - done) / rate) : '?';
  const rateText = rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
  return `${label} [${bar}] ${done}/${total} ${Math.floor(fraction * 100)}% ${rateText}/s ETA ${eta}`;
}

/** Writes to stdout/stderr; bars only when stderr is a terminal, redrawn at most 10 times a second. */
export class ConsoleLogger implements Logger {
  constructor(private readonly quiet = false) {}

  /** Whether a progress bar is drawn on the terminal's last line. */
  private barShown = false;

  info(line: string): void {
    if (this.quiet) return;
    this.clearBar();
    process.stdout.write(printable(line) + '\n');
  }

  warn(line: string): void {
    this.clearBar();
    process.stderr.write(`warning: ${printable(line)}\n`);
  }

  /** Wipes a drawn bar, so that a line printed meanwhile starts a line of its own. */
  private clearBar(): void {
    if (!this.barShown) return;
    process.stderr.write('\r\x1b[K');
    this.barShown = false;
  }

  progress(label: string, total: number, from = 0): Progress {
    if (this.quiet || !process.stderr.isTTY) return { update() {}, finish() {} };
    const started = performance.now();
    let lastDraw = -Infinity; // the first update draws at once
    const draw = (done: number) => {
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write('\r' + renderBar(label, done, total, seconds, from) + '\x1b[K');
      this.barShown = true;
    };
    return {
      update(done: number) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        draw(done);
      },
      finish: () => {
        process.stderr.write('\r\x1b[K');
        this.barShown = false;
      },
    };
  }
}

/** Keeps every line in memory; for tests. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];

  info(line: string): void {
    this.lines.push(line);
  }

  warn(line: string): void {
    this.warnings.push(line);
  }

  progress(): Progress {
    return { update() {}, finish() {} };
  }
}

/** An error whose message is meant for the user as is: printed as one line, no stack trace. */
export class UserError extends Error {
  /** 2 for usage errors (bad flags or values), 1 for everything else. */
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'UserError';
  }
}
