// The git-friendly file format of a prompt: one YAML (or JSON) file per prompt with all its
// versions and aliases. Field names match the GraphQL API.
import { z } from 'zod';

const variable = z.object({
  name: z.string(),
  type: z.enum(['STRING', 'NUMBER', 'BOOLEAN', 'ENUM', 'JSON']).default('STRING'),
  required: z.boolean().default(true),
  default: z.unknown().optional(),
  description: z.string().optional(),
  enumValues: z.array(z.string()).optional(),
});

const version = z
  .object({
    number: z.number().int().positive(),
    template: z.string().optional(),
    messages: z.array(z.object({ role: z.enum(['SYSTEM', 'USER', 'ASSISTANT']), content: z.string() })).optional(),
    variables: z.array(variable).optional(),
    modelParameters: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    augmentation: z
      .array(z.object({ kind: z.literal('RETRIEVE').default('RETRIEVE'), collection: z.string(), queryTemplate: z.string(), k: z.number().int(), outputVariable: z.string() }))
      .optional(),
    commitMessage: z.string().default(''),
    author: z.string().nullable().optional(),
  })
  .refine((v) => (v.template === undefined) !== (v.messages === undefined), 'exactly one of template and messages');

export const promptFile = z
  .object({
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    tags: z.array(z.string()).default([]),
    aliases: z.record(z.string(), z.number().int().positive()).default({}),
    versions: z.array(version).default([]),
  })
  .refine((f) => f.versions.every((v, i) => v.number === i + 1), 'versions must be numbered 1, 2, 3... in order');

export type PromptFile = z.infer<typeof promptFile>;
export type PromptFileVersion = PromptFile['versions'][number];

/** The file name a prompt is exported to: its name with "/" as "__" (names may contain "/"). */
export const fileNameOf = (promptName: string, extension: 'yaml' | 'json') => `${promptName.replace(/\//g, '__')}.${extension}`;

/**
 * Whether a file's version has the registry's content (number, author and commit message aside).
 * A file that leaves variables out lets the registry infer them, so they are not compared then.
 * Objects are compared whatever the order of their keys: the registry stores metadata and JSON
 * defaults as jsonb, which keeps its own key order, not the file's.
 */
export function sameContent(file: PromptFileVersion, registry: PromptFileVersion): boolean {
  const withVariables = file.variables !== undefined;
  return contentOf(file, withVariables) === contentOf(registry, withVariables);
}

/** JSON text of `value` with every object's keys sorted, so equal content gives equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function contentOf(v: PromptFileVersion, withVariables: boolean): string {
  return canonicalJson({
    template: v.template ?? null,
    messages: v.messages ?? null,
    variables: withVariables
      ? (v.variables ?? []).map((x) => ({ ...x, default: x.default ?? null, description: x.description ?? null, enumValues: x.enumValues ?? null }))
      : null,
    modelParameters: Object.fromEntries(Object.entries(v.modelParameters ?? {}).filter(([, x]) => x !== null && x !== undefined).sort()),
    metadata: v.metadata ?? {},
    augmentation: v.augmentation ?? [],
  });
}
