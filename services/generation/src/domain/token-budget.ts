// Per-project token budgets: a project may use so many tokens (prompt + completion) per UTC day.
// A call is admitted only when its worst case (prompt tokens + maxTokens, per completion) fits in
// what is left of the day; otherwise it is refused with RATE_LIMITED before any model runs.
// Concurrent calls are admitted against the usage recorded so far, so a project can overshoot by
// at most the calls in flight at once (each bounded by its maxTokens).
import { InputError, RateLimitedError } from '@llmops/platform';

export interface TokenUsageStore {
  /** Tokens the project used on the UTC day `day` (YYYY-MM-DD), and the budget an admin set for it (null: none). */
  read(day: string): Promise<{ usedToday: number; ownTokensPerDay: number | null }>;
  /** Sets the project's own budget; null removes it (the service default applies again). */
  setOwn(tokensPerDay: number | null, updatedBy: string): Promise<void>;
}

export interface TokenBudgetStatus {
  /** null: no budget. */
  tokensPerDay: number | null;
  /** Whether tokensPerDay is the project's own budget rather than the service default. */
  projectSpecific: boolean;
  usedToday: number;
  remainingToday: number | null;
  resetsAt: Date;
}

export const maxTokensPerDay = 1e12;

export class TokenBudget {
  constructor(
    private readonly store: TokenUsageStore,
    /** The service default for projects without their own budget; 0: none. */
    private readonly defaultTokensPerDay: number,
    private readonly projectId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async status(): Promise<TokenBudgetStatus> {
    const at = this.now();
    const { usedToday, ownTokensPerDay } = await this.store.read(utcDay(at));
    const tokensPerDay = ownTokensPerDay ?? (this.defaultTokensPerDay > 0 ? this.defaultTokensPerDay : null);
    return {
      tokensPerDay,
      projectSpecific: ownTokensPerDay !== null,
      usedToday,
      remainingToday: tokensPerDay === null ? null : Math.max(0, tokensPerDay - usedToday),
      resetsAt: nextUtcMidnight(at),
    };
  }

  /** Throws RateLimitedError when `tokens` more would go past the project's budget of the day. */
  async admit(tokens: number): Promise<void> {
    const s = await this.status();
    if (s.tokensPerDay === null || s.usedToday + tokens <= s.tokensPerDay) return;
    throw new RateLimitedError(
      `token budget exceeded: project ${this.projectId} has used ${s.usedToday} of its ${s.tokensPerDay} tokens today, and this call may use up to ${tokens}`,
      Math.max(1, Math.ceil((s.resetsAt.getTime() - this.now().getTime()) / 1000)),
      { budget: 'tokens', projectId: this.projectId, tokensPerDay: s.tokensPerDay, usedToday: s.usedToday, requestedTokens: tokens },
    );
  }

  async set(tokensPerDay: number | null, updatedBy: string): Promise<TokenBudgetStatus> {
    if (tokensPerDay !== null && (!Number.isInteger(tokensPerDay) || tokensPerDay < 1 || tokensPerDay > maxTokensPerDay)) {
      throw new InputError(`tokensPerDay: must be a whole number from 1 to ${maxTokensPerDay}, or null to use the service default`, 'tokensPerDay');
    }
    await this.store.setOwn(tokensPerDay, updatedBy);
    return this.status();
  }
}

export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

function nextUtcMidnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}
