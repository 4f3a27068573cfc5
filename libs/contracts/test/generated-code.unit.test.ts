// The generated gRPC code is committed: regenerating it from proto/ must change nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const committed = join(root, 'libs/contracts/src/generated');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

test('libs/contracts/src/generated matches a fresh generation from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
  try {
    const template = readFileSync(join(root, 'proto/buf.gen.yaml'), 'utf8').replace(/out: .*/, `out: ${out}`);
    execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '--template', template], { cwd: join(root, 'proto') });
    const fresh = listFiles(out).map((f) => relative(out, f)).sort();
    expect(listFiles(committed).map((f) => relative(committed, f)).sort()).toEqual(fresh);
    for (const file of fresh) {
      expect({ file, content: readFileSync(join(committed, file), 'utf8') }).toEqual({ file, content: readFileSync(join(out, file), 'utf8') });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
