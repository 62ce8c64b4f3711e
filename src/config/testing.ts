/**
 * Assertions shared by the config tests: every usage mistake must be a UserError with exit code 2
 * and a one-line message.
 */
import assert from 'node:assert/strict';

import { UserError } from '../util/log';

/** Asserts that `run` throws a one-line UserError with exit code 2 matching `expected`. */
export function assertUsageError(run: () => unknown, expected: RegExp | string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
    assert.equal(error.exitCode, 2, `exit code ${error.exitCode} for: ${error.message}`);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else assert.match(error.message, expected);
    return true;
  });
}
