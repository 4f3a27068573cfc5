import { DateTimeScalar, InputError } from '@llmops/platform';
import type { Prompt, PromptVersion } from '../domain/model';
import type { PromptService } from '../domain/prompt-service';

export interface Context {
  prompts: PromptService;
}

const encodeCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!name || encodeCursor(name) !== cursor) throw new InputError('after: not a cursor returned by this API', 'after');
  return name;
};

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    prompt: (_: unknown, args: { name: string }, ctx: Context) => ctx.prompts.getPrompt(args.name),
    prompts: async (_: unknown, args: { first: number; after?: string | null }, ctx: Context) => {
      const page = await ctx.prompts.listPrompts(args.first, args.after ? decodeCursor(args.after) : null);
      const edges = page.items.map((node) => ({ cursor: encodeCursor(node.name), node }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  },
  Mutation: {
    createPrompt: (
      _: unknown,
      { input }: { input: { name: string; description?: string | null; tags?: string[] | null } },
      ctx: Context,
    ) => ctx.prompts.createPrompt({ name: input.name, description: input.description ?? null, tags: input.tags ?? [] }),
    createPromptVersion: (
      _: unknown,
      { input }: { input: { promptName: string; template: string; commitMessage: string; author?: string | null } },
      ctx: Context,
    ) =>
      ctx.prompts.createVersion({
        promptName: input.promptName,
        template: input.template,
        commitMessage: input.commitMessage,
        author: input.author ?? null,
      }),
  },
  Prompt: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.prompts.findPromptById(ref.id),
    versions: (prompt: Prompt, _: unknown, ctx: Context) => ctx.prompts.listVersions(prompt.id),
    version: (prompt: Prompt, args: { number?: number | null }, ctx: Context) =>
      ctx.prompts.getVersion(prompt.name, args.number == null ? { kind: 'latest' } : { kind: 'number', number: args.number }),
  },
  PromptVersion: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.prompts.findVersionById(ref.id),
    prompt: (version: PromptVersion, _: unknown, ctx: Context) => ctx.prompts.getPrompt(version.promptName),
  },
};
