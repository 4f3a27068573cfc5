// Pipelines: created once validated, run as a DAG. A node starts as soon as every node it reads
// from has succeeded, so independent branches run concurrently; a failed node skips what depends
// on it. Each run is recorded as a PipelineRun with every node's input, output, timing and error.
// A run that was cancelled or ran past its deadline before every node ran is FAILED.
import { ConflictError, DomainError, InputError, NotFoundError, UnavailableError, deadlineSignal, linkSignals } from '@llmops/platform';
import type { GenerationService } from './generation-service';
import type { GenerationError } from './model';
import { nodeOutputs, type NewPipeline, type NodeRun, type Pipeline, type PipelineNode, type PipelineRun } from './pipeline-model';
import { parseRef, validatePipeline } from './pipeline-validation';
import type { PromptRegistry, Retriever } from './ports';
import type { ModelRouter } from './router';
import { renderTemplate } from './template';
import { toDomainError } from './errors';

export interface PipelineStore {
  /** Returns null when the name is taken. */
  create(pipeline: Pipeline): Promise<Pipeline | null>;
  findByName(name: string): Promise<Pipeline | null>;
  findById(id: string): Promise<Pipeline | null>;
  list(): Promise<Pipeline[]>;
  recordRun(run: PipelineRun): Promise<void>;
  findRun(id: string): Promise<PipelineRun | null>;
  listRuns(pipelineId: string, first: number): Promise<PipelineRun[]>;
}

export interface Embedder {
  embed(texts: string[], model: string | null, signal: AbortSignal): Promise<number[][]>;
}

export interface PipelineDeps {
  store: PipelineStore;
  generations: GenerationService;
  registry: PromptRegistry;
  router: ModelRouter;
  retriever: Retriever | null;
  embedder: Embedder | null;
  timeoutMs: number;
  newId: () => string;
  traceId: () => string | null;
  now?: () => number;
}

export class PipelineService {
  private readonly now: () => number;

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  async create(input: NewPipeline, signal: AbortSignal): Promise<Pipeline> {
    await validatePipeline(input, { registry: this.deps.registry, router: this.deps.router, signal });
    const created = await this.deps.store.create({ ...input, id: this.deps.newId(), createdAt: new Date() });
    if (!created) throw new ConflictError(`a pipeline named ${input.name} exists already`, { field: 'name', name: input.name });
    return created;
  }

  async get(name: string): Promise<Pipeline> {
    const p = await this.deps.store.findByName(name);
    if (!p) throw new NotFoundError('pipeline', name);
    return p;
  }

  findById(id: string): Promise<Pipeline | null> {
    return this.deps.store.findById(id);
  }

  list(): Promise<Pipeline[]> {
    return this.deps.store.list();
  }

  async getRun(id: string): Promise<PipelineRun> {
    const run = await this.deps.store.findRun(id);
    if (!run) throw new NotFoundError('pipeline run', id);
    return run;
  }

  listRuns(pipelineId: string, first: number): Promise<PipelineRun[]> {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new InputError('first: must be from 1 to 100', 'first');
    return this.deps.store.listRuns(pipelineId, first);
  }

  /** Runs the pipeline with `inputs`; a node's failure fails the run (recorded, and returned with status FAILED). */
  async run(name: string, inputs: Record<string, unknown>, sessionId: string | null, callerSignal: AbortSignal): Promise<PipelineRun> {
    const pipeline = await this.get(name);
    const { definition } = pipeline;
    const missing = definition.inputs.filter((i) => inputs[i] === undefined || inputs[i] === null);
    if (missing.length) throw new InputError(`inputs: missing ${missing.join(', ')}`, 'inputs', { missing });
    const unknown = Object.keys(inputs).filter((i) => !definition.inputs.includes(i));
    if (unknown.length) throw new InputError(`inputs: unknown ${unknown.join(', ')} (the pipeline takes ${definition.inputs.join(', ') || 'none'})`, 'inputs', { unknown });
    // The run records its session (a uuid column): an unknown or malformed one fails before any node runs.
    if (sessionId !== null) await this.deps.generations.checkSession(sessionId);

    const deadline = deadlineSignal(this.deps.timeoutMs);
    const linked = linkSignals(callerSignal, deadline.signal);
    try {
      return await this.runWithin(pipeline, inputs, sessionId, linked.signal, () =>
        deadline.signal.aborted
          ? { code: 'UNAVAILABLE', message: `pipeline run did not finish within ${this.deps.timeoutMs} ms`, details: { reason: 'DEADLINE_EXCEEDED', timeoutMs: this.deps.timeoutMs } }
          : { code: 'UNAVAILABLE', message: 'pipeline run cancelled', details: { reason: 'CANCELLED' } },
      );
    } finally {
      linked.release();
      deadline.release();
    }
  }

