// Sessions: conversation history that generations and pipeline nodes read (windowed, within a
// token budget) and append to. Tokens are counted once, when a message is appended.
import { InputError, NotFoundError } from '@llmops/platform';
import { windowOf, type ConversationMemory, type SessionSettings, type StoredMessage } from './memory';
import type { ChatMessage } from './model';

export interface Session extends SessionSettings {
  id: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface SessionMessage extends StoredMessage {
  createdAt: Date;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  find(id: string): Promise<Session | null>;
  /** The newest `limit` messages, oldest first. */
  recent(sessionId: string, limit: number): Promise<StoredMessage[]>;
  /** Every message, oldest first. */
  all(sessionId: string): Promise<SessionMessage[]>;
  append(sessionId: string, messages: StoredMessage[]): Promise<void>;
}

export interface SessionLimits {
  maxWindowMessages: number;
  /** The largest token budget: the model's context. */
  maxTokenBudget: number;
  maxMessageChars: number;
}

export class SessionService implements ConversationMemory {
  constructor(
    private readonly store: SessionStore,
    private readonly countTokens: (text: string) => number,
    private readonly defaults: SessionSettings,
    private readonly limits: SessionLimits,
    private readonly newId: () => string,
  ) {}

  get maxMessageChars(): number {
    return this.limits.maxMessageChars;
  }

  async create(input: { windowMessages?: number | null; tokenBudget?: number | null; metadata?: Record<string, unknown> | null }): Promise<Session> {
    const windowMessages = input.windowMessages ?? this.defaults.windowMessages;
    const tokenBudget = input.tokenBudget ?? this.defaults.tokenBudget;
    if (!Number.isInteger(windowMessages) || windowMessages < 1 || windowMessages > this.limits.maxWindowMessages) {
      throw new InputError(`windowMessages: must be from 1 to ${this.limits.maxWindowMessages}`, 'windowMessages', { limit: this.limits.maxWindowMessages });
    }
    if (!Number.isInteger(tokenBudget) || tokenBudget < 1 || tokenBudget > this.limits.maxTokenBudget) {
      throw new InputError(`tokenBudget: must be from 1 to ${this.limits.maxTokenBudget}`, 'tokenBudget', { limit: this.limits.maxTokenBudget });
    }
    const session: Session = { id: this.newId(), windowMessages, tokenBudget, metadata: input.metadata ?? {}, createdAt: new Date() };
    await this.store.create(session);
    return session;
  }

  async get(id: string): Promise<Session> {
    const session = await this.store.find(id);
    if (!session) throw new NotFoundError('session', id);
    return session;
  }

  async window(sessionId: string): Promise<ChatMessage[]> {
    const session = await this.get(sessionId);
    const recent = await this.store.recent(sessionId, session.windowMessages);
    return windowOf(recent, session).map(({ role, content }) => ({ role, content }));
  }

  async append(sessionId: string, messages: ChatMessage[]): Promise<void> {
    await this.get(sessionId);
    messages.forEach((m, i) => {
      if (m.content.length > this.limits.maxMessageChars) {
        throw new InputError(`messages.${i}.content: at most ${this.limits.maxMessageChars} characters`, `messages.${i}.content`);
      }
    });
    await this.store.append(
      sessionId,
      messages.map((m) => ({ ...m, tokens: this.countTokens(m.content) })),
    );
  }

  messages(sessionId: string): Promise<SessionMessage[]> {
    return this.store.all(sessionId);
  }
}
