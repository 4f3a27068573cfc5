// GraphQL inputs to domain requests: exactly one prompt source, a variables object.
import { z } from 'zod';
import { InputError } from '@llmops/platform';
import type { ChatMessage, GenerateRequest, ParameterOverrides, PromptSource } from '../domain/model';

export interface GenerateInput {
  prompt?: { name: string; version?: number | null; alias?: string | null } | null;
  template?: string | null;
  messages?: ChatMessage[] | null;
  variables?: unknown;
  model?: string | null;
  parameters?: ParameterOverrides | null;
  sessionId?: string | null;
}

export function toSource(input: Pick<GenerateInput, 'prompt' | 'template' | 'messages'>, field = ''): PromptSource {
  const given = [input.prompt, input.template, input.messages].filter((x) => x !== undefined && x !== null).length;
  if (given !== 1) throw new InputError(`${field}set exactly one of prompt, template and messages`, `${field}prompt`);
  if (input.prompt) {
    const { name, version, alias } = input.prompt;
    if (version != null && alias != null) throw new InputError(`${field}prompt: give version or alias, not both`, `${field}prompt`);
    const selector = version != null ? { kind: 'number' as const, number: version } : alias != null ? { kind: 'alias' as const, alias } : { kind: 'latest' as const };
    return { kind: 'registered', promptName: name, selector };
  }
  if (input.template != null) {
    if (!input.template.trim()) throw new InputError(`${field}template: must not be empty`, `${field}template`);
    return { kind: 'inline', prompt: { kind: 'TEXT', template: input.template } };
  }
  const messages = input.messages!;
  if (messages.length === 0) throw new InputError(`${field}messages: give at least one message`, `${field}messages`);
  return { kind: 'inline', prompt: { kind: 'CHAT', messages: messages.map((m) => ({ role: m.role, content: m.content })) } };
}

export function toVariables(value: unknown, field = 'variables'): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${field}: must be a JSON object`, field);
  return value as Record<string, unknown>;
}

export function toGenerateRequest(input: GenerateInput): GenerateRequest {
  return {
    source: toSource(input),
    variables: toVariables(input.variables),
    model: input.model ?? null,
    parameters: input.parameters ?? {},
    sessionId: input.sessionId ?? null,
  };
}

const messageSchema = z.object({ role: z.enum(['SYSTEM', 'USER', 'ASSISTANT']), content: z.string() }).strict();

/** The JSON form of GenerateInput (the streaming endpoint's body), checked as GraphQL would check it. */
export const generateInputSchema = z
  .object({
    prompt: z
      .object({ name: z.string().min(1), version: z.number().int().positive().nullish(), alias: z.string().min(1).nullish() })
      .strict()
      .nullish(),
    template: z.string().nullish(),
    messages: z.array(messageSchema).nullish(),
    variables: z.record(z.string(), z.unknown()).nullish(),
    model: z.string().min(1).nullish(),
    parameters: z
      .object({
        maxTokens: z.number().int().nullish(),
        temperature: z.number().nullish(),
        topP: z.number().nullish(),
        seed: z.number().int().nullish(),
        stop: z.array(z.string()).nullish(),
      })
      .strict()
      .nullish(),
    sessionId: z.string().min(1).nullish(),
  })
  .strict();

/** A JSON request as a domain request; InputError names the first offending field. */
export function parseGenerateInput(value: unknown): GenerateRequest {
  const parsed = generateInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'body';
    throw new InputError(`${field}: ${issue.message}`, field);
  }
  return toGenerateRequest(parsed.data);
}
