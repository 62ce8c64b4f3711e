/**
 * The explorer page. It holds the view's state (seed, codes, sample or grid, swept code), keeps
 * it in the URL hash so a view can be shared and reloaded, and asks the server for each picture:
 * GET api/sample or api/sweep with the codes in the query, a PNG back, drawn into a canvas at the
 * image's own size (CSS scales it up without smoothing).
 *
 * Redraws are coalesced: while one request is in flight, further changes only mark the picture
 * stale, and one request for the latest state follows. <body data-idle> is "true" when the
 * picture shown is the one the state asks for (the browser tests wait on it).
 */
import {
  CONTINUOUS_RANGE, MAX_SEED, TRAINING_RANGE, formatCodeRef, formatCodeState, formatContinuous,
  readCodeRef, readCodeState, type CodeLayout, type CodeRef, type CodeState,
} from '../codes';
import { drawCharts, type Curve } from './chart';

interface CodeName {
  name: string | null;
  values?: (string | null)[];
}

interface ModelInfo {
  run: string;
  iteration: number;
  image: { height: number; width: number; channels: number };
  styleSize: number;
  layout: CodeLayout;
  names: { categorical: CodeName[]; continuous: CodeName[] };
  evaluated: boolean;
  generator: string;
}

type View = 'sample' | 'grid';

interface PageState {
  codes: CodeState;
  view: View;
  sweep: CodeRef | null;
}

const SLIDER_STEP = 0.05;
/** Displayed size of the sample's longer side, in CSS pixels. */
const SAMPLE_SIZE = 336;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let model: ModelInfo;
let state: PageState;

async function start(): Promise<void> {
  try {
    model = await getJson<ModelInfo>('api/model');
  } catch (error) {
    showStatus(`could not load the model: ${(error as Error).message}`, true);
    return;
  }
  state = stateFromHash(location.hash);
  describeRun();
  buildControls();
  bindEvents();
  window.addEventListener('hashchange', () => {
    state = stateFromHash(location.hash);
    update(true);
  });
  update(true);
  getJson<{ curves: Curve[] }>('api/curves')
    .then((data) => drawCharts($('charts'), data.curves))
    .catch((error: Error) => { $('charts').textContent = `no curves: ${error.message}`; });
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error((await response.text()).trim());
  return (await response.json()) as T;
}

// --- State and URL ---------------------------------------------------------------------------

/** The state a hash describes; anything unreadable falls back to defaults, with a note. */
function stateFromHash(hash: string): PageState {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const view = params.get('view');
  const sweep = params.get('sweep');
  params.delete('view');
  params.delete('sweep');
  const codes = readCodeState(params, model.layout);
  const sweepCode = sweep === null ? null : readCodeRef(sweep, model.layout);
  const problems = [
    codes.ok ? null : codes.error,
    view === null || view === 'sample' || view === 'grid' ? null : `unknown view "${view}"`,
    sweepCode === null || sweepCode.ok ? null : sweepCode.error,
  ].filter((p): p is string => p !== null);
  const notice = $('notice');
  notice.textContent = problems.length > 0 ? `the link's state was ignored: ${problems[0]}` : '';
  notice.hidden = problems.length === 0;
  const sweepRef = sweepCode?.ok ? sweepCode.value : firstCode();
  return {
    codes: codes.ok ? codes.value : readDefaults(),
    // A run without codes has nothing to sweep: its grid view is the sample.
    view: view === 'grid' && sweepRef ? 'grid' : 'sample',
    sweep: sweepRef,
  };
}

function readDefaults(): CodeState {
  const read = readCodeState(new URLSearchParams(''), model.layout);
  if (!read.ok) throw new Error(read.error);
  return read.value;
}

function firstCode(): CodeRef | null {
  if (model.layout.numContinuous > 0) return { kind: 'continuous', index: 0 };
  if (model.layout.categorical.length > 0) return { kind: 'categorical', index: 0 };
  return null;
}

function hashOf(page: PageState): string {
  const parts = [formatCodeState(page.codes), `view=${page.view}`];
  if (page.sweep) parts.push(`sweep=${formatCodeRef(page.sweep)}`);
  return `#${parts.join('&')}`;
}

/** Writes the state into the URL (without a history entry per slider step) and redraws. */
function commit(): void {
  $('notice').hidden = true;
  history.replaceState(null, '', hashOf(state));
  update(false);
}

// --- Controls --------------------------------------------------------------------------------

function describeRun(): void {
  const { image, layout } = model;
  const codes = [`${model.styleSize} style`];
  if (layout.categorical.length > 0) codes.push(`categorical [${layout.categorical.join(', ')}]`);
  if (layout.numContinuous > 0) codes.push(`${layout.numContinuous} continuous`);
  $('facts').textContent = `run ${model.run} · iteration ${model.iteration} · ` +
    `${image.width}×${image.height}×${image.channels} images · latent: ${codes.join(' + ')}` +
    (model.evaluated ? ' · attribute names from infogan evaluate' : '');
  const sample = $<HTMLCanvasElement>('sample');
  const scale = SAMPLE_SIZE / Math.max(image.width, image.height);
  sample.style.width = `${Math.round(image.width * scale)}px`;
  sample.style.height = `${Math.round(image.height * scale)}px`;
}

