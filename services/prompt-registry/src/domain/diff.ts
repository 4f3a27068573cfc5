// Differences between two versions: a unified diff of the templates (or chat messages) plus the
// changes of variables, model parameters, metadata and augmentation, as structured data.
import { createTwoFilesPatch } from 'diff';
import type { PromptBody, PromptVersion, VariableSpec } from './model';

export type ChangeKind = 'ADDED' | 'REMOVED' | 'CHANGED';

export interface VariableChange {
  name: string;
  change: ChangeKind;
  before: VariableSpec | null;
  after: VariableSpec | null;
}

export interface FieldChange {
  field: string;
  change: ChangeKind;
  before: unknown;
  after: unknown;
}

export interface VersionDiff {
  from: PromptVersion;
  to: PromptVersion;
  /** Unified diff of the body as text (chat messages as "[ROLE]" blocks); empty when equal. */
  templateDiff: string;
  kindChanged: boolean;
  variables: VariableChange[];
  parameters: FieldChange[];
  metadata: FieldChange[];
  augmentationChanged: boolean;
}

export function bodyAsText(body: PromptBody): string {
  const text = body.kind === 'TEXT' ? body.template : body.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((field): FieldChange[] => {
    const has = [field in before && before[field] !== undefined, field in after && after[field] !== undefined];
    if (has[0] && has[1]) return same(before[field], after[field]) ? [] : [{ field, change: 'CHANGED', before: before[field], after: after[field] }];
    if (has[0]) return [{ field, change: 'REMOVED', before: before[field], after: null }];
    if (has[1]) return [{ field, change: 'ADDED', before: null, after: after[field] }];
    return [];
  });
}

export function diffVersions(from: PromptVersion, to: PromptVersion): VersionDiff {
  const a = bodyAsText(from.body);
  const b = bodyAsText(to.body);
  const label = (v: PromptVersion) => `${v.promptName}@${v.number}`;
  const templateDiff = a === b ? '' : createTwoFilesPatch(label(from), label(to), a, b, undefined, undefined, { context: 3 });
  const names = [...new Set([...from.variables, ...to.variables].map((v) => v.name))];
  const variables = names.flatMap((name): VariableChange[] => {
    const before = from.variables.find((v) => v.name === name) ?? null;
    const after = to.variables.find((v) => v.name === name) ?? null;
    if (before && after) return same(before, after) ? [] : [{ name, change: 'CHANGED', before, after }];
    return [{ name, change: before ? 'REMOVED' : 'ADDED', before, after }];
  });
  return {
    from,
    to,
    templateDiff,
    kindChanged: from.body.kind !== to.body.kind,
    variables,
    parameters: fieldChanges(from.modelParameters as Record<string, unknown>, to.modelParameters as Record<string, unknown>),
    metadata: fieldChanges(from.metadata, to.metadata),
    augmentationChanged: !same(from.augmentation, to.augmentation),
  };
}