  private async runWithin(
    pipeline: Pipeline,
    inputs: Record<string, unknown>,
    sessionId: string | null,
    signal: AbortSignal,
    /** The run's error when it was aborted (cancelled or past its deadline). */
    abortError: () => GenerationError,
  ): Promise<PipelineRun> {
    const { definition } = pipeline;
    const id = this.deps.newId();
    const startedAt = new Date();
    const started = this.now();
    const runs = new Map<string, NodeRun>(
      definition.nodes.map((n) => [
        n.id,
        { nodeId: n.id, kind: n.kind, status: 'SKIPPED', input: null, output: null, startedAt: null, finishedAt: null, latencyMs: null, error: null, generationId: null },
      ]),
    );
    const byId = new Map(definition.nodes.map((n) => [n.id, n]));
    const upstreamOf = (nodeId: string) => [
      ...new Set(
        definition.edges
          .filter((e) => parseRef(e.to)![0] === nodeId)
          .map((e) => parseRef(e.from)![0])
          .filter((n) => n !== 'input'),
      ),
    ];
    const valueOf = (ref: string) => {
      const [node, port] = parseRef(ref)!;
      return node === 'input' ? inputs[port] : runs.get(node)!.output?.[port];
    };

    const started$ = new Map<string, Promise<void>>();
    const execute = (node: PipelineNode): Promise<void> => {
      let p = started$.get(node.id);
      if (!p) {
        p = (async () => {
          const ups = upstreamOf(node.id);
          await Promise.all(ups.map((u) => execute(byId.get(u)!)));
          if (ups.some((u) => runs.get(u)!.status !== 'SUCCEEDED') || signal.aborted) return;
          const input = Object.fromEntries(definition.edges.filter((e) => parseRef(e.to)![0] === node.id).map((e) => [parseRef(e.to)![1], valueOf(e.from)]));
          const record = runs.get(node.id)!;
          record.input = input;
          record.startedAt = new Date();
          const t0 = this.now();
          try {
            record.output = await this.executeNode(node, input, { runId: id, sessionId, signal, record });
            record.status = 'SUCCEEDED';
          } catch (err) {
            record.status = 'FAILED';
            record.error = toError(err, signal);
          } finally {
            record.finishedAt = new Date();
            record.latencyMs = Math.round(this.now() - t0);
          }
        })();
        started$.set(node.id, p);
      }
      return p;
    };
    await Promise.all(definition.nodes.map(execute));

    const failed = [...runs.values()].find((r) => r.status === 'FAILED');
    // Without a failed node, nodes are skipped only because the run was aborted: it fails too.
    const skipped = definition.nodes.filter((n) => runs.get(n.id)!.status === 'SKIPPED').map((n) => n.id);
    let error: GenerationError | null = null;
    if (failed) {
      error = { ...failed.error!, message: `node ${failed.nodeId} failed: ${failed.error!.message}` };
    } else if (skipped.length) {
      const aborted = abortError();
      error = { ...aborted, message: `${aborted.message}: node(s) ${skipped.join(', ')} did not run`, details: { ...aborted.details, skipped } };
    }
    const run: PipelineRun = {
      id,
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      status: error ? 'FAILED' : 'SUCCEEDED',
      inputs,
      outputs: error ? null : this.outputsOf(pipeline, valueOf),
      nodes: definition.nodes.map((n) => runs.get(n.id)!),
      sessionId,
      traceId: this.deps.traceId(),
      error,
      latencyMs: Math.round(this.now() - started),
      startedAt,
      finishedAt: new Date(),
    };
    await this.deps.store.recordRun(run);
    return run;
  }

  private outputsOf(pipeline: Pipeline, valueOf: (ref: string) => unknown): Record<string, unknown> {
    const { definition } = pipeline;
    if (definition.outputs.length) return Object.fromEntries(definition.outputs.map((o) => [o.name, valueOf(o.from)]));
    const read = new Set(definition.edges.map((e) => parseRef(e.from)![0]));
    return Object.fromEntries(definition.nodes.filter((n) => !read.has(n.id)).map((n) => [n.id, valueOf(`${n.id}.${nodeOutputs[n.kind][0]}`)]));
  }

  private async executeNode(
    node: PipelineNode,
    input: Record<string, unknown>,
    ctx: { runId: string; sessionId: string | null; signal: AbortSignal; record: NodeRun },
  ): Promise<Record<string, unknown>> {
    switch (node.kind) {
      case 'PROMPT': {
        const useSession = node.memory !== 'NONE' && ctx.sessionId !== null;
        try {
          const g = await this.deps.generations.generate(
            {
              source: { kind: 'registered', promptName: node.prompt.name, selector: node.prompt.selector },
              variables: input,
              model: node.model,
              parameters: node.parameters,
              sessionId: useSession ? ctx.sessionId : null,
              appendToSession: node.memory === 'READ_APPEND',
            },
            { signal: ctx.signal, pipelineRunId: ctx.runId },
          );
          ctx.record.generationId = g.id;
          return { text: g.output ?? '', generationId: g.id };
        } catch (err) {
          if (err instanceof DomainError && typeof err.details['generationId'] === 'string') ctx.record.generationId = err.details['generationId'];
          throw err;
        }
      }
      case 'RETRIEVE': {
        if (!this.deps.retriever) throw new UnavailableError('retrieval');
        const documents = await this.deps.retriever.search(node.collection, asText(input['query']), node.k, ctx.signal);
        return { documents: documents.map((d) => d.text), documentIds: documents.map((d) => d.id) };
      }
      case 'EMBED': {
        if (!this.deps.embedder) throw new UnavailableError('encoder');
        const texts = Array.isArray(input['texts']) ? input['texts'].map(asText) : [asText(input['texts'])];
        return { vectors: await this.deps.embedder.embed(texts, node.model, ctx.signal) };
      }
      case 'TRANSFORM':
        return { text: renderTemplate(node.template, input) };
      case 'MERGE':
        return { value: input };
    }
  }
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function toError(err: unknown, signal: AbortSignal): GenerationError {
  const e = !(err instanceof DomainError) && signal.aborted ? new UnavailableError('pipeline deadline') : toDomainError(err);
  return { code: e.code, message: e.message, details: { ...e.details } };
}
