// The cluster setting that keeps Elasticsearch from creating a collection's index by itself: the
// exclusion goes first (the first matching pattern decides) and the rest of the setting is kept.
import { withoutAutoCreate } from '../src/adapters/auto-create-guard.es';

const prefix = 'llmops-collection-';

test('the default (true, or unset) becomes: never the collections, everything else', () => {
  expect(withoutAutoCreate(undefined, prefix)).toBe('-llmops-collection-*,+*');
  expect(withoutAutoCreate('true', prefix)).toBe('-llmops-collection-*,+*');
  expect(withoutAutoCreate(true, prefix)).toBe('-llmops-collection-*,+*');
});

test("an operator's list keeps its patterns, after the exclusion", () => {
  expect(withoutAutoCreate('+logs-*,-tmp-*', prefix)).toBe('-llmops-collection-*,+logs-*,-tmp-*');
  expect(withoutAutoCreate('+logs-*, +*', prefix)).toBe('-llmops-collection-*,+logs-*,+*');
});

test('nothing to change when nothing is created automatically or the exclusion is there', () => {
  expect(withoutAutoCreate('false', prefix)).toBeNull();
  expect(withoutAutoCreate(false, prefix)).toBeNull();
  expect(withoutAutoCreate('+a*,-llmops-collection-*,+*', prefix)).toBeNull();
});
