// prompts: keep prompts in a repository as YAML/JSON files and sync them with the registry.
//   npm run prompts -- export <dir> [--format yaml|json] [--gateway URL]
//   npm run prompts -- import <file-or-dir>... [--dry-run] [--gateway URL]
// Import is idempotent: versions already in the registry are left alone; a version whose number
// exists with other content is an error (history diverged), never an overwrite.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { fileNameOf, promptFile, sameContent, type PromptFile } from './prompt-file';
import { RegistryClient } from './registry-client';

const usage = `usage: prompts export <dir> [--format yaml|json] [--gateway URL]
       prompts import <file-or-dir>... [--dry-run] [--gateway URL]`;

function readPromptFile(path: string): PromptFile {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const parsed = promptFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return parsed.data;
}

function promptFilesIn(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
}

async function exportPrompts(client: RegistryClient, dir: string, format: 'yaml' | 'json', log: (m: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const names = await client.listNames();
  for (const [i, name] of names.entries()) {
    const file = await client.read(name);
    if (!file) continue;
    const path = join(dir, fileNameOf(name, format));
    writeFileSync(path, format === 'json' ? `${JSON.stringify(file, null, 2)}\n` : YAML.stringify(file, { lineWidth: 0 }));
    log(`[${i + 1}/${names.length}] ${name}: ${file.versions.length} version(s) -> ${path}`);
  }
}

async function importPrompts(client: RegistryClient, paths: string[], dryRun: boolean, log: (m: string) => void): Promise<void> {
  const files = promptFilesIn(paths).map((path) => ({ path, file: readPromptFile(path) }));
  for (const [i, { path, file }] of files.entries()) {
    const prefix = `[${i + 1}/${files.length}] ${file.name}`;
    const existing = await client.read(file.name);
    const have = existing?.versions ?? [];
    have.forEach((v, j) => {
      const mine = file.versions[j];
      if (mine && !sameContent(mine, v)) {
        throw new Error(`${path}: version ${v.number} differs from the registry's version ${v.number}; history diverged (export first, then edit)`);
      }
    });
    const missing = file.versions.slice(have.length);
    const aliasMoves = Object.entries(file.aliases).filter(([alias, number]) => existing?.aliases[alias] !== number);
    log(`${prefix}: ${existing ? 'exists' : 'new'}, ${missing.length} version(s) to add, ${aliasMoves.length} alias(es) to set${dryRun ? ' (dry run)' : ''}`);
    if (dryRun) continue;
    if (!existing) await client.createPrompt(file);
    for (const v of missing) {
      const number = await client.createVersion(file.name, v);
      if (number !== v.number) throw new Error(`${path}: version ${v.number} was registered as ${number}; someone else added versions meanwhile`);
    }
    for (const [alias, number] of aliasMoves) await client.setAlias(file.name, alias, number);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      gateway: { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
      format: { type: 'string', default: 'yaml' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  const client = new RegistryClient(values.gateway!);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  if (command === 'export' && rest.length === 1) {
    if (values.format !== 'yaml' && values.format !== 'json') throw new Error('--format: must be yaml or json');
    return exportPrompts(client, rest[0]!, values.format, log);
  }
  if (command === 'import' && rest.length > 0) return importPrompts(client, rest, values['dry-run']!, log);
  throw new Error(usage);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`prompts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
