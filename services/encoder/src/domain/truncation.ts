// Inputs longer than a model's maximum are cut, keeping [CLS] and the closing [SEP].
import type { ModelInput, Tokenizer } from './ports';

/**
 * Tokenizes `text` and cuts it to `maxTokens` (special tokens included). Very long texts are
 * tokenized by a whitespace-bounded prefix first, so that a 64 KiB text does not hold the event
 * loop: when that prefix alone overflows the limit, the full text would too, with the same first
 * tokens (a cut at whitespace is a word boundary for BERT's pre-tokenizer).
 */
export function tokenizeTruncated(tokenizer: Tokenizer, text: string, maxTokens: number): ModelInput {
  const window = maxTokens * 12;
  if (text.length > window) {
    const cut = lastWhitespace(text, window);
    if (cut > window / 2) {
      const prefixIds = tokenizer.encode(text.slice(0, cut));
      if (prefixIds.length > maxTokens) return cutTo(tokenizer, prefixIds, maxTokens);
    }
  }
  const ids = tokenizer.encode(text);
  return ids.length > maxTokens ? cutTo(tokenizer, ids, maxTokens) : { text, ids, truncated: false };
}

function cutTo(tokenizer: Tokenizer, ids: number[], maxTokens: number): ModelInput {
  const kept = [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]!];
  return { text: tokenizer.decode(kept), ids: kept, truncated: true };
}

function lastWhitespace(text: string, before: number): number {
  for (let i = before; i > 0; i--) if (/\s/.test(text[i]!)) return i;
  return -1;
}
