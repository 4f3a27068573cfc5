import type { NewPrompt, NewPromptVersion, Page, Prompt, PromptVersion, VersionSelector } from './model';

/** Persistence of prompts and their versions. */
export interface PromptStore {
  /** Throws ConflictError when the name is taken. */
  createPrompt(input: NewPrompt): Promise<Prompt>;
  /** Numbers the version atomically and records its event; null when the prompt does not exist. */
  createVersion(input: NewPromptVersion): Promise<PromptVersion | null>;
  findPromptByName(name: string): Promise<Prompt | null>;
  findPromptById(id: string): Promise<Prompt | null>;
  /** Prompts ordered by name, after the name `after`. */
  listPrompts(first: number, after: string | null): Promise<Page<Prompt>>;
  listVersions(promptId: string): Promise<PromptVersion[]>;
  findVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion | null>;
  findVersionById(id: string): Promise<PromptVersion | null>;
}
