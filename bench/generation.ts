// Generation through the service vs raw node-llama-cpp, on the same prompts, model and settings
// in one run, each model in a process of its own: time to first token and decode rate on a short
// and a long prompt (target: service overhead at most 5%), then 1, 4 and 16 concurrent requests
// through the service (latency and TTFT p50/p95, queue depth, throughput). Starts the real stack; the service path is gRPC GenerateStream of a registered
// prompt (rendered by the registry, recorded in PostgreSQL, published through the outbox).
//   npx tsx bench/generation.ts [--rounds 12] [--max-tokens 128] [--concurrent-max-tokens 48]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, Metadata } from '@grpc/grpc-js';
import { generationV1 as pb } from '@llmops/contracts';
import { graphql, signedClientOptions, startLocalPlatform, testInfraPorts, testPorts } from '@llmops/testkit';
import { fork } from 'node:child_process';
import type { ChatMessage } from '../services/generation/src/domain/model';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '12' }, 'max-tokens': { type: 'string', default: '128' }, 'concurrent-max-tokens': { type: 'string', default: '48' } },
});
const rounds = Number(args.rounds);
const maxTokens = Number(args['max-tokens']);
const concurrentMaxTokens = Number(args['concurrent-max-tokens']);
const repoRoot = join(__dirname, '..');
const modelPath = join(process.env.LLMOPS_MODEL_DIR ?? join(process.env.LLMOPS_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'llmops'), 'models'), 'smollm2-135m-instruct', 'model.gguf');
// The service's defaults, mirrored by the raw runs: one thread, 2,048-token sequences.
const threads = 1;
const contextSize = 2048;

const promptName = 'bench/explain';
const system = 'You are a patient teacher. Explain in detail, with examples.';
const question = (i: number) => `Explain how a ${['bicycle', 'refrigerator', 'rainbow', 'volcano', 'compass', 'battery', 'piano', 'tide'][i % 8]} works.`;
const messagesOf = (i: number): ChatMessage[] => [
  { role: 'SYSTEM', content: system },
  { role: 'USER', content: question(i) },
];
// A long prompt (~600 tokens, different in every round): time to first token is prompt evaluation.
const topics = ['rivers', 'mountains', 'forests', 'deserts', 'oceans', 'glaciers', 'volcanoes', 'islands'];
const context = (i: number) =>
  Array.from({ length: 24 }, (_, k) => `Note ${k + 1} on ${topics[(i + k) % 8]}: observation ${i * 31 + k * 7} was recorded in season ${(i + k) % 4} near station ${k * 13 + i}.`).join(' ');
const longQuestion = (i: number) => `${context(i)}\n\nUsing the notes above, explain what they say about ${topics[i % 8]}.`;
const longMessagesOf = (i: number): ChatMessage[] => [
  { role: 'SYSTEM', content: system },
  { role: 'USER', content: longQuestion(i) },
];

