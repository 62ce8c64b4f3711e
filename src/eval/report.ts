/**
 * The `--report` page: one self-contained HTML file (PNGs embedded as data URLs, no scripts),
 * each code's traversal grid beside the classes, attributes and labels it matches best.
 */
import type { Grid } from '../train/grids';
import type { Evaluation } from './evaluate';
import { attributeMatch, codeTitle, type CodeEvaluation } from './scores';

/** Attributes listed per code; the JSON has all of them. */
const REPORT_ATTRIBUTES = 8;
/** Largest confusion matrix drawn (classes x values); bigger ones are in the JSON only. */
const MAX_CONFUSION_CELLS = 2500;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
section { display: flex; gap: 2em; align-items: flex-start; margin: 2em 0; flex-wrap: wrap; }
figure { margin: 0; }
img { image-rendering: pixelated; width: 2.5in; border: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; }
table.confusion td { min-width: 2em; }
.note { color: #666; }`;

/** The whole page for `evaluation`, with `grids` named as the codes (`categorical_0`, ...). */
export function reportHtml(evaluation: Evaluation, grids: Grid[]): string {
  const byName = new Map(grids.map((grid) => [grid.name, grid]));
  const sections = evaluation.codes.map((code) => codeSection(code, byName.get(code.name)));
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>infogan evaluate: ${escape(evaluation.run)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    '<h1>What each code learned</h1>',
    `<p>Run <code>${escape(evaluation.run)}</code> at iteration ${evaluation.iteration}, ` +
      `Q head over ${evaluation.images} images of <code>${escape(evaluation.dataset)}</code>. ` +
      'Traversals are drawn from the fixed noise of the training grids.</p>',
    ...evaluation.warnings.map((line) => `<p class="note">warning: ${escape(line)}</p>`),
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}

function codeSection(code: CodeEvaluation, grid: Grid | undefined): string {
  const caption = code.kind === 'categorical'
    ? 'one row per value, one column per fixed noise sample'
    : 'one row per fixed noise sample, the code swept from -2 to 2';
  const figure = grid
    ? `<figure><img src="data:image/png;base64,${grid.png.toString('base64')}" ` +
      `alt="traversal of ${codeTitle(code)}">` +
      `<figcaption class="note">${caption}</figcaption></figure>`
    : '';
  const heading = `${codeTitle(code)}${code.cardinality ? ` (${code.cardinality} values)` : ''}`;
  return [
    `<section id="${code.name}">`,
    figure,
    `<div><h2>${escape(heading)}</h2>`,
    classesHtml(code) + attributesHtml(code) + correlationsHtml(code) ||
      '<p class="note">no label of this data set to compare with</p>',
    '</div></section>',
  ].filter((part) => part !== '').join('\n');
}

function classesHtml(code: CodeEvaluation): string {
  const c = code.classes;
  if (!c) return '';
  const rows = c.matchedClass.map((name, value) => {
    const images = c.confusion.reduce((sum, row) => sum + row[value], 0);
    const hits = name === null ? 0 : c.confusion[c.names.indexOf(name)][value];
    const share = images > 0 ? `${((100 * hits) / images).toFixed(0)}%` : '-';
    return [String(value), name ?? '(none)', String(images), share];
  });
  return [
    `<h3>Classes</h3><p>accuracy ${c.accuracy.toFixed(3)} (values matched one-to-one to ` +
      `classes), NMI ${c.nmi.toFixed(3)} (arithmetic normalisation), ` +
      `purity ${c.purity.toFixed(3)}</p>`,
    table(['value', 'matched class', 'images', 'of that class'], rows),
    confusionHtml(c.names, c.confusion),
  ].join('\n');
}

function confusionHtml(names: string[], confusion: number[][]): string {
  const values = confusion[0]?.length ?? 0;
  if (names.length * values > MAX_CONFUSION_CELLS) return '';
  const header = ['class \\ value', ...Array.from({ length: values }, (_, v) => String(v))];
  const rows = confusion.map((row, c) => [names[c], ...row.map(String)]);
  const matrix = table(header, rows, 'confusion');
  return `<details><summary>confusion matrix</summary>${matrix}</details>`;
}

function attributesHtml(code: CodeEvaluation): string {
  const scores = code.attributes ?? [];
  if (scores.length === 0) return '';
  const rows = scores.slice(0, REPORT_ATTRIBUTES).map((score) =>
    [attributeMatch(code, score, ''), score.auc.toFixed(3)]);
  return `<h3>Attributes</h3>${table(['best match', 'AUC'], rows)}`;
}

function correlationsHtml(code: CodeEvaluation): string {
  const scores = code.continuousLabels ?? [];
  if (scores.length === 0) return '';
  const rows = scores.map((score) => [
    `${score.value === undefined ? '' : `value ${score.value} -> `}${score.label}`,
    score.correlation.toFixed(3),
  ]);
  return `<h3>Continuous labels</h3>${table(['label', 'Pearson r'], rows)}`;
}

function table(header: string[], rows: string[][], className?: string): string {
  const head = `<tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>`;
  const cells = (row: string[]) => row.map((cell) => `<td>${escape(cell)}</td>`).join('');
  const body = rows.map((row) => `<tr>${cells(row)}</tr>`);
  return `<table${className ? ` class="${className}"` : ''}>${head}${body.join('')}</table>`;
}

/** Text for HTML: the five characters that could start markup or end an attribute. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}
