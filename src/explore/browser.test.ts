/**
 * The explore page in a real browser: Debian's Chromium driven by playwright-core, on a run
 * trained on real MNIST digits. Chromium must be installed (scripts/setup.sh --dev does it):
 * without it these tests fail, they do not skip.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MemoryLogger } from '../util/log';
import { startExplorer, type Explorer } from './explore';
import { trainTinyMnistRun } from './testing';

const CHROMIUM = '/usr/bin/chromium';
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-browser-'));
const runDir = path.join(temp, 'run');
let explorer: Explorer | undefined;
let context: BrowserContext | undefined;
let page: Page;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the explore page's browser tests ` +
      'need it; install it with `apt-get install chromium` (bash scripts/setup.sh --dev does)');
  }
  await trainTinyMnistRun(runDir, path.join(temp, 'cache'));
  // Names in the layout `infogan evaluate` writes, to check the page shows them.
  fs.writeFileSync(path.join(runDir, 'evaluation.json'), JSON.stringify({ codes: [
    { name: 'categorical_0', kind: 'categorical', index: 0,
      classes: { names: ['0', '1'], accuracy: 0.5, matchedClass: ['3'] } },
    { name: 'continuous_0', kind: 'continuous', index: 0,
      continuousLabels: [{ label: 'slant', correlation: 0.61 }] },
  ] }));
  explorer = await startExplorer({ run: runDir, port: 0, host: '127.0.0.1' }, new MemoryLogger());
  context = await chromium.launchPersistentContext(path.join(temp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30_000);
}, { timeout: 180_000 });

after(async () => {
  await context?.close();
  await explorer?.stop();
  fs.rmSync(temp, { recursive: true, force: true });
});

/**
 * The page's globals, untyped: this file compiles without the DOM library. Functions (not
 * strings) go to the page, since its Content-Security-Policy forbids eval.
 */
type PageGlobals = any;

/** True once the picture of the current view is the one the URL asks for. Runs in the page. */
function settledInPage(): boolean {
  const { location, document } = globalThis as PageGlobals;
  const hash = new URLSearchParams(location.hash.slice(1));
  const grid = hash.get('view') === 'grid';
  const canvas = document.querySelector(grid ? '#grid' : '#sample');
  const codes = location.hash.slice(1).split('&view=')[0];
  const expected = grid ? `api/sweep?${codes}&code=${hash.get('sweep')}` : `api/sample?${codes}`;
  return document.body.dataset.idle === 'true' && canvas.dataset.drawn === expected;
}

async function settled(): Promise<void> {
  await page.waitForFunction(settledInPage);
}

/** A canvas's size and RGBA pixels. Runs in the page. */
function canvasInPage(selector: string): { size: string; values: number[] } {
  const canvas = (globalThis as PageGlobals).document.querySelector(selector);
  const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  return { size: `${canvas.width}x${canvas.height}`, values: Array.from(image.data) };
}

/** A digest of a canvas's pixels, and its size. */
async function pixels(selector = '#sample'): Promise<{ size: string; digest: string }> {
  const { size, values } = await page.evaluate(canvasInPage, selector);
  return { size, digest: createHash('sha256').update(Buffer.from(values)).digest('hex') };
}

const hashParams = () => new URLSearchParams(new URL(page.url()).hash.slice(1));

