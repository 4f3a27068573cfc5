// The domain with an in-memory store of its own port: validation names fields, lookups name what
// is missing, aliases resolve through the cache and are invalidated by their events.
import { ConflictError, InputError, NotFoundError } from '@llmops/platform';
import { PromptService } from '../src/domain/prompt-service';
import { MemoryStore, textVersion as version } from './memory-store';

const setup = () => {
  const store = new MemoryStore();
  return { store, service: new PromptService(store) };
};

async function inputError(p: Promise<unknown>): Promise<InputError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

test.each([
  ['an empty name', { name: '', description: null, tags: [] }, 'name'],
  ['a name with spaces', { name: 'a b', description: null, tags: [] }, 'name'],
  ['a 201-character name', { name: 'x'.repeat(201), description: null, tags: [] }, 'name'],
  ['a 2001-character description', { name: 'ok', description: 'd'.repeat(2001), tags: [] }, 'description'],
  ['an empty tag', { name: 'ok', description: null, tags: ['fine', ''] }, 'tags.1'],
])('createPrompt with %s is an InputError', async (_, input, field) => {
  expect((await inputError(setup().service.createPrompt(input))).field).toBe(field);
});

test('tags are de-duplicated', async () => {
  expect((await setup().service.createPrompt({ name: 'p', description: null, tags: ['a', 'a', 'b'] })).tags).toEqual(['a', 'b']);
});

test('versions of an unknown prompt and unknown versions are NotFound, naming them', async () => {
  const { service: s } = setup();
  await expect(s.createVersion(version('nope', 't'))).rejects.toEqual(new NotFoundError('Prompt', 'nope'));
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  await expect(s.getVersion('p', { kind: 'latest' })).rejects.toEqual(new NotFoundError('PromptVersion', 'p@latest'));
  await s.createVersion(version('p', 'one'));
  await s.createVersion(version('p', 'two'));
  expect((await s.getVersion('p', { kind: 'latest' })).body).toEqual({ kind: 'TEXT', template: 'two' });
  expect((await s.getVersion('p', { kind: 'number', number: 1 })).parentNumber).toBeNull();
  expect((await s.getVersion('p', { kind: 'number', number: 2 })).parentNumber).toBe(1);
  await expect(s.getVersion('p', { kind: 'number', number: 3 })).rejects.toEqual(new NotFoundError('PromptVersion', 'p@3'));
  await expect(s.getVersion('p', { kind: 'alias', alias: 'production' })).rejects.toEqual(new NotFoundError('PromptAlias', 'p@production'));
  await expect(s.createVersion(version('p', 'x', { parentNumber: 9 }))).rejects.toEqual(new NotFoundError('PromptVersion', 'p@9'));
});

test('empty and oversized templates are rejected with the limit', async () => {
  const { service: s } = setup();
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  expect((await inputError(s.createVersion(version('p', '')))).field).toBe('template');
  const err = await inputError(s.createVersion(version('p', 'x'.repeat(100_001))));
  expect(err.message).toBe('template: must be at most 100000 characters');
});

test('variables are inferred from the template when not declared, typed by how it uses them', async () => {
  const { service: s } = setup();
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  const v = await s.createVersion(version('p', 'Hi {{name}}, {{#if vip}}welcome back{{/if}} {{#each items}}{{title}}{{/each}}'));
  // A printed value is a required STRING, an `if` test an optional BOOLEAN, what `each` iterates a required JSON.
  expect(v.variables).toEqual([
    { name: 'name', type: 'STRING', required: true },
    { name: 'vip', type: 'BOOLEAN', required: false },
    { name: 'items', type: 'JSON', required: true },
  ]);
  expect((await s.render('p', { kind: 'latest' }, { name: 'Ada', items: [{ title: 'A' }, { title: 'B' }] })).text).toBe('Hi Ada,  AB');
  expect((await s.render('p', { kind: 'latest' }, { name: 'Ada', vip: true, items: [] })).text).toBe('Hi Ada, welcome back ');
  expect((await inputError(s.render('p', { kind: 'latest' }, { name: 'Ada' }))).details['problems']).toEqual([
    { variable: 'items', problem: 'MISSING', message: 'items: required json is missing' },
  ]);
});

test('aliases resolve through the cache until their move is known', async () => {
  const { service: s, store } = setup();
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  await s.createVersion(version('p', 'one'));
  await s.createVersion(version('p', 'two'));
  await s.setAlias('p', 'production', 1, 'ada');
  const production = { kind: 'alias', alias: 'production' } as const;
  expect((await s.getVersion('p', production)).number).toBe(1);
  const reads = store.reads;
  expect((await s.getVersion('p', production)).number).toBe(1);
  expect(store.reads).toBe(reads); // served from the cache

  // Another replica moves the alias: this one serves the cached version until the event arrives.
  await store.setAlias('p', 'production', 2, 'bob');
  expect((await s.getVersion('p', production)).number).toBe(1);
  s.onAliasMoved('p', 'production');
  expect((await s.getVersion('p', production)).number).toBe(2);
  expect((await s.aliasHistory('p1', 'production')).map((m) => [m.fromVersion, m.toVersion])).toEqual([
    [1, 2],
    [null, 1],
  ]);
});

