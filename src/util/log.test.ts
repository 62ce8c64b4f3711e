/** Console lines: control characters in what they name (file names) are shown, not obeyed. */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';

import { ConsoleLogger, printable } from './log';

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
