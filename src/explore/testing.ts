/**
 * Run folders for the explore and export tests: an untrained one written in milliseconds (the
 * server's own behaviour does not depend on training), and a tiny run trained on real MNIST.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../config/train';
import { dataset } from '../data/testing';
import { saveCheckpoint } from '../train/checkpoint';
import { modelRecord } from '../train/run';
import { createTrainingState, serializableConfig, train } from '../train/trainer';
import { MemoryLogger } from '../util/log';

export const MNIST_DIR = dataset('mnist');

function runConfig(out: string, overrides: Partial<TrainConfig>): TrainConfig {
  return {
    ...structuredClone(DEFAULT_TRAIN_CONFIG) as TrainConfig,
    out,
    logdir: path.join(out, 'tensorboard'),
    threads: 2,
    ...overrides,
  };
}

/** A run folder holding config.json, model.json and one checkpoint of freshly built weights. */
export function writeUntrainedRun(out: string, overrides: Partial<TrainConfig> = {},
  image = { height: 28, width: 28, channels: 1 as 1 | 3 }, iteration = 5): TrainConfig {
  const config = runConfig(out, overrides);
  const state = createTrainingState(config, image);
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'config.json'),
      JSON.stringify(serializableConfig(config), null, 2));
    fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(modelRecord(state.model)));
    state.progress.iteration = iteration;
    saveCheckpoint(out, state, serializableConfig(config), 3);
  } finally {
    state.model.dispose();
    state.generatorOptimizer.dispose();
    state.discriminatorOptimizer.dispose();
  }
  return config;
}

/** 1 epoch on 256 real MNIST digits, batch 32: 8 steps, a checkpoint and TensorBoard scalars. */
export async function trainTinyMnistRun(out: string, cacheDir: string): Promise<TrainConfig> {
  const config = runConfig(out, {
    dataset: MNIST_DIR, maxImages: 256, batchSize: 32, epochs: 1, plotEvery: 8,
    checkpointEvery: 8, cacheDir, quiet: true,
  });
  await train(config, new MemoryLogger());
  return config;
}

/** A response read off a raw socket, so the request line goes out exactly as written. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends `request` verbatim (CRLFs included) to 127.0.0.1:port and reads until close. */
export function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split < 0 ? all.length : split).toString('latin1');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers,
        body: split < 0 ? Buffer.alloc(0) : all.subarray(split + 4) });
    });
    socket.write(request);
  });
}

/** `GET target` with Connection: close, sent verbatim. */
export function rawGet(port: number, target: string, extraHeaders = ''): Promise<RawResponse> {
  return rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `${extraHeaders}Connection: close\r\n\r\n`);
}
