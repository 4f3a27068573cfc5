// The Kafka broker is killed (SIGKILL) and restarted while about 200 feedback events per second flow
// through the gateway (submitFeedback and submitFeedbackBatch on real recorded generations). The
// client retries a mutation refused as UNAVAILABLE with the same feedback ids, as a real client
// would with its idempotency keys. At the end every feedback id is stored exactly once and the
// per-version, per-minute aggregates equal the stored rows: nothing accepted is lost, nothing is
// applied twice. The broker is back and every program ready before the file ends.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { controlPlatform, graphql, waitFor } from '@llmops/testkit';
import { integrationContext } from './context';
import { allReady } from './readiness';

const ctx = integrationContext();
// Killing and restarting the broker, then draining the retries, takes minutes on two cores.
jest.setTimeout(600_000);
const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);
const db = new Client({ connectionString: ctx.databaseUrl });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SINGLE = `mutation($input: FeedbackInput!) { submitFeedback(input: $input) { id } }`;
const BATCH = `mutation($inputs: [FeedbackInput!]!) { submitFeedbackBatch(inputs: $inputs) { id } }`;

type Input = { id: string; generationId: string; score?: number; thumbs?: 'UP' | 'DOWN'; comment: string };
type Err = { message: string; extensions?: Record<string, unknown> };

let versionId: string;
const generationIds: string[] = [];

