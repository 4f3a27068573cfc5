// The domain with an in-memory store of its own port: validation names fields, lookups name what
// is missing.
import { ConflictError, InputError, NotFoundError } from '@llmops/platform';
import type { NewPrompt, NewPromptVersion, Prompt, PromptVersion, VersionSelector } from '../src/domain/model';
import type { PromptStore } from '../src/domain/ports';
import { PromptService } from '../src/domain/prompt-service';

class MemoryStore implements PromptStore {
  prompts: Prompt[] = [];
  versions: PromptVersion[] = [];
  async createPrompt(input: NewPrompt) {
    if (this.prompts.some((p) => p.name === input.name)) throw new ConflictError('taken', { field: 'name' });
    const p = { id: `p${this.prompts.length + 1}`, ...input, createdAt: new Date(), updatedAt: new Date() };
    this.prompts.push(p);
    return p;
  }
  async createVersion(input: NewPromptVersion) {
    const p = this.prompts.find((x) => x.name === input.promptName);
    if (!p) return null;
    const number = this.versions.filter((v) => v.promptId === p.id).length + 1;
    const v = { id: `v${this.versions.length + 1}`, promptId: p.id, number, createdAt: new Date(), ...input };
    this.versions.push(v);
    return v;
  }
  async findPromptByName(name: string) {
    return this.prompts.find((p) => p.name === name) ?? null;
  }
  async findPromptById(id: string) {
    return this.prompts.find((p) => p.id === id) ?? null;
  }
  async listPrompts(first: number) {
    return { items: this.prompts.slice(0, first), hasNextPage: this.prompts.length > first };
  }
  async listVersions(promptId: string) {
    return this.versions.filter((v) => v.promptId === promptId);
  }
  async findVersion(promptName: string, selector: VersionSelector) {
    const list = this.versions.filter((v) => v.promptName === promptName);
    return (selector.kind === 'latest' ? list.at(-1) : list.find((v) => v.number === selector.number)) ?? null;
  }
  async findVersionById(id: string) {
    return this.versions.find((v) => v.id === id) ?? null;
  }
}

const service = () => new PromptService(new MemoryStore());

test.each([
  ['an empty name', { name: '', description: null, tags: [] }, 'name'],
  ['a name with spaces', { name: 'a b', description: null, tags: [] }, 'name'],
  ['a 201-character name', { name: 'x'.repeat(201), description: null, tags: [] }, 'name'],
  ['a 2001-character description', { name: 'ok', description: 'd'.repeat(2001), tags: [] }, 'description'],
  ['an empty tag', { name: 'ok', description: null, tags: ['fine', ''] }, 'tags.1'],
])('createPrompt with %s is an InputError', async (_, input, field) => {
  const err = await service().createPrompt(input).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).field).toBe(field);
});

test('tags are de-duplicated', async () => {
  expect((await service().createPrompt({ name: 'p', description: null, tags: ['a', 'a', 'b'] })).tags).toEqual(['a', 'b']);
});

test('versions of an unknown prompt and unknown versions are NotFound, naming them', async () => {
  const s = service();
  await expect(s.createVersion({ promptName: 'nope', template: 't', commitMessage: '', author: null })).rejects.toEqual(
    new NotFoundError('Prompt', 'nope'),
  );
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  await expect(s.getVersion('p', { kind: 'latest' })).rejects.toEqual(new NotFoundError('PromptVersion', 'p@latest'));
  await s.createVersion({ promptName: 'p', template: 'one', commitMessage: '', author: null });
  await s.createVersion({ promptName: 'p', template: 'two', commitMessage: '', author: null });
  expect((await s.getVersion('p', { kind: 'latest' })).template).toBe('two');
  expect((await s.getVersion('p', { kind: 'number', number: 1 })).template).toBe('one');
  await expect(s.getVersion('p', { kind: 'number', number: 3 })).rejects.toEqual(new NotFoundError('PromptVersion', 'p@3'));
});

test('empty and oversized templates are rejected with the limit', async () => {
  const s = service();
  await s.createPrompt({ name: 'p', description: null, tags: [] });
  await expect(s.createVersion({ promptName: 'p', template: '', commitMessage: '', author: null })).rejects.toMatchObject({ field: 'template' });
  const err = await s.createVersion({ promptName: 'p', template: 'x'.repeat(100_001), commitMessage: '', author: null }).catch((e) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(err.message).toBe('template: must be at most 100000 characters');
});

test('page sizes are bounded', async () => {
  await expect(service().listPrompts(0, null)).rejects.toMatchObject({ field: 'first' });
  await expect(service().listPrompts(101, null)).rejects.toMatchObject({ field: 'first' });
});
