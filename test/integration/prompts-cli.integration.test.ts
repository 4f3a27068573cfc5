// The prompts CLI round-trips prompts between the registry and YAML/JSON files.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { graphql } from '@llmops/testkit';
import { integrationContext } from './context';

const ctx = integrationContext();
const cli = join(__dirname, '..', '..', 'services', 'prompt-registry', 'dist', 'cli', 'prompts-cli.js');
const run = (...args: string[]) => promisify(execFile)(process.execPath, [cli, ...args, '--gateway', ctx.gatewayUrl]);

test('export writes one file per prompt; import recreates it elsewhere and is idempotent', async () => {
  const name = `cli/${randomUUID().slice(0, 8)}`;
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n, description: "d", tags: ["cli"] }) { id } }`, { n: name });
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Hi {{who}}", commitMessage: "one" }) { number } }`, { n: name });
  await graphql(
    ctx.gatewayUrl,
    `mutation($n: String!) { createPromptVersion(input: { promptName: $n, messages: [{ role: SYSTEM, content: "Be {{tone}}" }],
      variables: [{ name: "tone", type: ENUM, enumValues: ["kind", "terse"], required: false, default: "kind" }], modelParameters: { temperature: 0.5 } }) { number } }`,
    { n: name },
  );
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 2) { alias } }`, { n: name });

  const dir = mkdtempSync(join(tmpdir(), 'prompts-export-'));
  const exported = await run('export', dir);
  expect(exported.stdout).toContain(`${name}: 2 version(s)`);
  const fileName = `${name.replace('/', '__')}.yaml`;
  expect(readdirSync(dir)).toContain(fileName);
  const file = YAML.parse(readFileSync(join(dir, fileName), 'utf8'));
  expect(file).toMatchObject({
    name,
    description: 'd',
    tags: ['cli'],
    aliases: { production: 2 },
    versions: [
      { number: 1, template: 'Hi {{who}}', commitMessage: 'one' },
      { number: 2, messages: [{ role: 'SYSTEM', content: 'Be {{tone}}' }], modelParameters: { temperature: 0.5 } },
    ],
  });

  // Import the same prompt under a new name, with one more version and the alias moved to it.
  const copy = `${name}-copy`;
  file.name = copy;
  file.versions.push({ number: 3, template: 'Bye {{who}}', commitMessage: 'three' });
  file.aliases = { production: 3 };
  const copyPath = join(dir, 'copy.yaml');
  writeFileSync(copyPath, YAML.stringify(file));
  expect((await run('import', copyPath)).stdout).toContain(`${copy}: new, 3 version(s) to add, 1 alias(es) to set`);
  const read = await graphql<{ prompt: { versions: Array<{ number: number }>; version: { template: string } } }>(
    ctx.gatewayUrl,
    `query($n: String!) { prompt(name: $n) { versions { number } version(alias: "production") { template } } }`,
    { n: copy },
  );
  expect(read.data!.prompt.versions.map((v) => v.number)).toEqual([1, 2, 3]);
  expect(read.data!.prompt.version.template).toBe('Bye {{who}}');
  expect((await run('import', copyPath)).stdout).toContain(`${copy}: exists, 0 version(s) to add, 0 alias(es) to set`);

  // A file whose history differs from the registry's is refused, naming the file.
  file.versions[0].template = 'Hello {{who}}';
  writeFileSync(copyPath, YAML.stringify(file));
  await expect(run('import', copyPath)).rejects.toMatchObject({ stderr: expect.stringContaining(`${copyPath}: version 1 differs`) });
  writeFileSync(copyPath, 'name: x\nversions:\n  - number: 2\n    template: t\n');
  await expect(run('import', copyPath)).rejects.toMatchObject({ stderr: expect.stringContaining('versions must be numbered 1, 2, 3') });
});

test('import is idempotent whatever the order of metadata keys; export includes archived prompts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prompts-order-'));
  const name = `cli-order/${randomUUID().slice(0, 8)}`;
  // jsonb stores {"a": …, "zeta": …, "nested": {"b": …, "yy": …}}: shorter keys first, not the file's order.
  const path = join(dir, 'ordered.yaml');
  writeFileSync(
    path,
    YAML.stringify({ name, versions: [{ number: 1, template: 'Hi {{who}}', metadata: { zeta: 1, nested: { yy: true, b: [2, 1] }, a: 'x' } }] }),
  );
  expect((await run('import', path)).stdout).toContain(`${name}: new, 1 version(s) to add, 0 alias(es) to set`);
  expect((await run('import', path)).stdout).toContain(`${name}: exists, 0 version(s) to add, 0 alias(es) to set`);

  const archived = `cli-archived/${randomUUID().slice(0, 8)}`;
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: archived });
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "old" }) { number } }`, { n: archived });
  await graphql(ctx.gatewayUrl, `mutation($n: String!) { archivePrompt(name: $n) { archived } }`, { n: archived });
  const out = join(dir, 'export');
  expect((await run('export', out)).stdout).toContain(`${archived}: 1 version(s)`);
  expect(YAML.parse(readFileSync(join(out, `${archived.replace('/', '__')}.yaml`), 'utf8'))).toMatchObject({ name: archived, versions: [{ template: 'old' }] });
});
