// NUL characters, which PostgreSQL cannot store, and lone surrogates, which jsonb refuses, are
// found wherever they hide in a request body.
import { findUnstorableText } from '../src/http/input-guard';

const field = (body: unknown) => findUnstorableText(body)?.field;

test('names the variable path or the query holding a NUL character', () => {
  expect(field({ query: '{ a }', variables: { i: { name: 'ok', tags: ['x', 'a\u0000b'] } } })).toBe('i.tags.1');
  expect(field({ query: '{ a(x: "\\u0000") }' })).toBe('query');
  expect(field({ query: '{ a(x: "\u0000") }' })).toBe('query');
  expect(field({ query: '{ a(x: "\\u{0}") }' })).toBe('query');
  expect(field({ query: '{ a(x: "\\u{000000}") }' })).toBe('query');
  expect(field({ query: '{ a }', variables: { 'k\u0000': 1 } })).toBe('k\u0000');
  expect(findUnstorableText({ query: '{ a }', variables: { s: 'a\u0000' } })?.found).toMatch(/NUL/);
});

test('names where a lone surrogate is, high or low, but passes surrogate pairs', () => {
  expect(findUnstorableText({ query: '{ a }', variables: { input: { commitMessage: '\ud800' } } })).toEqual({
    field: 'input.commitMessage',
    found: expect.stringMatching(/lone UTF-16 surrogate/),
  });
  expect(field({ query: '{ a }', variables: { s: 'x\udc00' } })).toBe('s');
  expect(field({ query: '{ a }', variables: { s: '\ud800x' } })).toBe('s');
  expect(field({ query: '{ a(x: "\ud800") }' })).toBe('query');
  expect(findUnstorableText({ query: '{ a }', variables: { s: 'emoji 💥 and 𝔘' } })).toBeUndefined();
});

test('passes everything else, including other control characters', () => {
  expect(findUnstorableText({ query: '{ a(x: "\\u0001 \\\\u0000x") }', variables: { s: '\t\n\u0001💥', n: 0, b: false, z: null } })).toBeUndefined();
  expect(findUnstorableText(undefined)).toBeUndefined();
});