test('aliases: names are checked, archived versions cannot be targeted, aliased versions cannot be archived', async () => {
  const { service: s } = setup();
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  await s.createVersion(version('p', 'one'));
  await s.createVersion(version('p', 'two'));
  expect((await inputError(s.setAlias('p', 'Prod!', 1, null))).field).toBe('alias');
  expect((await inputError(s.setAlias('p', 'latest', 1, null))).field).toBe('alias');
  await expect(s.setAlias('p', 'production', 7, null)).rejects.toEqual(new NotFoundError('PromptVersion', 'p@7'));
  const tooLong = await inputError(s.setAlias('p', 'production', 1, 'm'.repeat(201)));
  expect({ field: tooLong.field, message: tooLong.message }).toEqual({ field: 'movedBy', message: 'movedBy: must be at most 200 characters' });
  expect(await s.aliasHistory('p1', null)).toEqual([]);
  await expect(s.setAlias('p', 'staging', 2, 'm'.repeat(200))).resolves.toMatchObject({ alias: 'staging' });
  await s.setAlias('p', 'production', 2, null);
  await expect(s.archiveVersion('p', 2)).rejects.toBeInstanceOf(ConflictError);
  await s.archiveVersion('p', 1);
  await expect(s.setAlias('p', 'staging', 1, null)).rejects.toBeInstanceOf(ConflictError);
});

test('archived prompts take no new versions and leave the default list', async () => {
  const { service: s } = setup();
  await s.createPrompt({ name: 'p', description: null, tags: ['x'] });
  await s.archivePrompt('p');
  await expect(s.createVersion(version('p', 'one'))).rejects.toBeInstanceOf(ConflictError);
  expect((await s.listPrompts(10, null, { tag: null, nameContains: null, includeArchived: false })).items).toEqual([]);
  expect((await s.listPrompts(10, null, { tag: 'x', nameContains: null, includeArchived: true })).items).toHaveLength(1);
});

test('page sizes are bounded', async () => {
  const filter = { tag: null, nameContains: null, includeArchived: false };
  expect((await inputError(setup().service.listPrompts(0, null, filter))).field).toBe('first');
  expect((await inputError(setup().service.listPrompts(101, null, filter))).field).toBe('first');
});

describe('callers', () => {
  const caller = (role: 'reader' | 'editor' | 'admin') => ({ projectId: 'acme', role, protectedAliases: ['production'] });

  async function withVersion(role: 'editor' | 'admin') {
    const store = new MemoryStore();
    const service = new PromptService(store, undefined, caller(role));
    await service.createPrompt({ name: 'p', description: null, tags: [] });
    await service.createVersion(version('p', 'hi'));
    return service;
  }

  test('a protected alias moves only for an admin; other aliases for an editor', async () => {
    const editor = await withVersion('editor');
    await expect(editor.setAlias('p', 'production', 1, null)).rejects.toMatchObject({ code: 'FORBIDDEN', details: { alias: 'production', required: 'admin', role: 'editor' } });
    await expect(editor.setAlias('p', 'staging', 1, null)).resolves.toMatchObject({ alias: 'staging', versionNumber: 1 });
    const admin = await withVersion('admin');
    await expect(admin.setAlias('p', 'production', 1, null)).resolves.toMatchObject({ alias: 'production' });
  });

  test('the audit log is for admins', async () => {
    await expect((await withVersion('editor')).auditLog(10, null)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect((await withVersion('admin')).auditLog(10, null)).resolves.toEqual([]);
  });
});

test('archiving a version shows at once: in this replica\'s cache, and through another replica\'s cache', async () => {
  const store = new MemoryStore();
  const here = new PromptService(store);
  const elsewhere = new PromptService(store); // another replica: same database, its own cache
  await here.createPrompt({ name: 'p', description: null, tags: [] });
  await here.createVersion(version('p', 'one'));
  await here.createVersion(version('p', 'two'));
  const one = { kind: 'number', number: 1 } as const;
  const latest = { kind: 'latest' } as const;
  for (const s of [here, elsewhere]) {
    expect((await s.getVersion('p', one)).archived).toBe(false);
    expect((await s.getVersion('p', latest)).archived).toBe(false);
  }
  await here.archiveVersion('p', 1);
  await here.archiveVersion('p', 2);
  expect((await here.getVersion('p', one)).archived).toBe(true);
  expect((await here.getVersion('p', latest)).archived).toBe(true);
  // No event tells the other replica; what it serves from its cache still answers `archived` right.
  const cachedOne = await elsewhere.getVersion('p', one);
  expect(await elsewhere.isArchived(cachedOne)).toBe(true);
  expect(await elsewhere.isArchived(await elsewhere.getVersion('p', latest))).toBe(true);
});