function buildControls(): void {
  const categorical = $('categorical');
  model.layout.categorical.forEach((k, i) => categorical.append(categoricalRow(i, k)));
  const continuous = $('continuous');
  for (let j = 0; j < model.layout.numContinuous; j++) continuous.append(continuousRow(j));
  const select = $<HTMLSelectElement>('sweep-code');
  for (const code of allCodes()) {
    select.append(new Option(codeLabel(code), formatCodeRef(code)));
  }
  if (allCodes().length === 0) $('tab-grid').setAttribute('disabled', '');
}

function allCodes(): CodeRef[] {
  return [
    ...model.layout.categorical.map((_, index): CodeRef => ({ kind: 'categorical', index })),
    ...Array.from({ length: model.layout.numContinuous },
      (_, index): CodeRef => ({ kind: 'continuous', index })),
  ];
}

function codeLabel(code: CodeRef): string {
  const names = code.kind === 'categorical' ? model.names.categorical : model.names.continuous;
  const name = names[code.index]?.name;
  return `${code.kind} ${code.index}${name ? ` (${name})` : ''}`;
}

/** A heading with the code's name, then one button per category. */
function categoricalRow(index: number, cardinality: number): HTMLElement {
  const row = element('div', 'code categorical');
  row.append(codeHeading({ kind: 'categorical', index }));
  const buttons = element('div', 'values');
  buttons.setAttribute('role', 'group');
  const labels = model.names.categorical[index]?.values;
  for (let value = 0; value < cardinality; value++) {
    const button = element('button', 'value');
    const label = labels?.[value];
    button.textContent = label ?? String(value);
    button.dataset.code = String(index);
    button.dataset.value = String(value);
    button.title = `categorical ${index} = ${value}` +
      (label ? ` (infogan evaluate matched it to ${label})` : '');
    buttons.append(button);
  }
  row.append(buttons);
  return row;
}

/** A heading, then a slider over CONTINUOUS_RANGE with the training range marked under it. */
function continuousRow(index: number): HTMLElement {
  const row = element('div', 'code continuous');
  const heading = codeHeading({ kind: 'continuous', index });
  const output = element('output', 'reading');
  output.id = `continuous-${index}-value`;
  heading.append(output);
  row.append(heading);
  const [low, high] = CONTINUOUS_RANGE;
  const slider = element('input', 'slider');
  Object.assign(slider, { type: 'range', min: String(low), max: String(high),
    step: String(SLIDER_STEP), id: `continuous-${index}` });
  slider.dataset.code = String(index);
  slider.setAttribute('aria-label', codeLabel({ kind: 'continuous', index }));
  const track = element('div', 'track');
  const [trainLow, trainHigh] = TRAINING_RANGE;
  track.style.setProperty('--band-start', String((trainLow - low) / (high - low)));
  track.style.setProperty('--band-end', String((trainHigh - low) / (high - low)));
  track.append(slider, ticks(low, high));
  row.append(track);
  return row;
}

function ticks(low: number, high: number): HTMLElement {
  const scale = element('div', 'ticks');
  scale.setAttribute('aria-hidden', 'true');
  for (let value = low; value <= high; value++) {
    const tick = element('span', 'tick');
    tick.textContent = String(value);
    tick.style.setProperty('--at', String((value - low) / (high - low)));
    if (value >= TRAINING_RANGE[0] && value <= TRAINING_RANGE[1]) tick.classList.add('trained');
    scale.append(tick);
  }
  const note = element('span', 'band-note');
  note.textContent = `training range [${TRAINING_RANGE.join(', ')}]`;
  scale.append(note);
  return scale;
}

function codeHeading(code: CodeRef): HTMLElement {
  const heading = element('div', 'heading');
  const title = element('span', 'name');
  title.textContent = `${code.kind} ${code.index}`;
  heading.append(title);
  const names = code.kind === 'categorical' ? model.names.categorical : model.names.continuous;
  const name = names[code.index]?.name;
  if (name) {
    const attribute = element('span', 'attribute');
    attribute.textContent = name;
    attribute.title = 'attribute found by infogan evaluate';
    heading.append(attribute);
  }
  const sweep = element('button', 'sweep');
  sweep.textContent = 'sweep';
  sweep.title = `show a grid sweeping ${code.kind} ${code.index}`;
  sweep.dataset.sweep = formatCodeRef(code);
  heading.append(sweep);
  return heading;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string):
  HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

