import { DateTimeScalar, JSONScalar, NotFoundError, type Identity } from '@llmops/platform';
import type { ChatMessage, Generation } from '../domain/model';
import type { NodeRun, Pipeline, PipelineRun } from '../domain/pipeline-model';
import type { Session } from '../domain/session-service';
import type { ProjectServices } from '../project-services';
import { toGenerateRequest, toVariables, type GenerateInput } from './inputs';
import { fromNode, toNewPipeline, type CreatePipelineInput } from './pipeline-inputs';

/** The caller's project's services (see project-services.ts). */
export interface Context extends ProjectServices {
  identity: Identity;
  /** Aborted near the end of the shutdown drain: in-flight generations stop and are recorded as cancelled. */
  signal: AbortSignal;
}

/** Messages as one text: the rendered prompt a person reads. */
export const renderedPromptOf = (g: Generation) => g.renderedMessages?.map((m) => `[${m.role}]\n${m.content}`).join('\n\n') ?? null;

const found = async <T>(p: Promise<T | null>, kind: string, id: string): Promise<T> => {
  const x = await p;
  if (!x) throw new NotFoundError(kind, id);
  return x;
};

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    generationModels: (_: unknown, __: unknown, ctx: Context) => ctx.generations.router.models(),
    generation: (_: unknown, args: { id: string }, ctx: Context) => found(ctx.generations.findById(args.id), 'generation', args.id),
    pipeline: (_: unknown, args: { name: string }, ctx: Context) => ctx.pipelines.get(args.name),
    pipelines: (_: unknown, __: unknown, ctx: Context) => ctx.pipelines.list(),
    pipelineRun: (_: unknown, args: { id: string }, ctx: Context) => ctx.pipelines.getRun(args.id),
    session: (_: unknown, args: { id: string }, ctx: Context) => ctx.sessions.get(args.id),
    tokenBudget: (_: unknown, __: unknown, ctx: Context) => ctx.budget.status(),
  },
  Mutation: {
    generate: (_: unknown, { input }: { input: GenerateInput }, ctx: Context) =>
      ctx.generations.generate(toGenerateRequest(input), { signal: ctx.signal }),
    createPipeline: (_: unknown, { input }: { input: CreatePipelineInput }, ctx: Context) => ctx.pipelines.create(toNewPipeline(input), ctx.signal),
    runPipeline: (_: unknown, args: { name: string; inputs?: unknown; sessionId?: string | null }, ctx: Context) =>
      ctx.pipelines.run(args.name, toVariables(args.inputs, 'inputs'), args.sessionId ?? null, ctx.signal),
    createSession: (
      _: unknown,
      { input }: { input?: { windowMessages?: number | null; tokenBudget?: number | null; metadata?: unknown } | null },
      ctx: Context,
    ) => ctx.sessions.create({ windowMessages: input?.windowMessages, tokenBudget: input?.tokenBudget, metadata: toVariables(input?.metadata, 'metadata') }),
    appendToSession: async (_: unknown, args: { sessionId: string; messages: ChatMessage[] }, ctx: Context) => {
      await ctx.sessions.append(args.sessionId, args.messages);
      return ctx.sessions.get(args.sessionId);
    },
    setTokenBudget: (_: unknown, args: { tokensPerDay?: number | null }, ctx: Context) => ctx.budget.set(args.tokensPerDay ?? null, ctx.identity.subject),
  },
  GenerationModel: {
    __resolveReference: (ref: { name: string }, ctx: Context) => ctx.generations.router.models().find((m) => m.name === ref.name) ?? null,
    backend: (m: { kind: string }) => m.kind,
    backendName: (m: { backend: string }) => m.backend,
  },
  Generation: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.generations.findById(ref.id),
    promptVersion: (g: Generation) => (g.promptVersionId ? { __typename: 'PromptVersion', id: g.promptVersionId } : null),
    template: (g: Generation) => (g.inlinePrompt?.kind === 'TEXT' ? g.inlinePrompt.template : null),
    inlineMessages: (g: Generation) => (g.inlinePrompt?.kind === 'CHAT' ? g.inlinePrompt.messages : null),
    renderedPrompt: renderedPromptOf,
  },
  PromptVersion: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    generations: async (v: { id: string }, args: { first: number; after?: string | null }, ctx: Context) =>
      (await ctx.generations.listByPromptVersion(v.id, args.first, args.after ?? null)).items,
  },
  Pipeline: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.pipelines.findById(ref.id),
    inputs: (p: Pipeline) => p.definition.inputs,
    nodes: (p: Pipeline) => p.definition.nodes.map(fromNode),
    edges: (p: Pipeline) => p.definition.edges,
    outputs: (p: Pipeline) => p.definition.outputs,
    runs: (p: Pipeline, args: { first: number }, ctx: Context) => ctx.pipelines.listRuns(p.id, args.first),
  },
  PipelineRun: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.pipelines.getRun(ref.id),
    pipeline: (r: PipelineRun, _: unknown, ctx: Context) => ctx.pipelines.get(r.pipelineName),
  },
  PipelineNodeRun: {
    generation: (n: NodeRun, _: unknown, ctx: Context) => (n.generationId ? ctx.generations.findById(n.generationId) : null),
  },
  Session: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.sessions.get(ref.id),
    messages: (s: Session, _: unknown, ctx: Context) => ctx.sessions.messages(s.id),
    window: (s: Session, _: unknown, ctx: Context) => ctx.sessions.window(s.id),
  },
};
