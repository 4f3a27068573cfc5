import type { FieldRoles } from '@llmops/platform';

/** Query adapters are shared by every project that searches with them: training one is an admin's act. */
export const roles: FieldRoles = {
  Query: { embeddingModels: 'reader', embed: 'reader', queryAdapters: 'reader', adapterTrainingJob: 'reader' },
  Mutation: { trainQueryAdapter: 'admin' },
};
