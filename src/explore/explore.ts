/**
 * `infogan explore`: loads a run's trained generator and serves a page to play with it.
 *
 * The generator runs here, in this process, through the engine: each picture is one GET with the
 * codes in its query string, answered with a PNG. A redraw of a 28x28 or 64x64 generator takes a
 * few milliseconds on a CPU, so the page needs no second engine in the browser and cannot drift
 * from what `sample` draws.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Server } from 'node:http';
import type { ExploreConfig } from '../config/explore';
import type { TrainConfig } from '../config/train';
import type { InfoGAN } from '../model/infogan';
import { loadTrainedModel } from '../train/run';
import { UserError, type Logger } from '../util/log';
import { CONTINUOUS_RANGE, TRAINING_RANGE, type CodeLayout } from './codes';
import { readCurves } from './curves';
import { readEvaluation } from './evaluation';
import { exportModel } from './export';
import { Renderer } from './render';
import { close, createExploreServer, isLoopback, listen, readPageFiles, type ExploreApp }
  from './server';

/** Where `npm run build` puts the page: dist/explore/ at the package root. */
export const PAGE_DIR = path.resolve(__dirname, '..', '..', '..', 'dist', 'explore');

/** A running explorer. */
export interface Explorer {
  url: string;
  server: Server;
  /** Stops the server and frees the model. */
  stop(): Promise<void>;
}

/** Loads the run, starts the server and logs its URL. */
export async function startExplorer(config: ExploreConfig, log: Logger,
  pageDir = PAGE_DIR): Promise<Explorer> {
  const page = readPage(pageDir);
  const { model, config: trainConfig, iteration } = loadTrainedModel(config.run, log,
    config.checkpoint);
  let server: Server;
  let url: string;
  try {
    const app = buildApp(model, trainConfig, iteration, config.run, log);
    server = createExploreServer(app, page, { host: config.host, log });
    url = await listenOrExplain(server, config);
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (!isLoopback(config.host)) {
    log.warn(`listening on ${config.host}: other machines can reach this page`);
  }
  log.info(`exploring ${config.run} (iteration ${iteration}) at ${url}`);
  log.info('press Ctrl-C to stop');
  return {
    url,
    server,
    stop: async () => {
      await close(server);
      model.dispose();
    },
  };
}

/** Everything the server answers with, computed once. */
export function buildApp(model: InfoGAN, trainConfig: TrainConfig, iteration: number,
  runDir: string, log: Logger): ExploreApp {
  const layout: CodeLayout = { categorical: model.categorical, numContinuous: model.numContinuous };
  const evaluation = readEvaluation(runDir, layout);
  if (evaluation.problem) log.warn(`${evaluation.problem}; showing codes without names`);
  const curves = readCurves(logdirOf(runDir, trainConfig));
  for (const problem of curves.problems) log.warn(`training curves: ${problem}`);
  const exported = exportModel(model, trainConfig, iteration, runDir);
  const modelInfo = {
    run: exported.metadata.run,
    iteration,
    image: model.image,
    styleSize: trainConfig.styleSize,
    layout,
    names: evaluation.names,
    evaluated: evaluation.raw !== null,
    generator: exported.metadata.generator.spec,
    ranges: { continuous: CONTINUOUS_RANGE, training: TRAINING_RANGE },
  };
  return {
    layout,
    modelInfo,
    curves: { curves: curves.curves, files: curves.files },
    weights: exported.weights,
    metadata: Buffer.from(JSON.stringify(exported.metadata, null, 2) + '\n'),
    renderer: new Renderer(model),
  };
}

/** `<run>/tensorboard`, else the run's --logdir if it was elsewhere. */
function logdirOf(runDir: string, config: TrainConfig): string {
  const inside = path.join(runDir, 'tensorboard');
  if (fs.existsSync(inside) || !config.logdir) return inside;
  return path.resolve(config.logdir);
}

function readPage(dir: string) {
  const page = fs.existsSync(dir) ? readPageFiles(dir) : new Map();
  if (!page.has('/index.html') || !page.has('/app.js')) {
    throw new UserError(`the explore page is not built (no index.html and app.js in ${dir}); ` +
      'run npm run build');
  }
  return page;
}

async function listenOrExplain(server: Server, config: ExploreConfig): Promise<string> {
  try {
    return await listen(server, config.host, config.port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(`port ${config.port} on ${config.host} is in use; pick another with ` +
        '--port (0 picks a free one)');
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new UserError(`--host ${config.host} is not an address of this machine`);
    }
    if (code === 'EACCES') {
      throw new UserError(`no permission to listen on port ${config.port}; use a port above 1023`);
    }
    throw error;
  }
}

/** Runs until SIGINT or SIGTERM, then closes the server; returns the exit code 0. */
export async function explore(config: ExploreConfig, log: Logger): Promise<number> {
  const explorer = await startExplorer(config, log);
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log.info(`${signal}: stopping the server`);
  await explorer.stop();
  return 0;
}