describe('the explore page in Chromium, on a run trained on real MNIST', () => {
  let first: { size: string; digest: string };

  it('loads with a sample, a slider per continuous code and buttons per category', async () => {
    await page.goto(explorer!.url);
    await settled();
    first = await pixels();
    assert.equal(first.size, '28x28');
    assert.equal(await page.locator('input.slider').count(), 2);
    assert.equal(await page.locator('button.value[data-code="0"]').count(), 10);
    assert.equal(await page.getAttribute('#continuous-0', 'min'), '-2');
    assert.equal(await page.getAttribute('#continuous-0', 'max'), '2');
    assert.match(await page.textContent('.code.continuous .band-note') ?? '',
      /training range \[-1, 1\]/);
    assert.equal(hashParams().get('seed'), '0');
    assert.match(await page.textContent('#facts') ?? '', /iteration 8 · 28×28×1 images/);
  });

  it('shows the attribute names evaluate found, and the training curves', async () => {
    const attributes = await page.locator('.heading .attribute').allTextContents();
    assert.deepEqual(attributes, ['2 classes, accuracy 0.50', 'slant (r 0.61)']);
    assert.equal(await page.textContent('button.value[data-code="0"][data-value="0"]'), '3');
    await page.waitForSelector('svg.chart');
    const tags = await page.evaluate(() => [...(globalThis as PageGlobals).document
      .querySelectorAll('svg.chart')].map((chart: PageGlobals) => chart.dataset.tag));
    assert.deepEqual(tags, ['discriminator_objective', 'generator_objective',
      'mutual_info_objective']);
    const points = await page.getAttribute('svg.chart polyline', 'points');
    assert.equal(points?.split(' ').length, 8);
  });

  it('redraws when a slider moves', async () => {
    const box = (await page.locator('#continuous-0').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.9, box.y + box.height / 2);
    await settled();
    const value = Number(hashParams().get('cont')!.split(',')[0]);
    assert.ok(value > 1.2 && value <= 2, `slider at ${value}`);
    assert.equal(await page.textContent('#continuous-0-value'), String(value));
    const moved = await pixels();
    assert.notEqual(moved.digest, first.digest);
    first = moved;
  });

  it('redraws when a category is clicked', async () => {
    await page.click('button.value[data-code="0"][data-value="7"]');
    await settled();
    assert.equal(hashParams().get('cat'), '7');
    assert.equal(await page.getAttribute('button.value[data-code="0"][data-value="7"]',
      'aria-pressed'), 'true');
    const clicked = await pixels();
    assert.notEqual(clicked.digest, first.digest);
    first = clicked;
  });

  it('gives the same pixels after a reload from the URL, in a fresh tab too', async () => {
    const url = page.url();
    await page.reload();
    await settled();
    assert.deepEqual(await pixels(), first);
    const tab = await context!.newPage();
    const original = page;
    page = tab;
    await page.goto(url);
    await settled();
    assert.deepEqual(await pixels(), first);
    assert.equal(await page.inputValue('#continuous-0'), hashParams().get('cont')!.split(',')[0]);
    await tab.close();
    page = original;
  });

  it('changes the style with the seed field and the new-style button', async () => {
    await page.fill('#seed', '12345');
    await settled();
    assert.equal(hashParams().get('seed'), '12345');
    const seeded = await pixels();
    assert.notEqual(seeded.digest, first.digest);
    await page.click('#new-style');
    await settled();
    assert.notEqual(hashParams().get('seed'), '12345');
    await page.fill('#seed', 'abc');
    assert.match(await page.textContent('#status') ?? '', /the seed must be a whole number/);
  });

  it('shows a grid sweeping one code, kept in the URL', async () => {
    await page.click('.code.continuous:nth-of-type(2) button.sweep');
    await settled();
    assert.equal(hashParams().get('view'), 'grid');
    assert.equal(hashParams().get('sweep'), 'continuous:1');
    const grid = await pixels('#grid');
    assert.equal(grid.size, `${9 * 29 + 1}x${3 * 29 + 1}`);
    assert.ok(await page.isHidden('#sample-view'));
    await page.reload();
    await settled();
    assert.deepEqual(await pixels('#grid'), grid);
    await page.selectOption('#sweep-code', 'categorical:0');
    await settled();
    assert.equal((await pixels('#grid')).size, `${10 * 29 + 1}x${3 * 29 + 1}`);
  });

  it('ignores a damaged URL state with a note, drawing the defaults', async () => {
    await page.goto(`${explorer!.url}#seed=abc&cat=99`);
    await settled();
    assert.match(await page.textContent('#notice') ?? '',
      /the link's state was ignored: seed must be a whole number, got "abc"/);
    assert.equal(hashParams().get('seed'), '0');
  });

  it('gets 404 for files outside the page and the model', async () => {
    for (const target of ['..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json',
      '..%5c..%5cpackage.json', 'model/..%2fconfig.json', '%2fetc%2fpasswd']) {
      const response = await page.goto(`${explorer!.url}${target}`);
      assert.equal(response?.status(), 404, target);
    }
    const fetched = await page.evaluate(async () => (await fetch('/%2e%2e/config.json')).status);
    assert.equal(fetched, 404);
  });
});
