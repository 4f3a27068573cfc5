export interface Prompt {
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface PromptVersion {
  id: string;
  promptId: string;
  promptName: string;
  number: number;
  template: string;
  commitMessage: string;
  author: string | null;
  createdAt: Date;
}

export interface NewPrompt {
  name: string;
  description: string | null;
  tags: string[];
}

export interface NewPromptVersion {
  promptName: string;
  template: string;
  commitMessage: string;
  author: string | null;
}

/** Which version of a prompt: an explicit number or the newest. */
export type VersionSelector = { kind: 'number'; number: number } | { kind: 'latest' };

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}
