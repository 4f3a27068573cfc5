// NUL characters, which PostgreSQL cannot store, are found wherever they hide in a request body.
import { findNulCharacter } from '../src/http/input-guard';

test('names the variable path or the query holding a NUL character', () => {
  expect(findNulCharacter({ query: '{ a }', variables: { i: { name: 'ok', tags: ['x', 'a\u0000b'] } } })).toBe('i.tags.1');
  expect(findNulCharacter({ query: '{ a(x: "\\u0000") }' })).toBe('query');
  expect(findNulCharacter({ query: '{ a(x: "\u0000") }' })).toBe('query');
  expect(findNulCharacter({ query: '{ a }', variables: { 'k\u0000': 1 } })).toBe('k\u0000');
});

test('passes everything else, including other control characters and lone surrogates', () => {
  expect(findNulCharacter({ query: '{ a(x: "\\u0001 \\\\u0000x") }', variables: { s: '\t\n\u0001\ud800💥', n: 0, b: false, z: null } })).toBeUndefined();
  expect(findNulCharacter(undefined)).toBeUndefined();
});
