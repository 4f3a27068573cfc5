import type { FieldRoles } from '@llmops/platform';

export const roles: FieldRoles = {
  Query: { datasets: 'reader', evaluationRun: 'reader', evaluationRuns: 'reader', compareEvaluationRuns: 'reader' },
  Mutation: {
    createDataset: 'editor',
    addDatasetItems: 'editor',
    startEvaluationRun: 'editor',
    cancelEvaluationRun: 'editor',
    resumeEvaluationRun: 'editor',
    submitFeedback: 'editor',
    submitFeedbackBatch: 'editor',
  },
};
