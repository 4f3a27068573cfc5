// Rendering of inline prompts and augmentation query templates: strict {{variable}} and
// {{object.field}} substitution, nothing escaped. A missing value is an error that lists every
// missing variable at once. Registered prompts are rendered by the prompt registry instead.
import { InputError } from '@llmops/platform';
import type { ChatMessage, InlinePrompt } from './model';

const placeholder = /\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}?\}\}/g;

/** The variable paths a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(placeholder)].map((m) => m[1]!))];
}

function lookup(values: Record<string, unknown>, path: string): { found: boolean; value: unknown } {
  let current: unknown = values;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return { found: false, value: undefined };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: current !== undefined && current !== null, value: current };
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join('\n');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function checkSyntax(template: string, field: string): void {
  const stripped = template.replace(placeholder, '');
  const at = stripped.indexOf('{{');
  if (at >= 0) throw new InputError(`${field}: "{{" must open a {{variable}} placeholder`, field, { near: stripped.slice(at, at + 40) });
}

/** Renders one template; throws InputError naming every missing variable. */
export function renderTemplate(template: string, values: Record<string, unknown>, field = 'template'): string {
  checkSyntax(template, field);
  const missing = templateVariables(template).filter((v) => !lookup(values, v).found);
  if (missing.length) {
    throw new InputError(`${field}: missing variable(s): ${missing.join(', ')}`, 'variables', { missing, problems: missing.map((v) => `${v}: required`) });
  }
  return template.replace(placeholder, (_, path: string) => stringify(lookup(values, path).value));
}

/** An inline prompt as the messages sent to the model (a text template is one user message). */
export function renderInlinePrompt(prompt: InlinePrompt, values: Record<string, unknown>): ChatMessage[] {
  if (prompt.kind === 'TEXT') return [{ role: 'USER', content: renderTemplate(prompt.template, values) }];
  const missing = new Set(prompt.messages.flatMap((m) => templateVariables(m.content).filter((v) => !lookup(values, v).found)));
  if (missing.size) {
    const list = [...missing];
    throw new InputError(`messages: missing variable(s): ${list.join(', ')}`, 'variables', { missing: list, problems: list.map((v) => `${v}: required`) });
  }
  return prompt.messages.map((m, i) => ({ role: m.role, content: renderTemplate(m.content, values, `messages.${i}.content`) }));
}
