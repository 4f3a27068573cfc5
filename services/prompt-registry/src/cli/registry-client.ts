// The CLI talks to the registry through the public GraphQL API, like any other client.
import { credentialHeaders } from '@llmops/platform';
import type { PromptFile, PromptFileVersion } from './prompt-file';

export class RegistryClient {
  constructor(private readonly url: string) {}

  private async call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', ...credentialHeaders() }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    if (body.errors?.length) {
      const e = body.errors[0]!;
      throw Object.assign(new Error(e.message), { code: e.extensions?.code });
    }
    return body.data as T;
  }

  /** Every prompt's name, archived ones too (an export leaves nothing out). */
  async listNames(): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { prompts: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await this.call(
        `query($after: String) { prompts(first: 100, after: $after, includeArchived: true) { edges { node { name } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      names.push(...page.prompts.edges.map((e) => e.node.name));
      if (!page.prompts.pageInfo.hasNextPage) return names;
      after = page.prompts.pageInfo.endCursor;
    }
  }

  /** The prompt as a file, or null when it does not exist. Its versions come page by page. */
  async read(name: string): Promise<PromptFile | null> {
    const fetchPage = (after: number | null) => this.call<{ prompt: RemotePrompt }>(READ_PROMPT, { name, first: versionPageSize, after });
    try {
      const { prompt } = await fetchPage(null);
      for (let page = prompt.versions; page.length === versionPageSize; ) {
        const after = page.at(-1)!.number;
        page = (await fetchPage(after)).prompt.versions;
        // A registry that ignored `after` would hand the same page forever.
        if (page.some((v) => v.number <= after)) throw new Error(`the registry answered versions numbered ${after} or below when asked for those after ${after}`);
        prompt.versions.push(...page);
      }
      return toFile(prompt);
    } catch (err) {
      if ((err as { code?: string }).code === 'NOT_FOUND') return null;
      throw err;
    }
  }

  async createPrompt(file: PromptFile): Promise<void> {
    await this.call(`mutation($input: CreatePromptInput!) { createPrompt(input: $input) { id } }`, {
      input: { name: file.name, description: file.description ?? null, tags: file.tags },
    });
  }

  async createVersion(promptName: string, v: PromptFileVersion): Promise<number> {
    const data = await this.call<{ createPromptVersion: { number: number } }>(
      `mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { number } }`,
      {
        input: {
          promptName,
          template: v.template,
          messages: v.messages,
          variables: v.variables,
          modelParameters: v.modelParameters,
          metadata: v.metadata,
          augmentation: v.augmentation,
          commitMessage: v.commitMessage,
          author: v.author ?? null,
        },
      },
    );
    return data.createPromptVersion.number;
  }

  async setAlias(promptName: string, alias: string, version: number): Promise<void> {
    await this.call(`mutation($n: String!, $a: String!, $v: Int!) { setPromptAlias(promptName: $n, alias: $a, version: $v, movedBy: "prompts-cli") { alias } }`, {
      n: promptName,
      a: alias,
      v: version,
    });
  }
}

/**
 * Versions per request: a page of every field of a version costs about 96 each against the
 * gateway's query cost limit (GRAPHQL_MAX_COST, 5,000 by default), so 40 leave room.
 */
export const versionPageSize = 40;

/** A prompt (as of its first page) with a page of its versions, numbered above `after`. */
export const READ_PROMPT = `query($name: String!, $first: Int!, $after: Int) { prompt(name: $name) {
  name description tags aliases { alias version { number } }
  versions(first: $first, after: $after) { number template messages { role content } variables { name type required default description enumValues }
    modelParameters { model temperature maxTokens topP stop seed } metadata
    augmentation { kind collection queryTemplate k outputVariable } commitMessage author } } }`;

interface RemotePrompt {
  name: string;
  description: string | null;
  tags: string[];
  aliases: Array<{ alias: string; version: { number: number } }>;
  versions: Array<Omit<PromptFileVersion, 'template' | 'messages' | 'author'> & { template: string | null; messages: PromptFileVersion['messages'] | null; author: string | null }>;
}

const compact = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;

function toFile(p: RemotePrompt): PromptFile {
  return {
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    tags: p.tags,
    aliases: Object.fromEntries(p.aliases.map((a) => [a.alias, a.version.number])),
    versions: p.versions.map((v) => ({
      number: v.number,
      ...(v.template !== null ? { template: v.template } : { messages: v.messages ?? [] }),
      variables: (v.variables ?? []).map((x) => compact(x) as NonNullable<PromptFileVersion['variables']>[number]),
      modelParameters: compact(v.modelParameters ?? {}),
      metadata: v.metadata ?? {},
      augmentation: v.augmentation ?? [],
      commitMessage: v.commitMessage,
      ...(v.author ? { author: v.author } : {}),
    })),
  };
}
