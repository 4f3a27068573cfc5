// Strict rendering with typed variables, template syntax errors with their location, and diffs.
import { InputError } from '@llmops/platform';
import type { PromptVersion } from '../src/domain/model';
import { diffVersions } from '../src/domain/diff';
import { renderVersion } from '../src/domain/render';
import { validateNewVersion } from '../src/domain/validation';
import { textVersion } from './memory-store';

const base = textVersion('p', '');

function version(overrides: Partial<PromptVersion> = {}): PromptVersion {
  return {
    ...textVersion('p', 'Hello {{name}}'),
    id: 'v1',
    promptId: 'p1',
    number: 1,
    variables: [{ name: 'name', type: 'STRING', required: true }],
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

const text = (template: string, variables: Parameters<typeof validateNewVersion>[0]['variables'] = null) =>
  validateNewVersion({ ...base, body: { kind: 'TEXT', template }, variables });

test.each([
  ['a mustache with arguments (an unknown helper)', 'Hi {{name "x"}}', 'unknown helper "name"'],
  ['a mustache with a hash (an unknown helper)', '{{name style="short"}}', 'unknown helper "name"'],
  ['log, which the render turns off', '{{log x}}', 'unknown helper "log"'],
  ['an unknown helper in a sub-expression', '{{#if (shout x)}}y{{/if}}', 'unknown helper "shout"'],
  ['a block helper called inline', '{{if x}}', '"if" is a block'],
  ['a helper name used as a variable', 'Hi {{each}}', 'calls the each helper'],
  ['lookup with one argument', '{{lookup user}}', 'exactly two arguments'],
  ['a partial', 'Hi {{> foo}}', 'partials'],
  ['a partial block', '{{#> foo}}fallback{{/foo}}', 'partials'],
  ['a decorator', '{{* dec}}', 'decorators'],
  ['an inline partial', '{{#*inline "p"}}x{{/inline}}', 'decorators'],
  ['a block without its argument', '{{#each}}x{{/each}}', '{{#each}} takes exactly one argument'],
  ['a block with two arguments', '{{#if a b}}x{{/if}}', '{{#if}} takes exactly one argument'],
  ['../ above the top level', '{{#each items}}{{../../x}}{{/each}}', '"../../x" climbs above the top level'],
])('a template that cannot render is refused at creation: %s', (_, template, message) => {
  for (const variables of [null, [{ name: 'x', type: 'JSON' as const, required: false }]]) {
    const err = inputError(() => text(template, variables));
    expect(err.field).toBe('template');
    expect(err.message).toMatch(/^template: /);
    expect(err.message).toContain(message);
    expect(err.details).toMatchObject({ line: 1, column: expect.any(Number) });
  }
});

test('the refusal names the chat message or augmentation query', () => {
  const chat = inputError(() =>
    validateNewVersion({ ...base, body: { kind: 'CHAT', messages: [{ role: 'SYSTEM', content: 'ok' }, { role: 'USER', content: 'a\n  {{> footer}}' }] }, variables: null }),
  );
  expect(chat.field).toBe('messages.1.content');
  expect(chat.details).toMatchObject({ line: 2, column: 3 });
  expect(chat.message).toMatch(/^messages\.1\.content: partials .* at line 2, column 3$/);
  const step = { kind: 'RETRIEVE' as const, collection: 'docs', queryTemplate: '{{shout q}}', k: 3, outputVariable: 'articles' };
  expect(inputError(() => validateNewVersion({ ...base, body: { kind: 'TEXT', template: '{{q}}' }, variables: null, augmentation: [step] })).field).toBe(
    'augmentation.0.queryTemplate',
  );
});

test('inferred variables: each/with targets are JSON, if/unless tests optional, ../x and @root.x the outer variable', () => {
  const infer = (template: string) => text(template).variables;
  expect(infer('{{#each items}}{{../foo}}{{@root.bar}}{{title}}{{/each}}')).toEqual([
    { name: 'items', type: 'JSON', required: true },
    { name: 'foo', type: 'STRING', required: true },
    { name: 'bar', type: 'STRING', required: true },
  ]);
  expect(infer('{{#with user}}{{name}} {{#each ../tags as |t|}}{{t}}{{../../sep}}{{/each}}{{/with}} {{account.id}}')).toEqual([
    { name: 'user', type: 'JSON', required: true },
    { name: 'tags', type: 'JSON', required: true },
    { name: 'sep', type: 'STRING', required: true },
    { name: 'account', type: 'JSON', required: true },
  ]);
  // A value used only where a test of the same variable holds it truthy is optional.
  expect(infer('{{#if vip}}VIP {{/if}}{{#unless quiet}}!{{/unless}}{{#if note}}Note: {{note}}{{/if}}{{#unless hint}}{{else}}{{hint.text}}{{/unless}}')).toEqual([
    { name: 'vip', type: 'BOOLEAN', required: false },
    { name: 'quiet', type: 'BOOLEAN', required: false },
    { name: 'note', type: 'STRING', required: false },
    { name: 'hint', type: 'JSON', required: false },
  ]);
  // ...but not outside the guarded branch, nor when a field is read in the test itself.
  expect(infer('{{#if note}}x{{else}}{{note}}{{/if}} {{#if user.admin}}A{{/if}}')).toEqual([
    { name: 'note', type: 'STRING', required: true },
    { name: 'user', type: 'JSON', required: true },
  ]);
  expect(infer('{{lookup labels key}} {{#each (lookup groups key)}}{{this}}{{/each}}')).toEqual([
    { name: 'labels', type: 'JSON', required: true },
    { name: 'key', type: 'STRING', required: true },
    { name: 'groups', type: 'JSON', required: true },
  ]);
  // Uses across chat messages merge: a test in one message, a printed value in another.
  const chat = validateNewVersion({
    ...base,
    body: { kind: 'CHAT', messages: [{ role: 'SYSTEM', content: '{{#if tone}}Be {{tone}}.{{/if}}' }, { role: 'USER', content: '{{tone}}: {{#each docs}}{{this}}{{/each}}' }] },
    variables: null,
  });
  expect(chat.variables).toEqual([
    { name: 'tone', type: 'STRING', required: true },
    { name: 'docs', type: 'JSON', required: true },
  ]);
});

test('a version with inferred variables renders what its template promises', () => {
  const valid = text('{{#each items}}{{name}}{{../sep}}{{/each}}{{#if vip}}VIP{{/if}}');
  const v = version({ body: valid.body, variables: valid.variables });
  expect(renderVersion(v, { items: [{ name: 'a' }, { name: 'b' }], sep: ',' }).text).toBe('a,b,');
  expect(renderVersion(v, { items: [], sep: ',', vip: true }).text).toBe('VIP');
  // Passing the outer variable is not UNKNOWN, and a missing list is an error, not an empty render.
  expect(inputError(() => renderVersion(v, { sep: ',' })).details['problems']).toEqual([
    { variable: 'items', problem: 'MISSING', message: 'items: required json is missing' },
  ]);
});

test('declared variables win over inference but must still cover ../x', () => {
  expect(text('{{#each items}}{{this}}{{/each}}', [{ name: 'items', type: 'STRING', required: true }]).variables).toEqual([
    { name: 'items', type: 'STRING', required: true },
  ]);
  expect(inputError(() => text('{{#each items}}{{../foo}}{{/each}}', [{ name: 'items', type: 'JSON', required: true }])).details).toMatchObject({
    undeclared: ['foo'],
  });
});

test('stored versions are not re-validated: one created under the old inference renders as it did', () => {
  const v = version({
    body: { kind: 'TEXT', template: 'Hi {{name}}{{#if vip}}!{{/if}}{{#each items}}{{title}}{{/each}}' },
    variables: [
      { name: 'name', type: 'STRING', required: true },
      { name: 'vip', type: 'STRING', required: true },
      { name: 'items', type: 'STRING', required: true },
    ],
  });
  expect(renderVersion(v, { name: 'Ada', vip: 'yes', items: 'x' }).text).toBe('Hi Ada!');
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