function bindEvents(): void {
  $('categorical').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button.value');
    if (!button) return;
    state.codes.categorical[Number(button.dataset.code)] = Number(button.dataset.value);
    commit();
  });
  $('continuous').addEventListener('input', (event) => {
    const slider = event.target as HTMLInputElement;
    if (!slider.classList.contains('slider')) return;
    state.codes.continuous[Number(slider.dataset.code)] = Number(slider.value);
    commit();
  });
  $('controls').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button.sweep');
    if (!button?.dataset.sweep) return;
    const code = readCodeRef(button.dataset.sweep, model.layout);
    if (code.ok) Object.assign(state, { sweep: code.value, view: 'grid' });
    commit();
  });
  $('seed').addEventListener('input', onSeedInput);
  $('new-style').addEventListener('click', () => {
    state.codes.seed = crypto.getRandomValues(new Uint32Array(1))[0];
    commit();
  });
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
    tab.addEventListener('click', () => {
      state.view = tab.dataset.view === 'grid' ? 'grid' : 'sample';
      commit();
    });
  }
  $('sweep-code').addEventListener('change', () => {
    const code = readCodeRef($<HTMLSelectElement>('sweep-code').value, model.layout);
    if (code.ok) state.sweep = code.value;
    commit();
  });
}

function onSeedInput(): void {
  const input = $<HTMLInputElement>('seed');
  const text = input.value.trim();
  const seed = Number(text);
  const valid = /^\d{1,10}$/.test(text) && seed <= MAX_SEED;
  input.setAttribute('aria-invalid', String(!valid));
  if (!valid) {
    showStatus(`the seed must be a whole number from 0 to ${MAX_SEED}`, true);
    return;
  }
  state.codes.seed = seed;
  commit();
}

/** Shows the state in every control, then redraws the picture of the current view. */
/** `fromUrl`: the state was just read from the URL, which gets rewritten in canonical form. */
function update(fromUrl: boolean): void {
  const { codes } = state;
  const seed = $<HTMLInputElement>('seed');
  if (fromUrl || document.activeElement !== seed) seed.value = String(codes.seed);
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.value')) {
    const pressed = codes.categorical[Number(button.dataset.code)] === Number(button.dataset.value);
    button.setAttribute('aria-pressed', String(pressed));
  }
  for (const slider of document.querySelectorAll<HTMLInputElement>('input.slider')) {
    const value = codes.continuous[Number(slider.dataset.code)];
    slider.value = String(value);
    $(`continuous-${slider.dataset.code}-value`).textContent = formatContinuous(value);
  }
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === state.view));
  }
  $('sample-view').hidden = state.view !== 'sample';
  $('grid-view').hidden = state.view !== 'grid';
  if (state.sweep) $<HTMLSelectElement>('sweep-code').value = formatCodeRef(state.sweep);
  $<HTMLAnchorElement>('share').href = hashOf(state);
  if (fromUrl) history.replaceState(null, '', hashOf(state));
  requestPicture();
}

// --- Drawing ---------------------------------------------------------------------------------

let inFlight = false;
let stale = false;

/** The request for the current view, and the canvas it goes to. */
function pictureRequest(): { url: string; canvas: HTMLCanvasElement } {
  const query = formatCodeState(state.codes);
  if (state.view === 'grid' && state.sweep) {
    const hint = state.sweep.kind === 'continuous'
      ? `columns: ${codeLabel(state.sweep)} from ${CONTINUOUS_RANGE[0]} to ` +
        `${CONTINUOUS_RANGE[1]}; rows: seeds ${state.codes.seed}, ${state.codes.seed + 1}, …`
      : `columns: each value of ${codeLabel(state.sweep)}; rows: seeds ${state.codes.seed}, …`;
    $('grid-hint').textContent = hint;
    return { url: `api/sweep?${query}&code=${formatCodeRef(state.sweep)}`,
      canvas: $<HTMLCanvasElement>('grid') };
  }
  return { url: `api/sample?${query}`, canvas: $<HTMLCanvasElement>('sample') };
}

function requestPicture(): void {
  if (inFlight) {
    stale = true;
    return;
  }
  document.body.dataset.idle = 'false';
  const { url, canvas } = pictureRequest();
  inFlight = true;
  stale = false;
  const started = performance.now();
  drawInto(canvas, url)
    .then((serverMs) => {
      const total = performance.now() - started;
      const server = serverMs === null ? '' : ` (generator and PNG on the server: ${serverMs} ms)`;
      showStatus(`drawn in ${total.toFixed(0)} ms${server}`, false);
    })
    .catch((error: Error) => showStatus(error.message, true))
    .finally(() => {
      inFlight = false;
      if (stale) requestPicture();
      else document.body.dataset.idle = 'true';
    });
}

/** Fetches a PNG and draws it at its own size; returns the server's render time, if sent. */
async function drawInto(canvas: HTMLCanvasElement, url: string): Promise<string | null> {
  const response = await fetch(url);
  if (!response.ok) throw new Error((await response.text()).trim());
  const bitmap = await createImageBitmap(await response.blob());
  if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    if (canvas.id === 'grid') {
      const scale = Math.max(1, Math.floor(640 / Math.max(bitmap.width, bitmap.height)));
      canvas.style.width = `${bitmap.width * scale}px`;
    }
  }
  const context = canvas.getContext('2d')!;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  canvas.dataset.drawn = url;
  const timing = /render;dur=([\d.]+)/.exec(response.headers.get('Server-Timing') ?? '');
  return timing ? timing[1] : null;
}

function showStatus(text: string, problem: boolean): void {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('problem', problem);
}

void start();
