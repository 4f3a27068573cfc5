import type { FieldRoles } from '@llmops/platform';

/** Generating spends the project's tokens: editors only; its budget is set by admins. */
export const roles: FieldRoles = {
  Query: { generationModels: 'reader', generation: 'reader', pipeline: 'reader', pipelines: 'reader', pipelineRun: 'reader', session: 'reader', tokenBudget: 'reader' },
  Mutation: { generate: 'editor', createPipeline: 'editor', runPipeline: 'editor', createSession: 'editor', appendToSession: 'editor', setTokenBudget: 'admin' },
};
