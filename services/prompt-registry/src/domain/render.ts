// Rendering a version: values are checked against the typed variables (defaults applied), then
// every template of the body is rendered in strict mode.
import type { ChatMessage, PromptVersion, VariableSpec } from './model';
import { renderTemplate } from './template';
import { validateRenderValues } from './validation';
import { resolveValues } from './variables';

export interface RenderedPrompt {
  version: PromptVersion;
  text: string | null;
  messages: ChatMessage[] | null;
  /** The values used, defaults included. */
  values: Record<string, unknown>;
}

/** Variables a caller must supply: the declared ones plus each augmentation step's output. */
export function renderVariables(version: PromptVersion): VariableSpec[] {
  return [
    ...version.variables,
    ...version.augmentation.map((step) => ({
      name: step.outputVariable,
      type: 'JSON' as const,
      required: true,
      description: `documents retrieved from collection "${step.collection}" (augmentation)`,
    })),
  ];
}

export function renderVersion(version: PromptVersion, given: Record<string, unknown>): RenderedPrompt {
  const values = resolveValues(renderVariables(version), validateRenderValues(given));
  if (version.body.kind === 'TEXT') {
    return { version, text: renderTemplate(version.body.template, values, 'template'), messages: null, values };
  }
  const messages = version.body.messages.map((m, i) => ({ role: m.role, content: renderTemplate(m.content, values, `messages.${i}.content`) }));
  return { version, text: null, messages, values };
}
