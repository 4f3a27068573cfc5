// In-memory fakes of generation's own ports that are not models: the store, the prompt registry
// and the retriever. Models are never faked: tests run the real embedded model.
import { InputError, NotFoundError, UnavailableError } from '@llmops/platform';
import type { ChatMessage, Generation, Page, VersionSelector } from '../src/domain/model';
import type { GenerationStore, PromptRegistry, RenderedVersion, RetrievedDocument, Retriever, VersionInfo } from '../src/domain/ports';
import { renderTemplate, templateVariables } from '../src/domain/template';
import type { StoredMessage } from '../src/domain/memory';
import type { Pipeline, PipelineRun } from '../src/domain/pipeline-model';
import type { PipelineStore } from '../src/domain/pipeline-service';
import type { Session, SessionMessage, SessionStore } from '../src/domain/session-service';
import type { TokenUsageStore } from '../src/domain/token-budget';

export class MemoryGenerationStore implements GenerationStore {
  readonly records: Generation[] = [];
  failNext = false;

  async record(g: Generation): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new UnavailableError('postgresql');
    }
    this.records.push(structuredClone(g));
  }

  async findById(id: string): Promise<Generation | null> {
    return this.records.find((g) => g.id === id) ?? null;
  }

  async listByPromptVersion(promptVersionId: string, first: number, after: string | null): Promise<Page<Generation>> {
    const all = this.records.filter((g) => g.promptVersionId === promptVersionId).reverse();
    const start = after ? all.findIndex((g) => g.id === after) + 1 : 0;
    return { items: all.slice(start, start + first), hasNextPage: all.length > start + first };
  }

  last(): Generation {
    return this.records.at(-1)!;
  }
}

export interface FakeVersion {
  promptName: string;
  number: number;
  messages: ChatMessage[];
  aliases?: string[];
  modelParameters?: VersionInfo['modelParameters'];
  augmentation?: VersionInfo['augmentation'];
  untrustedInput?: boolean;
  /** Declared types by variable name (default STRING). */
  variableTypes?: Record<string, string>;
}

/** A registry holding versions in memory; rendering checks required variables like the real one. */
export class FakePromptRegistry implements PromptRegistry {
  readonly renders: Array<{ promptName: string; selector: VersionSelector; variables: Record<string, unknown> }> = [];

  constructor(private readonly versions: FakeVersion[]) {}

  private find(promptName: string, selector: VersionSelector): FakeVersion {
    const versions = this.versions.filter((v) => v.promptName === promptName);
    const v =
      selector.kind === 'number'
        ? versions.find((x) => x.number === selector.number)
        : selector.kind === 'alias'
          ? versions.find((x) => x.aliases?.includes(selector.alias))
          : versions.at(-1);
    if (!v) throw new NotFoundError('prompt version', promptName);
    return v;
  }

  private info(v: FakeVersion): VersionInfo {
    return {
      id: `00000000-0000-4000-8000-${String(v.number).padStart(12, '0')}`,
      promptId: '00000000-0000-4000-8000-000000000000',
      promptName: v.promptName,
      number: v.number,
      modelParameters: v.modelParameters ?? {},
      variables: [...new Set(v.messages.flatMap((m) => templateVariables(m.content)))]
        .filter((name) => !v.augmentation?.some((a) => a.outputVariable === name))
        .map((name) => ({ name, required: true, hasDefault: false, type: v.variableTypes?.[name] ?? 'STRING' })),
      augmentation: v.augmentation ?? [],
      untrustedInput: v.untrustedInput ?? false,
    };
  }

  async getVersion(promptName: string, selector: VersionSelector): Promise<VersionInfo> {
    return this.info(this.find(promptName, selector));
  }

  async render(promptName: string, selector: VersionSelector, variables: Record<string, unknown>): Promise<RenderedVersion> {
    this.renders.push({ promptName, selector, variables });
    const v = this.find(promptName, selector);
    const missing = [...new Set(v.messages.flatMap((m) => templateVariables(m.content)))].filter((name) => variables[name] === undefined);
    if (missing.length) throw new InputError(`invalid variables`, 'variables', { problems: missing.map((m) => `${m}: required`) });
    return { version: this.info(v), messages: v.messages.map((m) => ({ role: m.role, content: renderTemplate(m.content, variables) })) };
  }
}

export class FakeRetriever implements Retriever {
  readonly queries: Array<{ collection: string; query: string; k: number }> = [];

  constructor(private readonly documents: RetrievedDocument[]) {}

  async search(collection: string, query: string, k: number): Promise<RetrievedDocument[]> {
    this.queries.push({ collection, query, k });
    return this.documents.slice(0, k);
  }
}

export class MemoryPipelineStore implements PipelineStore {
  readonly pipelines: Pipeline[] = [];
  readonly runs: PipelineRun[] = [];

  async create(p: Pipeline): Promise<Pipeline | null> {
    if (this.pipelines.some((x) => x.name === p.name)) return null;
    this.pipelines.push(p);
    return p;
  }
  async findByName(name: string) {
    return this.pipelines.find((p) => p.name === name) ?? null;
  }
  async findById(id: string) {
    return this.pipelines.find((p) => p.id === id) ?? null;
  }
  async list() {
    return [...this.pipelines];
  }
  async recordRun(run: PipelineRun) {
    this.runs.push(structuredClone(run));
  }
  async findRun(id: string) {
    return this.runs.find((r) => r.id === id) ?? null;
  }
  async listRuns(pipelineId: string, first: number) {
    return this.runs.filter((r) => r.pipelineId === pipelineId).reverse().slice(0, first);
  }
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly messages = new Map<string, SessionMessage[]>();

  async create(s: Session) {
    this.sessions.set(s.id, s);
    this.messages.set(s.id, []);
  }
  async find(id: string) {
    return this.sessions.get(id) ?? null;
  }
  async recent(id: string, limit: number): Promise<StoredMessage[]> {
    return (this.messages.get(id) ?? []).slice(-limit).map(({ role, content, tokens }) => ({ role, content, tokens }));
  }
  async all(id: string) {
    return [...(this.messages.get(id) ?? [])];
  }
  async append(id: string, messages: StoredMessage[]) {
    this.messages.get(id)!.push(...messages.map((m) => ({ ...m, createdAt: new Date() })));
  }
}

/** One project's token usage: what `use` adds (as recording a generation does) and the budget set. */
export class MemoryTokenUsageStore implements TokenUsageStore {
  readonly used = new Map<string, number>();
  own: number | null = null;

  use(day: string, tokens: number): void {
    this.used.set(day, (this.used.get(day) ?? 0) + tokens);
  }
  async read(day: string) {
    return { usedToday: this.used.get(day) ?? 0, ownTokensPerDay: this.own };
  }
  async setOwn(tokensPerDay: number | null) {
    this.own = tokensPerDay;
  }
}
