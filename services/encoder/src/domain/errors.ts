// The encoder's business errors beyond the platform's catalog.
import { DomainError } from '@llmops/platform';

/** NOT_FOUND that also names the input field which referred to the missing thing. */
export class UnknownReferenceError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(kind: string, ref: string, field: string, known: string[]) {
    super(`${kind} not found: ${ref} (known: ${known.join(', ') || 'none'})`, { kind, ref, field, known });
  }
}
