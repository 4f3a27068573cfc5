// In-memory fakes of the evaluation domain's own ports, for unit tests of run orchestration.
// The generator fake is a scripted port, not a model: tests say what each call answers.
import { randomUUID } from 'node:crypto';
import { currentIdentity, type Identity } from '@llmops/platform';
import type { DatasetItem, DatasetItemPage, DatasetItemStore, NewDatasetItem } from '../src/domain/dataset-items';
import type { EvaluationRun, GenerationParameters, ItemResult, NewEvaluationRun, PromptRef, RunProgress, RunStatus } from '../src/domain/evaluation/model';
import type { Embedder, EvaluationStore, GeneratedText, Generator, ProgressLog } from '../src/domain/evaluation/ports';

export class MemoryDatasetItemStore implements DatasetItemStore {
  readonly datasets = new Set<string>();
  readonly items: DatasetItem[] = [];
  private position = 0;

  async datasetExists(datasetId: string): Promise<boolean> {
    return this.datasets.has(datasetId);
  }

  async add(datasetId: string, items: NewDatasetItem[]): Promise<DatasetItem[]> {
    const added = items.map((i) => ({ ...i, id: randomUUID(), datasetId, position: ++this.position, createdAt: new Date() }));
    this.items.push(...added);
    return added;
  }

  async list(datasetId: string, first: number, after: number | null): Promise<DatasetItemPage> {
    const all = this.items.filter((i) => i.datasetId === datasetId && i.position > (after ?? 0));
    return { items: all.slice(0, first), hasNextPage: all.length > first };
  }

  async get(itemId: string): Promise<DatasetItem | null> {
    return this.items.find((i) => i.id === itemId) ?? null;
  }
}

export class MemoryEvaluationStore implements EvaluationStore {
  readonly runs = new Map<string, EvaluationRun & { lastPosition: number }>();
  readonly results: ItemResult[] = [];
  /** Every saveResult call, duplicates included. */
  saveCalls = 0;

  constructor(private readonly items: MemoryDatasetItemStore) {}

  async createRun(input: NewEvaluationRun): Promise<EvaluationRun> {
    const items = this.items.items.filter((i) => i.datasetId === input.datasetId);
    const run = {
      ...structuredClone(input),
      id: randomUUID(),
      status: 'PENDING' as RunStatus,
      total: items.length,
      lastPosition: Math.max(0, ...items.map((i) => i.position)),
      error: null,
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
    };
    this.runs.set(run.id, run);
    return structuredClone(run);
  }

  async getRun(id: string): Promise<EvaluationRun | null> {
    const run = this.runs.get(id);
    return run ? structuredClone(run) : null;
  }

  async listRuns(datasetId: string): Promise<EvaluationRun[]> {
    return [...this.runs.values()].filter((r) => r.datasetId === datasetId).map((r) => structuredClone(r));
  }

  /** Runs claimed by some service instance (shared by the instances of a test). */
  readonly claimed = new Set<string>();

  async claim(runId: string): Promise<(() => Promise<void>) | null> {
    if (this.claimed.has(runId)) return null;
    this.claimed.add(runId);
    return async () => {
      this.claimed.delete(runId);
    };
  }

  async listUnfinishedRuns(): Promise<EvaluationRun[]> {
    return [...this.runs.values()].filter((r) => r.status === 'PENDING' || r.status === 'RUNNING').map((r) => structuredClone(r));
  }

  async transition(id: string, from: RunStatus[], to: RunStatus, error?: string | null): Promise<EvaluationRun | null> {
    const run = this.runs.get(id);
    if (!run || !from.includes(run.status)) return null;
    run.status = to;
    if (error !== undefined) run.error = error;
    if (to === 'RUNNING') run.startedAt ??= new Date();
    run.finishedAt = to === 'SUCCEEDED' || to === 'FAILED' || to === 'CANCELLED' ? new Date() : null;
    return structuredClone(run);
  }

  async pendingItems(run: EvaluationRun): Promise<DatasetItem[]> {
    const last = this.runs.get(run.id)!.lastPosition;
    return this.items.items.filter(
      (i) => i.datasetId === run.datasetId && i.position <= last && !this.results.some((r) => r.runId === run.id && r.itemId === i.id),
    );
  }

  async saveResult(result: Omit<ItemResult, 'createdAt'>): Promise<boolean> {
    this.saveCalls++;
    if (this.results.some((r) => r.runId === result.runId && r.itemId === result.itemId)) return false;
    this.results.push({ ...structuredClone(result), createdAt: new Date() });
    return true;
  }

  async progress(runId: string): Promise<RunProgress> {
    const results = this.results.filter((r) => r.runId === runId);
    const run = this.runs.get(runId)!;
    return {
      processed: results.length,
      failed: results.filter((r) => r.error !== null).length,
      means: run.metrics.map((metric) => {
        const values = results.flatMap((r) => r.scores.filter((s) => s.metric === metric && s.value !== null).map((s) => s.value!));
        return { metric, mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null, count: values.length };
      }),
    };
  }

  async listResults(runId: string, first: number): Promise<{ items: ItemResult[]; hasNextPage: boolean }> {
    const all = this.results.filter((r) => r.runId === runId);
    return { items: all.slice(0, first), hasNextPage: all.length > first };
  }

  async allResults(runId: string): Promise<ItemResult[]> {
    return this.results.filter((r) => r.runId === runId);
  }
}

type Answer = (prompt: PromptRef, variables: Record<string, unknown>, parameters: GenerationParameters) => GeneratedText | Error;

/** Answers each call with `answer`; calls past `allow(n)` wait until release(), to interrupt runs mid-way. */
export class ScriptedGenerator implements Generator {
  readonly calls: Array<{ prompt: PromptRef; variables: Record<string, unknown>; parameters: GenerationParameters }> = [];
  /** Who each call acted as (the identity its gRPC call would sign). */
  readonly identities: Array<Identity | undefined> = [];
  private allowed = Infinity;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;

  constructor(private readonly answer: Answer) {}

  /** The next `n` calls answer; later ones wait for release() (or their signal). */
  allow(n: number): void {
    this.allowed = this.calls.length + n;
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.allowed = Infinity;
    this.openGate();
  }

  async generate(prompt: PromptRef, variables: Record<string, unknown>, parameters: GenerationParameters, signal: AbortSignal): Promise<GeneratedText> {
    this.calls.push({ prompt, variables, parameters });
    this.identities.push(currentIdentity());
    if (this.calls.length > this.allowed) {
      await Promise.race([
        this.gate,
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
      ]);
    }
    const answer = this.answer(prompt, variables, parameters);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/** Bag-of-letters vectors: texts with the same letters embed identically. */
export class LetterEmbedder implements Embedder {
  readonly calls: string[][] = [];

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.push(texts);
    return texts.map((t) => {
      const v = new Float32Array(26);
      for (const ch of t.toLowerCase()) {
        const i = ch.charCodeAt(0) - 97;
        if (i >= 0 && i < 26) v[i]! += 1;
      }
      return v;
    });
  }
}

export class MemoryLog implements ProgressLog {
  readonly lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', message, fields });
  }
}
