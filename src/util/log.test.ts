/**
 * Console lines: control characters in what they name (file names) are shown, not obeyed; a line
 * printed while a progress bar is drawn starts a line of its own; a resumed bar's rate.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';

import { ConsoleLogger, printable, renderBar } from './log';

describe('printable', () => {
  it('escapes line breaks and terminal controls, and keeps tabs and every printable character',
    () => {
      assert.equal(printable('evil\nwarning: fake\r\x1b[31mred\x7f\u0085\u0000'),
        'evil\\nwarning: fake\\r\\x1b[31mred\\x7f\\x85\\x00');
      assert.equal(printable('a\tb ünï 顔 \u{1f600}'), 'a\tb ünï 顔 \u{1f600}');
    });

  it('keeps each line the console logger prints on one line', () => {
    const out: string[] = [];
    const write = mock.method(process.stdout, 'write', (chunk: string) => out.push(chunk) > 0);
    const error = mock.method(process.stderr, 'write', (chunk: string) => out.push(chunk) > 0);
    try {
      const log = new ConsoleLogger();
      log.info('skipped 1 of 2 files: 1 not an image (a\nwarning: fake.txt)');
      log.warn('cannot read b\x1b[2J.jpg');
    } finally {
      write.mock.restore();
      error.mock.restore();
    }
    assert.deepEqual(out, ['skipped 1 of 2 files: 1 not an image (a\\nwarning: fake.txt)\n',
      'warning: cannot read b\\x1b[2J.jpg\n']);
  });
});

describe('progress bars', () => {
  it('rate only the items done since the bar started (a resumed epoch)', () => {
    assert.equal(renderBar('epoch 2/5', 97, 156, 2, 96), 'epoch 2/5 [==============>         ] ' +
      '97/156 62% 0.5/s ETA 1m58s');
    assert.match(renderBar('epoch 2/5', 97, 156, 2), / 48\.5\/s ETA 1s$/);
  });

  it('clear the bar before a line is printed, so the line does not start after it', () => {
    const out: string[] = [];
    const write = mock.method(process.stdout, 'write', (chunk: string) => out.push(chunk) > 0);
    const error = mock.method(process.stderr, 'write', (chunk: string) => out.push(chunk) > 0);
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const log = new ConsoleLogger();
      const bar = log.progress('epoch 1/1', 10);
      bar.update(3);
      log.warn('SIGINT: finishing this step');
      log.info('epoch 1: done');
      bar.finish();
    } finally {
      write.mock.restore();
      error.mock.restore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    assert.match(out[0], /^\repoch 1\/1 \[.*\] 3\/10 30% /);
    assert.deepEqual(out.slice(1), ['\r\x1b[K', 'warning: SIGINT: finishing this step\n',
      'epoch 1: done\n', '\r\x1b[K']);
  });
});
