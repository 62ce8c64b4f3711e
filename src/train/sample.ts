/**
 * `infogan sample`: pictures from a trained run, as traversal grids or random samples.
 */
import { formatCodeRef, gridRows, traversalOutputPath, type CodeRef, type SampleConfig }
  from '../config/sample';
import { noGrad, setThreads } from '../torch';
import { UserError, type Logger } from '../util/log';
import { writeOutputFile } from '../util/atomic';
import { categoricalGrid, continuousGrid, partialGridLines, randomGrid, type Grid } from './grids';
import { loadTrainedModel } from './run';
import type { InfoGAN } from '../model/infogan';

/** Writes the requested pictures; returns the files written. */
export function sample(config: SampleConfig, log: Logger): string[] {
  setThreads(config.threads, (line) => log.warn(line));
  const { model, iteration } = loadTrainedModel(config.run, log, config.checkpoint);
  try {
    if (config.mode === 'traversal') {
      for (const line of partialGridLines(model)) log.info(line);
    }
    const written: string[] = [];
    for (const [file, grid] of pictures(model, config)) {
      writeOutputFile(file, grid.png, '--out');
      log.info(`wrote ${file} (${grid.name}, ${grid.width}x${grid.height}, iteration ${iteration})`);
      written.push(file);
    }
    return written;
  } finally {
    model.dispose();
  }
}

function pictures(model: InfoGAN, config: SampleConfig): [string, Grid][] {
  return noGrad(() => {
    if (config.mode === 'random') {
      const rows = gridRows(config);
      const columns = Math.ceil(config.count / rows);
      return [[config.out, randomGrid(model, rows, columns, config.seed, config.count)]];
    }
    const codes = config.code ? [config.code] : allCodes(model);
    if (codes.length === 0) {
      throw new UserError(`${config.run} has no latent codes to traverse; use --mode random`);
    }
    return codes.map((code): [string, Grid] => {
      checkCode(model, code, config.run);
      const options = { seed: config.seed, samples: gridRows(config), range: config.range,
        steps: config.steps };
      const grid = code.kind === 'categorical' ? categoricalGrid(model, code.index, options)
        : continuousGrid(model, code.index, options);
      const file = config.code ? config.out : traversalOutputPath(config.out, code);
      return [file, grid];
    });
  });
}

function allCodes(model: InfoGAN): CodeRef[] {
  return [
    ...model.categorical.map((_, index): CodeRef => ({ kind: 'categorical', index })),
    ...Array.from({ length: model.numContinuous }, (_, index): CodeRef =>
      ({ kind: 'continuous', index })),
  ];
}

function checkCode(model: InfoGAN, code: CodeRef, run: string): void {
  const count = code.kind === 'categorical' ? model.categorical.length : model.numContinuous;
  if (code.index >= count) {
    throw new UserError(`--code ${formatCodeRef(code)}: the run ${run} has ${count} ` +
      `${code.kind} code${count === 1 ? '' : 's'} (indices 0-${count - 1})`, 2);
  }
}
