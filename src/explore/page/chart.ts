/**
 * Small inline SVG line charts of the training curves: one chart per scalar, each with its own
 * value axis, sharing the step axis.
 */

export interface Curve {
  tag: string;
  steps: number[];
  values: number[];
}

const WIDTH = 300;
const HEIGHT = 130;
const MARGIN = { left: 44, right: 10, top: 22, bottom: 22 };
const SVG = 'http://www.w3.org/2000/svg';

/** Replaces `container`'s content with one chart per curve. */
export function drawCharts(container: HTMLElement, curves: Curve[]): void {
  container.replaceChildren();
  if (curves.length === 0) {
    container.textContent = 'no training curves found in the run\'s TensorBoard logs';
    return;
  }
  const lastStep = Math.max(...curves.map((c) => c.steps[c.steps.length - 1] ?? 0));
  const firstStep = Math.min(...curves.map((c) => c.steps[0] ?? 0));
  curves.forEach((curve, i) => container.append(chart(curve, [firstStep, lastStep], i)));
}

function chart(curve: Curve, [first, last]: [number, number], colour: number): SVGSVGElement {
  const svg = node('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart',
    role: 'img', 'aria-label': `${curve.tag} over training steps` });
  svg.dataset.tag = curve.tag;
  let low = Math.min(...curve.values);
  let high = Math.max(...curve.values);
  if (high - low < 1e-9) [low, high] = [low - 0.5, high + 0.5];
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const span = Math.max(1, last - first);
  const x = (step: number) => MARGIN.left + ((step - first) / span) * plotWidth;
  const y = (value: number) => HEIGHT - MARGIN.bottom - ((value - low) / (high - low)) * plotHeight;
  svg.append(
    label(curve.tag, MARGIN.left, 14, 'start', 'title'),
    node('line', { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom,
      class: 'axis' }),
    node('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: HEIGHT - MARGIN.bottom,
      y2: HEIGHT - MARGIN.bottom, class: 'axis' }),
    label(formatValue(high), MARGIN.left - 4, MARGIN.top + 4, 'end'),
    label(formatValue(low), MARGIN.left - 4, HEIGHT - MARGIN.bottom, 'end'),
    label(`step ${first}`, MARGIN.left, HEIGHT - 6, 'start'),
    label(`${last}`, WIDTH - MARGIN.right, HEIGHT - 6, 'end'),
  );
  const points = curve.steps.map((step, i) =>
    `${x(step).toFixed(1)},${y(curve.values[i]).toFixed(1)}`);
  svg.append(node('polyline', { points: points.join(' '), class: `line line-${colour}` }));
  const lastValue = curve.values[curve.values.length - 1];
  svg.append(label(`last ${formatValue(lastValue)}`, WIDTH - MARGIN.right, 14, 'end'));
  return svg;
}

function label(text: string, x: number, y: number, anchor: 'start' | 'end',
  className = 'label'): SVGTextElement {
  const element = node('text', { x, y, 'text-anchor': anchor, class: className });
  element.textContent = text;
  return element;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K,
  attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function formatValue(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