interface Run {
  ttftMs: number;
  totalMs: number;
  completionTokens: number;
  /** Decode rate: tokens after the first, over the time from first to last text. */
  tokensPerSecond: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const round = (x: number, d = 1) => Number(x.toFixed(d));

function decodeRate(completionTokens: number, firstAt: number, lastAt: number): number {
  return lastAt > firstAt ? ((completionTokens - 1) * 1000) / (lastAt - firstAt) : 0;
}

async function main(): Promise<void> {
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  const runDir = mkdtempSync(join(repoRoot, '.run', 'bench-generation-'));
  console.log('[generation] starting the stack');
  const platform = await startLocalPlatform({ repoRoot, runDir, infraPorts: testInfraPorts, ports: testPorts, env: { LOG_LEVEL: 'warn' } });
  // The raw baseline runs in a process of its own, as the service does.
  const runner = fork(join(__dirname, 'generation-raw-runner.cjs'), [modelPath, String(threads), String(contextSize)], { execArgv: [] });
  await new Promise<void>((resolve, reject) => {
    runner.once('message', () => resolve());
    runner.once('exit', (code) => reject(new Error(`the raw runner exited with ${code}`)));
  });
  const client = new pb.GeneratorServiceClient(`127.0.0.1:${platform.stack.program('generation').spec.grpcPort}`, credentials.createInsecure(), signedClientOptions(platform.auth.internalSecret));
  try {
    const gw = platform.stack.gatewayUrl;
    await graphql(gw, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: promptName });
    await graphql(
      gw,
      `mutation($n: String!, $s: String!) { createPromptVersion(input: { promptName: $n,
         messages: [{ role: SYSTEM, content: $s }, { role: USER, content: "{{question}}" }],
         modelParameters: { model: "smollm2-135m-instruct", temperature: 0 } }) { number } }`,
      { n: promptName, s: system },
    );
    await graphql(gw, `mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 1) { alias } }`, { n: promptName });

    const raw = (messages: ChatMessage[], tokens: number): Promise<Run> =>
      new Promise((resolve) => {
        runner.once('message', (m: { ttftMs: number; totalMs: number; completionTokens: number; decodeMs: number }) =>
          resolve({ ttftMs: m.ttftMs, totalMs: m.totalMs, completionTokens: m.completionTokens, tokensPerSecond: m.decodeMs > 0 ? ((m.completionTokens - 1) * 1000) / m.decodeMs : 0 }),
        );
        runner.send({ messages, maxTokens: tokens });
      });

    const service = (questionText: string, tokens: number): Promise<Run> =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        let first = 0;
        let last = 0;
        const call = client.generateStream(
          {
            request: pb.GenerateRequest.fromPartial({
              prompt: { $case: 'registered', value: { promptName, selector: { $case: 'alias', value: 'production' } } },
              variablesJson: JSON.stringify({ question: questionText }),
              parameters: { maxTokens: tokens, temperature: 0, topP: 1, stop: [] },
            }),
          },
          new Metadata(),
          { deadline: Date.now() + 600_000 },
        );
        call.on('data', (e: pb.GenerateStreamResponse) => {
          if (e.event?.$case === 'text') {
            last = performance.now();
            first ||= last;
          } else if (e.event?.$case === 'completed') {
            const g = e.event.value;
            resolve({ ttftMs: first - start, totalMs: performance.now() - start, completionTokens: g.completionTokens ?? 0, tokensPerSecond: decodeRate(g.completionTokens ?? 0, first, last) });
          }
        });
        call.on('error', reject);
      });

    console.log('[generation] warm-up');
    for (let i = 0; i < 2; i++) {
      await raw(messagesOf(100 + i), 16);
      await service(question(100 + i), 16);
    }
    const summary = (runs: Run[]) => ({
      ttftMsMedian: round(median(runs.map((r) => r.ttftMs))),
      tokensPerSecondMedian: round(median(runs.map((r) => r.tokensPerSecond))),
      totalMsMedian: round(median(runs.map((r) => r.totalMs))),
      completionTokensMedian: median(runs.map((r) => r.completionTokens)),
    });
    // Rounds alternate raw and service on the same prompt, so load from other processes hits both;
    // the per-round (paired) differences are the overhead estimate, their median the figure.
    const compare = async (label: string, messagesFor: (i: number) => ChatMessage[], questionFor: (i: number) => string) => {
      console.log(`[generation] ${label}: ${rounds} rounds of raw node-llama-cpp then the service, same prompt, max ${maxTokens} tokens, greedy`);
      const raws: Run[] = [];
      const services: Run[] = [];
      for (let i = 0; i < rounds; i++) {
        raws.push(await raw(messagesFor(i), maxTokens));
        services.push(await service(questionFor(i), maxTokens));
        console.log(
          `[generation]   round ${i + 1}: raw ttft ${round(raws[i]!.ttftMs)} ms ${round(raws[i]!.tokensPerSecond)} tok/s (${raws[i]!.completionTokens} tok) | service ttft ${round(services[i]!.ttftMs)} ms ${round(services[i]!.tokensPerSecond)} tok/s (${services[i]!.completionTokens} tok)`,
        );
      }
      return {
        prompt: label,
        raw: summary(raws),
        service: summary(services),
        overhead: {
          ttftPercent: round(median(raws.map((r, i) => ((services[i]!.ttftMs - r.ttftMs) / r.ttftMs) * 100))),
          ttftMs: round(median(raws.map((r, i) => services[i]!.ttftMs - r.ttftMs))),
          tokensPerSecondPercent: round(median(raws.map((r, i) => ((r.tokensPerSecond - services[i]!.tokensPerSecond) / r.tokensPerSecond) * 100))),
          method: 'median over rounds of the paired (service - raw) difference; positive = service slower',
        },
      };
    };
    const shortPrompt = await compare('short prompt (~40 tokens, system prefix cached)', messagesOf, question);
    const longPrompt = await compare('long prompt (~600 tokens, new every round)', longMessagesOf, longQuestion);

    // The raw runner stays loaded but idle from here on.
    const metricsUrl = `${platform.stack.program('generation').httpUrl}/metrics`;
    const concurrency = [];
    for (const level of [1, 4, 16]) {
      const requests = Math.max(level * 2, 8);
      let maxWaiting = 0;
      const sampler = setInterval(() => {
        void fetch(metricsUrl)
          .then((r) => r.text())
          .then((t) => {
            const waiting = Number(/^generation_embedded_queue_waiting\{[^}]*\} (\d+)/m.exec(t)?.[1] ?? 0);
            maxWaiting = Math.max(maxWaiting, waiting);
          })
          .catch(() => undefined);
      }, 100);
      const started = performance.now();
      let next = 0;
      const runs: Run[] = [];
      await Promise.all(
        Array.from({ length: level }, async () => {
          while (next < requests) runs.push(await service(question(1000 + next++), concurrentMaxTokens));
        }),
      );
      const wallMs = performance.now() - started;
      clearInterval(sampler);
      const result = {
        concurrency: level,
        requests,
        maxTokens: concurrentMaxTokens,
        latencyMsP50: round(quantile(runs.map((r) => r.totalMs), 0.5)),
        latencyMsP95: round(quantile(runs.map((r) => r.totalMs), 0.95)),
        ttftMsP50: round(quantile(runs.map((r) => r.ttftMs), 0.5)),
        ttftMsP95: round(quantile(runs.map((r) => r.ttftMs), 0.95)),
        perRequestTokensPerSecondP50: round(quantile(runs.map((r) => r.tokensPerSecond), 0.5)),
        throughputTokensPerSecond: round((runs.reduce((s, r) => s + r.completionTokens, 0) * 1000) / wallMs),
        maxQueueWaiting: maxWaiting,
      };
      console.log(
        `[generation] concurrency ${level}: latency p50 ${result.latencyMsP50} ms p95 ${result.latencyMsP95} ms, ttft p50 ${result.ttftMsP50} ms p95 ${result.ttftMsP95} ms, ${result.throughputTokensPerSecond} tok/s total, queue max ${maxWaiting}`,
      );
      concurrency.push(result);
    }

    const result = {
      benchmark: 'generation',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      model: 'smollm2-135m-instruct (GGUF, node-llama-cpp 3, CPU)',
      settings: { threads, contextSize, serviceSequences: 4, temperature: 0, maxTokens, rounds },
      loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
      path: 'service = gRPC GenerateStream of a registered prompt alias (registry render, PostgreSQL record, outbox), timed by the client; raw = LlamaChat.generateResponse in a process of its own, timed in-process',
      comparisons: { shortPrompt, longPrompt },
      concurrency,
      targets: { overheadPercentMax: 5 },
    };
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    const file = join(repoRoot, 'bench', 'results', 'generation.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    for (const [name, c] of Object.entries({ short: shortPrompt, long: longPrompt })) {
      console.log(
        `[generation] ${name} prompt: raw ttft ${c.raw.ttftMsMedian} ms, ${c.raw.tokensPerSecondMedian} tok/s | service ttft ${c.service.ttftMsMedian} ms, ${c.service.tokensPerSecondMedian} tok/s | overhead ttft +${c.overhead.ttftMs} ms (${c.overhead.ttftPercent}%), decode ${c.overhead.tokensPerSecondPercent}% (target <= 5%)`,
      );
    }
    console.log(`[generation] wrote ${file}`);
  } finally {
    client.close();
    runner.send('exit');
    await platform.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`[generation] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
