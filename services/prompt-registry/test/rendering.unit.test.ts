// Strict rendering with typed variables, template syntax errors with their location, and diffs.
import { InputError } from '@llmops/platform';
import type { PromptVersion } from '../src/domain/model';
import { diffVersions } from '../src/domain/diff';
import { renderVersion } from '../src/domain/render';
import { validateNewVersion } from '../src/domain/validation';

const base = {
  promptName: 'p',
  modelParameters: {},
  metadata: {},
  augmentation: [],
  commitMessage: '',
  author: null,
  parentNumber: null,
};

function version(overrides: Partial<PromptVersion> = {}): PromptVersion {
  return {
    id: 'v1',
    promptId: 'p1',
    promptName: 'p',
    number: 1,
    body: { kind: 'TEXT', template: 'Hello {{name}}' },
    variables: [{ name: 'name', type: 'STRING', required: true }],
    modelParameters: {},
    metadata: {},
    augmentation: [],
    commitMessage: '',
    author: null,
    parentNumber: null,
    archived: false,
    createdAt: new Date(0),
    ...overrides,
  };
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

test('a template syntax error names the line and column', () => {
  const err = inputError(() => validateNewVersion({ ...base, body: { kind: 'TEXT', template: 'Hello\n  {{name}\n' }, variables: null }));
  expect(err.field).toBe('template');
  expect(err.details).toMatchObject({ line: 2, column: expect.any(Number) });
  expect(err.message).toMatch(/^template: template syntax error at line 2, column \d+/);

  const chat = inputError(() =>
    validateNewVersion({
      ...base,
      body: { kind: 'CHAT', messages: [{ role: 'SYSTEM', content: 'ok' }, { role: 'USER', content: '{{#if x}}open' }] },
      variables: null,
    }),
  );
  expect(chat.field).toBe('messages.1.content');
});

test('custom helpers are refused: templates stay logic-less', () => {
  expect(inputError(() => validateNewVersion({ ...base, body: { kind: 'TEXT', template: '{{#shout x}}{{/shout}}' }, variables: null })).message).toContain(
    'unknown block helper "shout"',
  );
});

test('declared variables must cover the template, with valid defaults and enum values', () => {
  const withBody = (variables: Parameters<typeof validateNewVersion>[0]['variables']) =>
    validateNewVersion({ ...base, body: { kind: 'TEXT', template: '{{tone}} {{n}}' }, variables });
  expect(inputError(() => withBody([{ name: 'tone', type: 'STRING', required: true }])).details).toMatchObject({ undeclared: ['n'] });
  expect(inputError(() => withBody([{ name: 'tone', type: 'ENUM', required: true }, { name: 'n', type: 'NUMBER', required: true }])).field).toBe(
    'variables.0.enumValues',
  );
  expect(
    inputError(() =>
      withBody([
        { name: 'tone', type: 'STRING', required: true },
        { name: 'n', type: 'NUMBER', required: false, default: 'three' },
      ]),
    ).field,
  ).toBe('variables.1.default');
});

test('augmentation queries may only use declared variables, and their outputs become variables', () => {
  const step = { kind: 'RETRIEVE' as const, collection: 'docs', queryTemplate: '{{question}}', k: 3, outputVariable: 'articles' };
  const valid = validateNewVersion({ ...base, body: { kind: 'TEXT', template: '{{articles}} Q: {{question}}' }, variables: null, augmentation: [step] });
  expect(valid.variables).toEqual([{ name: 'question', type: 'STRING', required: true }]);
  const bad = inputError(() =>
    validateNewVersion({ ...base, body: { kind: 'TEXT', template: '{{articles}} {{question}}' }, variables: null, augmentation: [{ ...step, queryTemplate: '{{topic}}' }] }),
  );
  expect(bad.field).toBe('augmentation.0.queryTemplate');
  expect(inputError(() => validateNewVersion({ ...base, body: { kind: 'TEXT', template: 'x' }, variables: null, augmentation: [{ ...step, k: 0 }] })).field).toBe(
    'augmentation.0.k',
  );
});

test('rendering applies defaults and lists every missing, unknown and mistyped variable at once', () => {
  const v = version({
    body: { kind: 'TEXT', template: '{{greeting}} {{name}}, you have {{count}} {{#if urgent}}URGENT {{/if}}messages ({{tone}})' },
    variables: [
      { name: 'greeting', type: 'STRING', required: false, default: 'Hello' },
      { name: 'name', type: 'STRING', required: true },
      { name: 'count', type: 'NUMBER', required: true },
      { name: 'urgent', type: 'BOOLEAN', required: false, default: false },
      { name: 'tone', type: 'ENUM', required: true, enumValues: ['formal', 'casual'] },
    ],
  });
  const rendered = renderVersion(v, { name: 'Ada', count: 3, tone: 'formal' });
  expect(rendered.text).toBe('Hello Ada, you have 3 messages (formal)');
  expect(rendered.values).toEqual({ greeting: 'Hello', name: 'Ada', count: 3, urgent: false, tone: 'formal' });
  expect(renderVersion(v, { name: 'Ada', count: 3, tone: 'casual', urgent: true }).text).toBe('Hello Ada, you have 3 URGENT messages (casual)');

  const err = inputError(() => renderVersion(v, { count: '3', tone: 'angry', extra: 1 }));
  expect(err.field).toBe('variables');
  expect(err.details['problems']).toEqual([
    { variable: 'extra', problem: 'UNKNOWN', message: 'extra: not a variable of this prompt version' },
    { variable: 'name', problem: 'MISSING', message: 'name: required string is missing' },
    { variable: 'count', problem: 'WRONG_TYPE', message: 'count: expected a number, got "3"' },
    { variable: 'tone', problem: 'WRONG_TYPE', message: 'tone: expected one of ["formal","casual"], got "angry"' },
  ]);
});

test('chat versions render every message; JSON variables reach nested fields strictly', () => {
  const v = version({
    body: {
      kind: 'CHAT',
      messages: [
        { role: 'SYSTEM', content: 'You answer as {{persona.name}}.' },
        { role: 'USER', content: '{{#each docs}}[{{@index}}] {{title}}\n{{/each}}{{question}}' },
      ],
    },
    variables: [
      { name: 'persona', type: 'JSON', required: true },
      { name: 'docs', type: 'JSON', required: true },
      { name: 'question', type: 'STRING', required: true },
    ],
  });
  const r = renderVersion(v, { persona: { name: 'Marie' }, docs: [{ title: 'A' }, { title: 'B' }], question: 'Why?' });
  expect(r.messages).toEqual([
    { role: 'SYSTEM', content: 'You answer as Marie.' },
    { role: 'USER', content: '[0] A\n[1] B\nWhy?' },
  ]);
  expect(inputError(() => renderVersion(v, { persona: {}, docs: [], question: 'q' })).message).toContain('"name" not defined');
});

test('the diff shows template lines and structured variable and parameter changes', () => {
  const from = version({ modelParameters: { temperature: 0.2, model: 'smollm2' } });
  const to = version({
    id: 'v2',
    number: 2,
    body: { kind: 'TEXT', template: 'Hello {{name}}\nBe brief.' },
    variables: [
      { name: 'name', type: 'STRING', required: false, default: 'there' },
      { name: 'tone', type: 'STRING', required: true },
    ],
    modelParameters: { temperature: 0.7, model: 'smollm2', maxTokens: 64 },
  });
  const d = diffVersions(from, to);
  expect(d.templateDiff).toContain('--- p@1');
  expect(d.templateDiff).toContain('+++ p@2');
  expect(d.templateDiff).toContain('+Be brief.');
  expect(d.variables.map((c) => [c.name, c.change])).toEqual([
    ['name', 'CHANGED'],
    ['tone', 'ADDED'],
  ]);
  expect(d.parameters).toEqual([
    { field: 'maxTokens', change: 'ADDED', before: null, after: 64 },
    { field: 'temperature', change: 'CHANGED', before: 0.2, after: 0.7 },
  ]);
  expect(diffVersions(from, from).templateDiff).toBe('');
});
