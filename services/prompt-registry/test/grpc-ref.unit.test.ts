// gRPC refs are checked like GraphQL input: a prompt name no prompt can have (NUL, a lone
// surrogate, spaces) is INVALID_ARGUMENT naming ref.prompt_name, never a database error.
import { status } from '@grpc/grpc-js';
import { InputError, toServiceError } from '@llmops/platform';
import { parseRef } from '../src/grpc/prompt-registry.grpc';

const latest = { $case: 'latest', value: true } as const;

test.each([
  ['a NUL character', 'a\u0000b'],
  ['a lone surrogate', 'a\ud800b'],
  ['a space', 'a b'],
  ['201 characters', 'x'.repeat(201)],
])('a prompt name with %s is INVALID_ARGUMENT naming ref.prompt_name', (_, promptName) => {
  const err = (() => {
    try {
      parseRef({ promptName, selector: latest });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).field).toBe('ref.prompt_name');
  expect(toServiceError(err).code).toBe(status.INVALID_ARGUMENT);
});

test('a valid ref passes with its selector', () => {
  expect(parseRef({ promptName: 'team/answer-v2.1', selector: { $case: 'alias', value: 'production' } })).toEqual({
    promptName: 'team/answer-v2.1',
    selector: { kind: 'alias', alias: 'production' },
  });
  expect(() => parseRef({ promptName: '', selector: latest })).toThrow('ref.prompt_name is required');
});
