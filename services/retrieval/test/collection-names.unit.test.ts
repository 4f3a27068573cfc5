import { CollectionIndexNames } from '../src/adapters/collection-names.es';

const names = new CollectionIndexNames('llmops-collection-');

test("the default project's collections keep the index names they had before projects", () => {
  expect(names.indexOf({ projectId: 'default', name: 'help-centre' })).toBe('llmops-collection-help-centre');
  expect(names.parse('llmops-collection-help-centre')).toEqual({ projectId: 'default', name: 'help-centre' });
});

test("another project's collection is <prefix><project>.<collection>, and names round-trip", () => {
  const ref = { projectId: 'acme-2', name: 'faq_v2' };
  expect(names.indexOf(ref)).toBe('llmops-collection-acme-2.faq_v2');
  expect(names.parse(names.indexOf(ref))).toEqual(ref);
});

test('project and collection names that share a dash never collide', () => {
  const one = names.indexOf({ projectId: 'a-b', name: 'c' });
  const other = names.indexOf({ projectId: 'a', name: 'b-c' });
  expect(one).not.toBe(other);
  expect(names.parse(one)).toEqual({ projectId: 'a-b', name: 'c' });
  expect(names.parse(other)).toEqual({ projectId: 'a', name: 'b-c' });
  // A default-project collection named like another project's index is still the default project's.
  expect(names.indexOf({ projectId: 'default', name: 'a-b-c' })).not.toBe(names.indexOf({ projectId: 'a', name: 'b-c' }));
});

test('index names are valid Elasticsearch names (lowercase, no forbidden characters, at most 255 bytes)', () => {
  const longest = names.indexOf({ projectId: `p${'x'.repeat(62)}`, name: `c${'y'.repeat(99)}` });
  expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(255);
  expect(longest).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
});

test('indices that are no collection parse as null; patterns cover a project', () => {
  expect(names.parse('llmops-ingestion-jobs')).toBeNull();
  expect(names.parse('llmops-collection-Bad.x')).toBeNull();
  expect(names.parse('llmops-collection-a.b.c')).toBeNull();
  expect(names.parse('llmops-collection-')).toBeNull();
  expect(names.patternOf('default')).toBe('llmops-collection-*');
  expect(names.patternOf('acme')).toBe('llmops-collection-acme.*');
  expect(() => new CollectionIndexNames('has.dot-')).toThrow(/must not contain/);
});
