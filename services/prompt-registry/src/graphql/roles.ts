import type { FieldRoles } from '@llmops/platform';

/** Readers read and render; editors change prompts; moving a protected alias needs admin (checked in the domain). */
export const roles: FieldRoles = {
  Query: { prompt: 'reader', prompts: 'reader', renderPrompt: 'reader', promptDiff: 'reader', similarPrompts: 'reader', auditLog: 'admin' },
  Mutation: { createPrompt: 'editor', createPromptVersion: 'editor', setPromptAlias: 'editor', archivePrompt: 'editor', archivePromptVersion: 'editor' },
};
