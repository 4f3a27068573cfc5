// Input rules for prompts and versions; a violation is an InputError naming the field.
import { z } from 'zod';
import { InputError } from '@llmops/platform';
import type { NewPrompt, NewPromptVersion } from './model';

export const limits = {
  nameLength: 200,
  descriptionLength: 2_000,
  tags: 32,
  tagLength: 64,
  templateLength: 100_000,
  commitMessageLength: 2_000,
  pageSize: 100,
} as const;

const name = z
  .string()
  .max(limits.nameLength, `must be at most ${limits.nameLength} characters`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must start with a letter or digit and contain only letters, digits, ".", "_", "/" and "-"');

const newPrompt = z.object({
  name,
  description: z.string().max(limits.descriptionLength, `must be at most ${limits.descriptionLength} characters`).nullable(),
  tags: z
    .array(z.string().min(1, 'must not be empty').max(limits.tagLength, `must be at most ${limits.tagLength} characters`))
    .max(limits.tags, `at most ${limits.tags} tags`)
    .transform((tags) => [...new Set(tags)]),
});

const newVersion = z.object({
  promptName: name,
  template: z
    .string()
    .min(1, 'must not be empty')
    .max(limits.templateLength, `must be at most ${limits.templateLength} characters`),
  commitMessage: z.string().max(limits.commitMessageLength, `must be at most ${limits.commitMessageLength} characters`),
  author: z.string().max(200).nullable(),
});

function check<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new InputError(`${field}: ${issue.message}`, field, {
    problems: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
  });
}

export const validateNewPrompt = (input: NewPrompt): NewPrompt => check(newPrompt, input);
export const validateNewVersion = (input: NewPromptVersion): NewPromptVersion => check(newVersion, input);
export const validatePageSize = (first: number): number => {
  if (!Number.isInteger(first) || first < 1 || first > limits.pageSize) {
    throw new InputError(`first: must be between 1 and ${limits.pageSize}`, 'first');
  }
  return first;
};
