/**
 * How long `infogan explore` takes to redraw a sample (one generator forward pass plus PNG
 * encoding) for the MNIST and 64x64 generators; the page needs well under 100 ms.
 * Not a test: `npm run build && node dist/bench/redraw.js`. Ends with one line `BENCH {json}`.
 */
import { DEFAULT_TRAIN_CONFIG } from '../src/config/train';
import { defaultState } from '../src/explore/codes';
import { Renderer } from '../src/explore/render';
import { InfoGAN } from '../src/model/infogan';
import { parseSpec } from '../src/model/spec';
import { Generator, setThreads } from '../src/torch';

const FACES = 'fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,deconv:4:2:256,deconv:4:2:128,' +
  'deconv:4:2:64,deconv:4:1:1:sigmoid';

function measure(name: string, spec: string, size: number): { best: number; median: number } {
  const config = { ...DEFAULT_TRAIN_CONFIG, ...(spec ? { generator: parseSpec(spec, 'generator'),
    categoricalCardinality: [20, 20, 20], numContinuous: 1, styleSize: 128 } : {}) };
  const model = new InfoGAN(config, { height: size, width: size, channels: 1 }, new Generator(1));
  const renderer = new Renderer(model);
  const state = defaultState({ categorical: model.categorical, numContinuous: model.numContinuous }, 5);
  renderer.sample(state);
  const times = Array.from({ length: 21 }, (_, i) =>
    renderer.sample({ ...state, seed: i }).milliseconds).sort((a, b) => a - b);
  model.dispose();
  const result = { best: times[0], median: times[10] };
  console.log(`${name.padEnd(8)} redraw: best ${result.best.toFixed(1)} ms, median ` +
    `${result.median.toFixed(1)} ms (21 redraws)`);
  return result;
}

setThreads();
const figures = { mnist: measure('mnist', '', 28), faces64: measure('faces64', FACES, 64) };
console.log(`BENCH ${JSON.stringify(figures)}`);
