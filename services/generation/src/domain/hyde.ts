// HyDE (hypothetical document embeddings): the model writes passages that would answer a query;
// retrieval embeds them as documents and searches with them. Several passages at a temperature
// above zero smooth out one passage's quirks.
import { InputError } from '@llmops/platform';
import type { GenerateRequest } from './model';

export const hydeMaxQueryChars = 2_000;
export const hydeDefaults = { n: 4, maxTokens: 128, temperature: 0.7 };

const system =
  'You write passages for a search index. Answer with one factual paragraph, as it would appear in a document that answers the question. No preamble.';

export function hypotheticalDocumentsRequest(input: {
  query: string;
  n?: number;
  model: string | null;
  maxTokens?: number;
  temperature?: number;
}): { generate: GenerateRequest; n: number } {
  if (!input.query.trim() || input.query.length > hydeMaxQueryChars) {
    throw new InputError(`query: must be 1 to ${hydeMaxQueryChars} characters and not blank`, 'query');
  }
  return {
    n: input.n ?? hydeDefaults.n,
    generate: {
      source: {
        kind: 'inline',
        prompt: {
          kind: 'CHAT',
          messages: [
            { role: 'SYSTEM', content: system },
            { role: 'USER', content: 'Question: {{query}}' },
          ],
        },
      },
      variables: { query: input.query },
      model: input.model,
      parameters: { maxTokens: input.maxTokens ?? hydeDefaults.maxTokens, temperature: input.temperature ?? hydeDefaults.temperature },
      sessionId: null,
    },
  };
}
