// spawnManaged's stop: a server that exits on SIGTERM is reported gone, and nothing of the grace
// period is left pending (a leftover timer kept every integration run alive 30 s after teardown).
// A Node process starts and stops a server with a 10-minute grace period and must then end by
// itself, within the minute this test gives it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const processModule = path.join(__dirname, '..', 'src', 'infra', 'process.ts');

test('a Node process that stopped its server exits without waiting out the grace period', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'managed-'));
  try {
    const script = path.join(dir, 'stop-sleeper.mts');
    fs.writeFileSync(
      script,
      `import { spawnManaged } from ${JSON.stringify(processModule)};
const server = await spawnManaged({ name: 'sleeper', command: 'sleep', args: ['600'], logFile: ${JSON.stringify(path.join(dir, 'sleeper.log'))}, pidDir: ${JSON.stringify(dir)}, stopGraceMs: 600_000 });
await server.stop();
console.log(JSON.stringify(server.exitStatus));
`,
    );
    const { stdout, stderr, killed } = await new Promise<{ stdout: string; stderr: string; killed: boolean }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 60_000, cwd: path.join(__dirname, '..') }, (_err, out, err) =>
        resolve({ stdout: out, stderr: err, killed: child.killed }),
      );
    });
    expect({ killed, stderr }).toEqual({ killed: false, stderr: '' });
    expect(JSON.parse(stdout.trim())).toEqual({ code: null, signal: 'SIGTERM' });
    expect(fs.existsSync(path.join(dir, 'sleeper.pid'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
