// Input rules for prompts and versions; a violation is an InputError naming the field.
import { z } from 'zod';
import { InputError } from '@llmops/platform';
import type { AugmentationStep, NewPrompt, NewPromptVersion, PromptBody, ValidVersion } from './model';
import { mergeUse, referencedVariables, templateVariables, type VariableUse } from './template';
import { resolveSpecs } from './variables';

export const limits = {
  nameLength: 200,
  descriptionLength: 2_000,
  tags: 32,
  tagLength: 64,
  templateLength: 100_000,
  messages: 100,
  variables: 100,
  commitMessageLength: 2_000,
  metadataBytes: 16_384,
  augmentationSteps: 8,
  retrieveK: 100,
  renderValuesBytes: 1_048_576,
  aliasLength: 64,
  /** author of a version, movedBy of an alias move: a person's name or handle. */
  personLength: 200,
  pageSize: 100,
} as const;

const max = (n: number) => `must be at most ${n} characters`;

export const promptName = z
  .string()
  .min(1, 'must not be empty')
  .max(limits.nameLength, max(limits.nameLength))
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'must start with a letter or digit and contain only letters, digits, ".", "_", "/" and "-"');

export const aliasName = z
  .string()
  .min(1, 'must not be empty')
  .max(limits.aliasLength, max(limits.aliasLength))
  .regex(/^[a-z][a-z0-9_-]*$/, 'must start with a lowercase letter and contain only lowercase letters, digits, "_" and "-"')
  .refine((a) => a !== 'latest', '"latest" is reserved for the newest version');

const newPrompt = z.object({
  name: promptName,
  description: z.string().max(limits.descriptionLength, max(limits.descriptionLength)).nullable(),
  tags: z
    .array(z.string().min(1, 'must not be empty').max(limits.tagLength, max(limits.tagLength)))
    .max(limits.tags, `at most ${limits.tags} tags`)
    .transform((tags) => [...new Set(tags)]),
});

const template = z.string().min(1, 'must not be empty').max(limits.templateLength, max(limits.templateLength));

const body = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('TEXT'), template }),
  z.object({
    kind: z.literal('CHAT'),
    messages: z
      .array(z.object({ role: z.enum(['SYSTEM', 'USER', 'ASSISTANT']), content: template }))
      .min(1, 'at least one message')
      .max(limits.messages, `at most ${limits.messages} messages`),
  }),
]);

const jsonSize = (v: unknown) => Buffer.byteLength(JSON.stringify(v ?? null), 'utf8');

const newVersion = z.object({
  promptName,
  body,
  variables: z
    .array(
      z.object({
        name: z.string(),
        type: z.enum(['STRING', 'NUMBER', 'BOOLEAN', 'ENUM', 'JSON']),
        required: z.boolean(),
        default: z.unknown().optional(),
        description: z.string().max(1_000, max(1_000)).optional(),
        enumValues: z.array(z.string().min(1).max(200)).max(100).optional(),
      }),
    )
    .max(limits.variables, `at most ${limits.variables} variables`)
    .nullable(),
  modelParameters: z.object({
    model: z.string().min(1).max(200).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    topP: z.number().gt(0).max(1).optional(),
    stop: z.array(z.string().min(1).max(100)).max(16).optional(),
    seed: z.number().int().optional(),
  }),
  metadata: z.record(z.string(), z.unknown()).refine((m) => jsonSize(m) <= limits.metadataBytes, `must be at most ${limits.metadataBytes} bytes of JSON`),
  augmentation: z
    .array(
      z.object({
        kind: z.literal('RETRIEVE'),
        collection: z.string().min(1).max(200),
        queryTemplate: template,
        k: z.number().int().min(1).max(limits.retrieveK),
        outputVariable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid variable name'),
      }),
    )
    .max(limits.augmentationSteps, `at most ${limits.augmentationSteps} steps`),
  commitMessage: z.string().max(limits.commitMessageLength, max(limits.commitMessageLength)),
  author: z.string().max(limits.personLength, max(limits.personLength)).nullable(),
  parentNumber: z.number().int().positive().nullable(),
});

/** Parses `input`; the first problem becomes an InputError whose field is the input's own field path. */
export function check<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // The body is one GraphQL input level up: body.template -> template, body.messages.0 -> messages.0.
  const fieldOf = (path: PropertyKey[]) =>
    [prefix, ...path.map(String)]
      .filter(Boolean)
      .join('.')
      .replace(/^body\./, '');
  const issue = result.error.issues[0]!;
  const field = fieldOf(issue.path);
  throw new InputError(`${field}: ${issue.message}`, field, {
    problems: result.error.issues.map((i) => ({ field: fieldOf(i.path), message: i.message })),
  });
}

export const validateNewPrompt = (input: NewPrompt): NewPrompt => check(newPrompt, input);

/** Templates of a body, each with the input field it came from. */
export function templatesOf(b: PromptBody): Array<{ field: string; template: string }> {
  return b.kind === 'TEXT'
    ? [{ field: 'template', template: b.template }]
    : b.messages.map((m, i) => ({ field: `messages.${i}.content`, template: m.content }));
}

/** Validates a new version: shapes and sizes, templates (syntax, and only what the render provides), variables against templates, augmentation. */
export function validateNewVersion(input: NewPromptVersion): ValidVersion {
  const v = check(newVersion, input) as NewPromptVersion;
  const augmentation: AugmentationStep[] = v.augmentation;
  const provided = augmentation.map((a) => a.outputVariable);
  const duplicateOutput = provided.find((name, i) => provided.indexOf(name) !== i);
  if (duplicateOutput) {
    throw new InputError(`augmentation: two steps write the variable "${duplicateOutput}"`, 'augmentation', { variable: duplicateOutput });
  }
  const uses: VariableUse[] = [];
  for (const { field, template: t } of templatesOf(v.body)) {
    for (const use of templateVariables(t, field)) mergeUse(uses, use);
  }
  const variables = resolveSpecs(v.variables, uses, provided);
  augmentation.forEach((step, i) => {
    const field = `augmentation.${i}.queryTemplate`;
    const used = referencedVariables(step.queryTemplate, field);
    const unknown = used.filter((name) => !variables.some((s) => s.name === name));
    if (unknown.length) {
      throw new InputError(`${field}: the query uses ${unknown.join(', ')}, which are not variables of this version`, field, { undeclared: unknown });
    }
  });
  return { ...v, variables };
}

export const validateAlias = (alias: string): string => check(aliasName, alias, 'alias');

const movedBy = z.string().max(limits.personLength, max(limits.personLength)).nullable();
/** Who moved an alias: stored in its history and carried by prompt.alias.moved.v1, so bounded like author. */
export const validateMovedBy = (value: string | null): string | null => check(movedBy, value, 'movedBy');

export function validatePageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > limits.pageSize) {
    throw new InputError(`first: must be between 1 and ${limits.pageSize}`, 'first');
  }
  return first;
}

export function validateRenderValues(values: Record<string, unknown>): Record<string, unknown> {
  if (jsonSize(values) > limits.renderValuesBytes) {
    throw new InputError(`variables: must be at most ${limits.renderValuesBytes} bytes of JSON`, 'variables', { limitBytes: limits.renderValuesBytes });
  }
  return values;
}
