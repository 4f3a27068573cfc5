// Trains a linear query adapter W (init identity) so that normalize(W q) ranks q's relevant
// document first among the other documents of its batch: multiple-negatives ranking loss
// (InfoNCE with in-batch negatives), Adam, pure Float32Array math. Validation queries are held out
// of the training split; the epoch with the best validation MRR@10 is kept (epoch 0 = identity),
// the lower validation loss deciding between equal MRRs.
import type { EpochReport, RetrievalMetrics } from './adapter-model';
import { applyLinear } from './adapter-model';
import { dot, l2NormalizeInPlace } from './vectors';

export interface TrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Softmax temperature (0.05 = the scale 20 of sentence-transformers' MNRL). */
  temperature: number;
  seed: number;
}

export interface PairIndex {
  query: number;
  document: number;
}

export interface AdapterTrainingSet {
  dimensions: number;
  /** Unit-norm base embeddings, indexed by PairIndex.query / .document. */
  queries: Float32Array[];
  documents: Float32Array[];
  train: PairIndex[];
  validation: PairIndex[];
}

export interface TrainingStep {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean loss over this epoch's batches so far. */
  trainLoss: number;
}

export interface TrainedAdapter {
  weights: Float32Array;
  history: EpochReport[];
  selectedEpoch: number;
  before: RetrievalMetrics;
  after: RetrievalMetrics;
}

export interface TrainingHooks {
  onStep?(step: TrainingStep): void;
  onEpoch?(report: EpochReport): void;
  /** Called between batches so that a long run lets other work through (e.g. setImmediate). */
  yieldControl?(): Promise<void>;
  /** Stops training between batches. */
  signal?: AbortSignal;
}

export function identity(dims: number): Float32Array {
  const w = new Float32Array(dims * dims);
  for (let i = 0; i < dims; i++) w[i * dims + i] = 1;
  return w;
}

/** Deterministic PRNG (mulberry32), so a run is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Relevant documents per query, over every pair given. */
export function relevanceOf(pairs: PairIndex[]): Map<number, Set<number>> {
  const rel = new Map<number, Set<number>>();
  for (const p of pairs) {
    let set = rel.get(p.query);
    if (!set) rel.set(p.query, (set = new Set()));
    set.add(p.document);
  }
  return rel;
}

export interface BatchResult {
  loss: number;
  /** dL/dW, when asked for. */
  grad?: Float32Array;
}

/**
 * Loss (and gradient) of one batch. Other in-batch documents that are relevant to the query, or
 * the same document, are masked out: they are not negatives.
 */
export function batchLoss(
  w: Float32Array,
  set: AdapterTrainingSet,
  batch: PairIndex[],
  relevant: Map<number, Set<number>>,
  temperature: number,
  withGradient: boolean,
): BatchResult {
  const d = set.dimensions;
  const b = batch.length;
  const us = batch.map((p) => applyLinear(w, set.queries[p.query]!));
  const norms = us.map((u) => Math.sqrt(dot(u, u)));
  const zs = us.map((u, i) => u.map((x) => x / norms[i]!));
  const docs = batch.map((p) => set.documents[p.document]!);
  const grad = withGradient ? new Float32Array(d * d) : undefined;
  let loss = 0;
  for (let i = 0; i < b; i++) {
    const rel = relevant.get(batch[i]!.query);
    const logits = new Float64Array(b);
    let max = -Infinity;
    for (let j = 0; j < b; j++) {
      const masked = j !== i && (batch[j]!.document === batch[i]!.document || (rel?.has(batch[j]!.document) ?? false));
      logits[j] = masked ? -Infinity : dot(zs[i]!, docs[j]!) / temperature;
      if (logits[j]! > max) max = logits[j]!;
    }
    let sum = 0;
    for (let j = 0; j < b; j++) sum += Math.exp(logits[j]! - max);
    loss += -(logits[i]! - max - Math.log(sum));
    if (!grad) continue;
    // dL/dz_i = (1 / (B tau)) sum_j (p_ij - [j = i]) d_j
    const g = new Float32Array(d);
    for (let j = 0; j < b; j++) {
      const p = Math.exp(logits[j]! - max) / sum - (j === i ? 1 : 0);
      if (p === 0) continue;
      const c = p / (b * temperature);
      const doc = docs[j]!;
      for (let k = 0; k < d; k++) g[k]! += c * doc[k]!;
    }
    // Through the normalisation z = u / |u|: dL/du = (g - z (z . g)) / |u|; then dL/dW = dL/du q^T.
    const z = zs[i]!;
    const zg = dot(z, g);
    const q = set.queries[batch[i]!.query]!;
    for (let r = 0; r < d; r++) {
      const du = (g[r]! - z[r]! * zg) / norms[i]!;
      if (du === 0) continue;
      const base = r * d;
      for (let c = 0; c < d; c++) grad[base + c]! += du * q[c]!;
    }
  }
  return { loss: loss / b, grad };
}

function batchesOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  // A last batch of one has no negatives: fold it into the previous one.
  if (out.length > 1 && out.at(-1)!.length === 1) out[out.length - 2]!.push(...out.pop()!);
  return out;
}

/** Validation: in-batch loss in fixed batches, and ranking of every validation query against all documents. */
export function evaluateAdapter(
  w: Float32Array,
  set: AdapterTrainingSet,
  pairs: PairIndex[],
  options: Pick<TrainingOptions, 'batchSize' | 'temperature'>,
): RetrievalMetrics {
  const relevant = relevanceOf([...set.train, ...set.validation]);
  const batches = batchesOf(pairs, options.batchSize);
  const loss = batches.reduce((s, batch) => s + batchLoss(w, set, batch, relevant, options.temperature, false).loss * batch.length, 0) / Math.max(1, pairs.length);
  const queries = [...new Set(pairs.map((p) => p.query))];
  const validationRelevant = relevanceOf(pairs);
  let mrr = 0;
  let recall = 0;
  for (const q of queries) {
    const z = l2NormalizeInPlace(applyLinear(w, set.queries[q]!));
    const scores = set.documents.map((doc, i) => ({ i, s: dot(z, doc) }));
    scores.sort((a, b) => b.s - a.s);
    const top = scores.slice(0, 10).map((x) => x.i);
    const rel = validationRelevant.get(q)!;
    const firstHit = top.findIndex((i) => rel.has(i));
    mrr += firstHit >= 0 ? 1 / (firstHit + 1) : 0;
    recall += top.filter((i) => rel.has(i)).length / rel.size;
  }
  const n = Math.max(1, queries.length);
  return { loss, mrrAt10: mrr / n, recallAt10: recall / n };
}

/** Higher validation MRR@10 wins; at equal MRR (small sets saturate it), the lower validation loss. */
function betterThan(a: RetrievalMetrics, b: RetrievalMetrics): boolean {
  return a.mrrAt10 > b.mrrAt10 || (a.mrrAt10 === b.mrrAt10 && a.loss < b.loss);
}

export async function trainLinearAdapter(set: AdapterTrainingSet, options: TrainingOptions, hooks: TrainingHooks = {}): Promise<TrainedAdapter> {
  // The epoch is chosen on the validation pairs: without them epoch 0, the identity, would always be kept.
  if (set.validation.length === 0) throw new Error('adapter training needs validation pairs to choose the epoch on');
  if (set.train.length === 0) throw new Error('adapter training needs training pairs');
  const d = set.dimensions;
  const random = seededRandom(options.seed);
  const relevant = relevanceOf([...set.train, ...set.validation]);
  const w = identity(d);
  const m = new Float32Array(d * d);
  const v = new Float32Array(d * d);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  let step = 0;

  const before = evaluateAdapter(w, set, set.validation, options);
  let best = { epoch: 0, metrics: before, weights: w.slice() };
  const history: EpochReport[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const batches = batchesOf(shuffle(set.train, random), options.batchSize);
    let lossSum = 0;
    for (let bi = 0; bi < batches.length; bi++) {
      if (hooks.signal?.aborted) throw hooks.signal.reason;
      const { loss, grad } = batchLoss(w, set, batches[bi]!, relevant, options.temperature, true);
      lossSum += loss;
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let k = 0; k < w.length; k++) {
        const g = grad![k]!;
        m[k] = beta1 * m[k]! + (1 - beta1) * g;
        v[k] = beta2 * v[k]! + (1 - beta2) * g * g;
        w[k]! -= (options.learningRate * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + eps);
      }
      hooks.onStep?.({ epoch, batch: bi + 1, batches: batches.length, trainLoss: lossSum / (bi + 1) });
      await hooks.yieldControl?.();
    }
    const validation = evaluateAdapter(w, set, set.validation, options);
    const report = { epoch, trainLoss: lossSum / batches.length, validation };
    history.push(report);
    hooks.onEpoch?.(report);
    if (betterThan(validation, best.metrics)) best = { epoch, metrics: validation, weights: w.slice() };
  }
  return { weights: best.weights, history, selectedEpoch: best.epoch, before, after: best.metrics };
}
