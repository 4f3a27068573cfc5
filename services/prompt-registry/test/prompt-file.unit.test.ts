// `prompts import` compares a file's versions with the registry's: the same content is the same
// whatever order an object's keys come in (jsonb keeps its own order), and any real change differs.
import { sameContent, type PromptFileVersion } from '../src/cli/prompt-file';

const v = (extra: Partial<PromptFileVersion>): PromptFileVersion => ({ number: 1, template: 'Hi {{who}}', commitMessage: '', ...extra });

test('metadata, parameters and JSON defaults compare whatever the order of their keys', () => {
  const file = v({
    metadata: { team: 'support', untrustedInput: true, owner: { name: 'ada', email: 'a@x' } },
    modelParameters: { temperature: 0.2, model: 'm' },
    variables: [{ name: 'who', type: 'JSON', required: false, default: { z: 1, a: [{ y: 1, b: 2 }] } }],
  });
  const registry = v({
    metadata: { owner: { email: 'a@x', name: 'ada' }, team: 'support', untrustedInput: true },
    modelParameters: { model: 'm', temperature: 0.2 },
    variables: [{ name: 'who', type: 'JSON', required: false, default: { a: [{ b: 2, y: 1 }], z: 1 } }],
  });
  expect(sameContent(file, registry)).toBe(true);
});

test('a different value, an extra key or another array order is different content', () => {
  const base = v({ metadata: { a: 1, b: { c: [1, 2] } } });
  expect(sameContent(base, v({ metadata: { b: { c: [1, 2] }, a: 2 } }))).toBe(false);
  expect(sameContent(base, v({ metadata: { b: { c: [1, 2], d: 0 }, a: 1 } }))).toBe(false);
  expect(sameContent(base, v({ metadata: { b: { c: [2, 1] }, a: 1 } }))).toBe(false);
  expect(sameContent(base, v({ metadata: { a: 1, b: { c: [1, 2] } }, template: 'Hello {{who}}' }))).toBe(false);
});