beforeAll(async () => {
  await db.connect();
  const name = `it-kafka-fault/${randomUUID().slice(0, 8)}`;
  const p = await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["it"] }) { id } }`, { n: name });
  expect(p.errors).toBeUndefined();
  const v = await gql<{ createPromptVersion: { id: string } }>(`mutation($input: CreatePromptVersionInput!) { createPromptVersion(input: $input) { id } }`, {
    input: { promptName: name, commitMessage: 'it', template: 'Say {{word}}.', modelParameters: { model: 'smollm2-135m-instruct', temperature: 0, maxTokens: 2 } },
  });
  expect(v.errors).toBeUndefined();
  versionId = v.data!.createPromptVersion.id;
  for (const word of ['yes', 'no']) {
    const g = await gql<{ generate: { id: string; status: string } }>(`mutation($input: GenerateInput!) { generate(input: $input) { id status } }`, {
      input: { prompt: { name, version: 1 }, variables: { word } },
    });
    expect(g.errors).toBeUndefined();
    expect(g.data!.generate.status).toBe('SUCCEEDED');
    generationIds.push(g.data!.generate.id);
  }
  await waitFor(
    async () =>
      (await db.query('SELECT 1 FROM feedback.generation_facts WHERE generation_id = ANY($1::uuid[])', [generationIds])).rowCount === generationIds.length || undefined,
    { timeoutMs: 60_000, what: 'the generation facts in the feedback service' },
  );
});

afterAll(async () => {
  await db.end();
});

/** A client that submits feedback at a steady rate and retries refusals with the same ids. */
class FeedbackLoad {
  readonly ids = new Set<string>();
  readonly accepted = new Set<string>();
  readonly unexpected: string[] = [];
  refusals = 0;
  private inFlight = new Set<Promise<void>>();
  private seq = 0;

  constructor(private readonly maxInFlight: number) {}

  private input(): Input {
    const n = this.seq++;
    const id = randomUUID();
    this.ids.add(id);
    const generationId = generationIds[n % generationIds.length]!;
    return n % 3 === 0 ? { id, generationId, thumbs: n % 2 ? 'UP' : 'DOWN', comment: `load ${n}` } : { id, generationId, score: 1 + (n % 5), comment: `load ${n}` };
  }

  /** One request, sent until it is accepted; only a typed UNAVAILABLE (or no answer) is retried. */
  private async send(inputs: Input[]): Promise<void> {
    const single = inputs.length === 1;
    for (let attempt = 1; ; attempt++) {
      let errors: Err[] | undefined;
      let ids: string[] = [];
      try {
        const res = single ? await gql<{ submitFeedback: { id: string } }>(SINGLE, { input: inputs[0] }) : await gql<{ submitFeedbackBatch: Array<{ id: string }> }>(BATCH, { inputs });
        errors = res.errors as Err[] | undefined;
        if (!errors?.length) ids = single ? [(res.data as { submitFeedback: { id: string } }).submitFeedback.id] : (res.data as { submitFeedbackBatch: Array<{ id: string }> }).submitFeedbackBatch.map((f) => f.id);
      } catch (err) {
        // The gateway itself did not answer: retried like a refusal.
        errors = [{ message: (err as Error).message, extensions: { code: 'NO_ANSWER' } }];
      }
      if (!errors?.length) {
        expect(ids).toEqual(inputs.map((i) => i.id));
        for (const id of ids) this.accepted.add(id);
        return;
      }
      const code = errors[0]?.extensions?.['code'];
      if (code !== 'UNAVAILABLE' && code !== 'NO_ANSWER') {
        this.unexpected.push(`${code}: ${errors[0]?.message}`);
        return;
      }
      this.refusals++;
      if (attempt > 90) {
        this.unexpected.push(`still refused after ${attempt} attempts: ${errors[0]?.message}`);
        return;
      }
      await sleep(Math.min(2_000, 100 * attempt));
    }
  }

  private start(inputs: Input[]): void {
    const p: Promise<void> = this.send(inputs).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** About `perSecond` events a second (a batch of 15 and 5 single submissions every 100 ms) until `until` resolves. */
  async run(perSecond: number, until: Promise<unknown>): Promise<void> {
    let stop = false;
    void until.finally(() => (stop = true));
    const perTick = Math.round(perSecond / 10);
    const batchSize = Math.max(1, perTick - 5);
    while (!stop) {
      const tick = Date.now();
      if (this.inFlight.size < this.maxInFlight) {
        this.start(Array.from({ length: batchSize }, () => this.input()));
        for (let i = 0; i < perTick - batchSize; i++) this.start([this.input()]);
      }
      await sleep(Math.max(0, 100 - (Date.now() - tick)));
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}

test('the broker is killed and restarted under load: every accepted feedback is applied exactly once', async () => {
  const load = new FeedbackLoad(200);
  const started = Date.now();
  const log = (m: string) => process.stdout.write(`[kafka-fault] +${((Date.now() - started) / 1000).toFixed(1)} s ${m}\n`);
  let outageStarted = 0;
  let outageEnded = 0;
  let acceptedBeforeKill = 0;
  let steadyRate = 0;
  const scenario = (async () => {
    // Warm-up, then a steady window whose accepted rate is reported, then the kill.
    await sleep(5_000);
    const windowStart = { at: Date.now(), accepted: load.accepted.size };
    await sleep(5_000);
    acceptedBeforeKill = load.accepted.size;
    steadyRate = (acceptedBeforeKill - windowStart.accepted) / ((Date.now() - windowStart.at) / 1000);
    log(`killing Kafka (${load.ids.size} submitted, ${load.accepted.size} accepted)`);
    await controlPlatform('infra', 'kafka', 'kill');
    outageStarted = Date.now();
    await sleep(8_000);
    log(`restarting Kafka (${load.refusals} refusals so far)`);
    try {
      await controlPlatform('infra', 'kafka', 'restart');
    } finally {
      outageEnded = Date.now();
    }
    log('Kafka is back');
    await sleep(5_000);
  })();
  try {
    await Promise.all([load.run(200, scenario), scenario]);
  } finally {
    // Whatever failed, the broker comes back for the files that run after this one.
    if (!outageEnded) await controlPlatform('infra', 'kafka', 'restart').catch(() => undefined);
  }
  log(`load stopped: ${load.ids.size} submitted, ${load.accepted.size} accepted, ${load.refusals} refusals; draining retries`);
  await load.drain();
  log(`retries drained: ${load.accepted.size} accepted`);
  const seconds = (Date.now() - started) / 1000;
  expect(load.unexpected).toEqual([]);
  // The load was real (200 events a second offered; what two shared cores accept is printed), and
  // the outage was felt: some mutations were refused while the broker was down.
  log(`accepted ${steadyRate.toFixed(0)} events/s in the 5 s before the kill (after 5 s of warm-up; 200/s offered); outage ${((outageEnded - outageStarted) / 1000).toFixed(1)} s`);
  expect(acceptedBeforeKill).toBeGreaterThan(0);
  expect(load.ids.size).toBeGreaterThan(500);
  expect(load.refusals).toBeGreaterThan(0);
  expect(load.accepted.size).toBe(load.ids.size);

  const ids = [...load.ids];
  const stored = await waitFor(
    async () => {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM feedback.feedback_entries WHERE id = ANY($1::uuid[])', [ids]);
      return rows[0]!.n === ids.length ? rows[0]!.n : undefined;
    },
    { timeoutMs: 180_000, what: `all ${ids.length} accepted feedback ids in feedback.feedback_entries`, intervalMs: 1_000 },
  ).catch(async (err: Error) => {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM feedback.feedback_entries WHERE id = ANY($1::uuid[])', [ids]);
    throw new Error(`${err.message}: ${rows[0]!.n} of ${ids.length} stored`);
  });
  log(`all ${stored} stored (${seconds.toFixed(0)} s of load), ${((Date.now() - outageEnded) / 1000).toFixed(1)} s after the broker was back`);

  // Nothing but the submitted ids was stored for these generations (each id once: it is the key).
  const { rows: all } = await db.query<{ id: string }>('SELECT id FROM feedback.feedback_entries WHERE generation_id = ANY($1::uuid[])', [generationIds]);
  expect(all.length).toBe(ids.length);
  expect(new Set(all.map((r) => r.id))).toEqual(load.ids);

  // The aggregates equal the rows, minute by minute: no feedback was counted twice or missed.
  const fromRows = await db.query(
    `SELECT date_trunc('minute', created_at) AS minute, count(*)::int AS feedback_count, count(score)::int AS score_count,
            coalesce(sum(score), 0)::float8 AS score_sum, count(thumbs)::int AS thumbs_count,
            (count(*) FILTER (WHERE thumbs = 'UP'))::int AS thumbs_up_count
     FROM feedback.feedback_entries WHERE prompt_version_id = $1 GROUP BY 1 ORDER BY 1`,
    [versionId],
  );
  const aggregates = await db.query(
    `SELECT minute, feedback_count::int, score_count::int, score_sum::float8, thumbs_count::int, thumbs_up_count::int
     FROM feedback.feedback_version_minutes WHERE prompt_version_id = $1 ORDER BY minute`,
    [versionId],
  );
  expect(aggregates.rows).toEqual(fromRows.rows);
  expect(aggregates.rows.reduce((s, r: { feedback_count: number }) => s + r.feedback_count, 0)).toBe(ids.length);

  // And through the API: the version's metrics count every feedback once.
  const metrics = await gql<{ generation: { promptVersion: { metrics: { feedbackCount: number } } } }>(
    `query($id: ID!, $since: DateTime) { generation(id: $id) { promptVersion { metrics(since: $since) { feedbackCount } } } }`,
    { id: generationIds[0], since: new Date(started - 120_000).toISOString() },
  );
  expect(metrics.errors).toBeUndefined();
  expect(metrics.data!.generation.promptVersion.metrics.feedbackCount).toBe(ids.length);

  await allReady(ctx);
});
