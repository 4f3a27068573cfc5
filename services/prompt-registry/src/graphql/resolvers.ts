import { DateTimeScalar, InputError, JSONScalar, type Identity } from '@llmops/platform';
import type { Prompt, PromptAlias, PromptVersion } from '../domain/model';
import type { PromptService } from '../domain/prompt-service';
import type { RenderedPrompt } from '../domain/render';
import type { PromptSimilarity } from '../domain/similarity';
import { toNewVersion, toSelector, toVariables, type CreatePromptVersionInput, type PromptRefInput } from './inputs';

export interface Context {
  identity: Identity;
  prompts: PromptService;
  similarity: PromptSimilarity;
}

const encodeCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!name || encodeCursor(name) !== cursor) throw new InputError('after: not a cursor returned by this API', 'after');
  return name;
};

interface PromptsArgs {
  first: number;
  after?: string | null;
  tag?: string | null;
  nameContains?: string | null;
  includeArchived: boolean;
}

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    prompt: (_: unknown, args: { name: string }, ctx: Context) => ctx.prompts.getPrompt(args.name),
    prompts: async (_: unknown, args: PromptsArgs, ctx: Context) => {
      const page = await ctx.prompts.listPrompts(args.first, args.after ? decodeCursor(args.after) : null, {
        tag: args.tag ?? null,
        nameContains: args.nameContains ?? null,
        includeArchived: args.includeArchived,
      });
      const edges = page.items.map((node) => ({ cursor: encodeCursor(node.name), node }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
    renderPrompt: (_: unknown, args: { ref: PromptRefInput; variables?: unknown }, ctx: Context) =>
      ctx.prompts.render(args.ref.name, toSelector(args.ref), toVariables(args.variables)),
    similarPrompts: async (_: unknown, args: { text: string; k: number }, ctx: Context) => {
      const hits = await ctx.similarity.search(args.text, args.k, ctx.identity.projectId);
      const versions = await Promise.all(hits.map((h) => ctx.prompts.findVersionById(h.versionId)));
      return hits.flatMap((h, i) => (versions[i] ? [{ version: versions[i], score: h.score }] : []));
    },
    auditLog: (_: unknown, args: { first: number; before?: number | null }, ctx: Context) => ctx.prompts.auditLog(args.first, args.before ?? null),
    promptDiff: (_: unknown, args: { name: string; from: number; to: number }, ctx: Context) => ctx.prompts.diff(args.name, args.from, args.to),
  },
  Mutation: {
    createPrompt: (
      _: unknown,
      { input }: { input: { name: string; description?: string | null; tags?: string[] | null } },
      ctx: Context,
    ) => ctx.prompts.createPrompt({ name: input.name, description: input.description ?? null, tags: input.tags ?? [] }),
    createPromptVersion: (_: unknown, { input }: { input: CreatePromptVersionInput }, ctx: Context) => ctx.prompts.createVersion(toNewVersion(input)),
    setPromptAlias: (_: unknown, args: { promptName: string; alias: string; version: number; movedBy?: string | null }, ctx: Context) =>
      ctx.prompts.setAlias(args.promptName, args.alias, args.version, args.movedBy ?? null),
    archivePrompt: (_: unknown, args: { name: string }, ctx: Context) => ctx.prompts.archivePrompt(args.name),
    archivePromptVersion: (_: unknown, args: { promptName: string; version: number }, ctx: Context) =>
      ctx.prompts.archiveVersion(args.promptName, args.version),
  },
  Prompt: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.prompts.findPromptById(ref.id),
    versions: (prompt: Prompt, args: { first: number; after?: number | null }, ctx: Context) => ctx.prompts.listVersions(prompt.id, args.first, args.after ?? null),
    version: (prompt: Prompt, args: { number?: number | null; alias?: string | null }, ctx: Context) =>
      ctx.prompts.getVersion(prompt.name, toSelector({ version: args.number, alias: args.alias })),
    aliases: (prompt: Prompt, _: unknown, ctx: Context) => ctx.prompts.listAliases(prompt.id),
    aliasHistory: (prompt: Prompt, args: { alias?: string | null }, ctx: Context) => ctx.prompts.aliasHistory(prompt.id, args.alias ?? null),
  },
  PromptVersion: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.prompts.findVersionById(ref.id),
    prompt: (version: PromptVersion, _: unknown, ctx: Context) => ctx.prompts.getPrompt(version.promptName),
    kind: (version: PromptVersion) => version.body.kind,
    archived: (version: PromptVersion, _: unknown, ctx: Context) => ctx.prompts.isArchived(version),
    template: (version: PromptVersion) => (version.body.kind === 'TEXT' ? version.body.template : null),
    messages: (version: PromptVersion) => (version.body.kind === 'CHAT' ? version.body.messages : null),
    parent: (version: PromptVersion, _: unknown, ctx: Context) =>
      version.parentNumber === null ? null : ctx.prompts.getVersion(version.promptName, { kind: 'number', number: version.parentNumber }),
    aliases: async (version: PromptVersion, _: unknown, ctx: Context) =>
      (await ctx.prompts.listAliases(version.promptId)).filter((a) => a.versionId === version.id).map((a) => a.alias),
  },
  PromptAlias: {
    alias: (a: PromptAlias) => a.alias,
    version: (a: PromptAlias, _: unknown, ctx: Context) => ctx.prompts.getVersion(a.promptName, { kind: 'number', number: a.versionNumber }),
  },
  RenderedPrompt: {
    variables: (r: RenderedPrompt) => r.values,
    modelParameters: (r: RenderedPrompt) => r.version.modelParameters,
  },
};
