// Conversation memory: what a session contributes to the next prompt. The window keeps the newest
// messages, at most `windowMessages` of them and within `tokenBudget` tokens, dropping the oldest
// first; a message is never cut in half.
import type { ChatMessage } from './model';

export interface SessionSettings {
  windowMessages: number;
  tokenBudget: number;
}

export interface StoredMessage extends ChatMessage {
  /** Tokens of the message as counted when it was appended. */
  tokens: number;
}

/** The newest messages that fit the window, oldest first. */
export function windowOf(history: readonly StoredMessage[], settings: SessionSettings): StoredMessage[] {
  const kept: StoredMessage[] = [];
  let tokens = 0;
  for (let i = history.length - 1; i >= 0 && kept.length < settings.windowMessages; i--) {
    const m = history[i]!;
    if (tokens + m.tokens > settings.tokenBudget) break;
    tokens += m.tokens;
    kept.push(m);
  }
  return kept.reverse();
}

/** Sessions as the generation service and pipelines use them. */
export interface ConversationMemory {
  /** The session; NotFoundError when there is no such session in the project. */
  get(sessionId: string): Promise<unknown>;
  /** The session's windowed history; NotFoundError when there is no such session. */
  window(sessionId: string): Promise<ChatMessage[]>;
  /** InputError when a message is longer than `maxMessageChars`; NotFoundError when there is no such session. */
  append(sessionId: string, messages: ChatMessage[]): Promise<void>;
  /** The longest message (in characters) a session stores; undefined: no limit known up front. */
  readonly maxMessageChars?: number;
}
