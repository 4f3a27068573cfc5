import { NotFoundError } from '@llmops/platform';
import type { NewPrompt, NewPromptVersion, Page, Prompt, PromptVersion, VersionSelector } from './model';
import type { PromptStore } from './ports';
import { validateNewPrompt, validateNewVersion, validatePageSize } from './validation';

export class PromptService {
  constructor(private readonly store: PromptStore) {}

  async createPrompt(input: NewPrompt): Promise<Prompt> {
    return this.store.createPrompt(validateNewPrompt(input));
  }

  async createVersion(input: NewPromptVersion): Promise<PromptVersion> {
    const valid = validateNewVersion(input);
    const version = await this.store.createVersion(valid);
    if (!version) throw new NotFoundError('Prompt', valid.promptName);
    return version;
  }

  async getPrompt(name: string): Promise<Prompt> {
    const prompt = await this.store.findPromptByName(name);
    if (!prompt) throw new NotFoundError('Prompt', name);
    return prompt;
  }

  findPromptById(id: string): Promise<Prompt | null> {
    return this.store.findPromptById(id);
  }

  async listPrompts(first: number, after: string | null): Promise<Page<Prompt>> {
    return this.store.listPrompts(validatePageSize(first), after);
  }

  listVersions(promptId: string): Promise<PromptVersion[]> {
    return this.store.listVersions(promptId);
  }

  async getVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion> {
    const version = await this.store.findVersion(promptName, selector);
    if (version) return version;
    if (!(await this.store.findPromptByName(promptName))) throw new NotFoundError('Prompt', promptName);
    throw new NotFoundError('PromptVersion', selector.kind === 'latest' ? `${promptName}@latest` : `${promptName}@${selector.number}`);
  }

  findVersionById(id: string): Promise<PromptVersion | null> {
    return this.store.findVersionById(id);
  }
}
