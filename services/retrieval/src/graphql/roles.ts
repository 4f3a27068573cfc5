import type { FieldRoles } from '@llmops/platform';

/** Deleting a collection drops its index and every document in it: admins only. */
export const roles: FieldRoles = {
  Query: { collections: 'reader', collection: 'reader', document: 'reader', ingestionJob: 'reader', search: 'reader' },
  Mutation: { createCollection: 'editor', deleteCollection: 'admin', ingestDocuments: 'editor' },
};
