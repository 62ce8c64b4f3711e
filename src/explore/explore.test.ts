import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseExploreArgs } from '../config/explore';
import { assertUsageError } from '../config/testing';
import { MemoryLogger } from '../util/log';
import { startExplorer } from './explore';
import { rawGet, writeUntrainedRun } from './testing';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'infogan.js');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-explore-cli-'));
const runDir = path.join(temp, 'run');
before(() => writeUntrainedRun(runDir));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

/** Starts `infogan explore` and resolves once it has printed its URL. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'explore', '--run', runDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL in 30 s: ${stdout}${stderr}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = / at (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)), () => {});
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

describe('infogan explore on the command line', () => {
  it('serves on 127.0.0.1, and Ctrl-C (SIGINT) closes the server and exits 0', async () => {
    const cli = startCli(['--port', '0']);
    const url = await cli.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = Number(new URL(url).port);
    const page = await rawGet(port, '/');
    assert.equal(page.status, 200);
    // A keep-alive connection left open must not keep the process alive.
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(`${url}api/model`, { agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      }).on('error', reject);
    });
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0, cli.output().stderr);
    assert.match(cli.output().stdout, /SIGINT: stopping the server/);
    agent.destroy();
    await assert.rejects(rawGet(port, '/'), /ECONNREFUSED/);
  });

  it('says which port is taken, in one line with exit code 1', async () => {
    const first = await startExplorer({ run: runDir, port: 0, host: '127.0.0.1' },
      new MemoryLogger());
    const port = new URL(first.url).port;
    const cli = startCli(['--port', port]);
    await assert.rejects(cli.url);
    assert.equal(await cli.exited, 1);
    assert.equal(cli.output().stderr, `infogan: port ${port} on 127.0.0.1 is in use; ` +
      'pick another with --port (0 picks a free one)\n');
    await first.stop();
  });

  it('says how to build the page when it is missing', async () => {
    await assert.rejects(startExplorer({ run: runDir, port: 0, host: '127.0.0.1' },
      new MemoryLogger(), path.join(temp, 'no-page')),
    /the explore page is not built .*run npm run build/);
  });

  it('parses its flags: 127.0.0.1:8080 by default, --host only when asked', () => {
    assert.deepEqual(parseExploreArgs(['--run', 'r']), { run: 'r', port: 8080, host: '127.0.0.1' });
    assert.deepEqual(parseExploreArgs(['--run=r', '--port', '0', '--host', 'localhost',
      '--checkpoint', '4']), { run: 'r', port: 0, host: 'localhost', checkpoint: 4 });
    assertUsageError(() => parseExploreArgs([]), /infogan explore needs --run DIR/);
    assertUsageError(() => parseExploreArgs(['--run', 'r', '--port', '65536']),
      '--port must be between 0 and 65535, got 65536');
    assertUsageError(() => parseExploreArgs(['--run', 'r', '--host', 'a b']),
      /--host expects an address or host name such as 127.0.0.1, got "a b"/);
    assertUsageError(() => parseExploreArgs(['--run', 'r', '--prot', '1']),
      'unknown flag --prot; did you mean --port?');
  });
});
