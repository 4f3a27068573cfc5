// Retrieval's business errors beyond the platform's catalog.
import { DomainError, InputError } from '@llmops/platform';

/** NOT_FOUND that also names the input field which referred to the missing thing. */
export class UnknownReferenceError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(kind: string, ref: string, field: string, known?: string[]) {
    super(`${kind} not found: ${ref}${known ? ` (known: ${known.join(', ') || 'none'})` : ''}`, { kind, ref, field, ...(known ? { known } : {}) });
  }
}

/** The encoder refused one of the texts it was given (blank, too long for it). */
export class EncoderRejection extends InputError {
  constructor(message: string, readonly textIndex: number | null) {
    super(message, textIndex === null ? 'texts' : `texts.${textIndex}`);
  }
}

/**
 * The encoder no longer serves what the collection was built with: another model or dimensions
 * answered, or the document tower's probe embedding moved. Searching or adding documents would
 * compare vectors from different spaces; the collection has to be rebuilt.
 */
export class EncoderMismatchError extends DomainError {
  readonly code = 'CONFLICT' as const;
  constructor(collection: string, problem: string) {
    super(`collection ${collection}: ${problem}; re-create the collection and ingest its documents again`, { collection, field: 'collection' });
  }
}

/** HYDE asked for while no generation service is configured. */
export class HydeUnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(reason: string) {
    super(`HYDE needs the generation service: ${reason}`, { dependency: 'generation', field: 'mode' });
  }
}
