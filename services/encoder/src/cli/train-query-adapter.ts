// Trains a query adapter from the command line with the service's own domain code (the same job
// as the trainQueryAdapter mutation), logging progress; settings come from the environment as for
// the service (MODEL_DIR, ENCODER_MODELS, ENCODER_ADAPTER_DIR, ENCODER_DATASET_DIR, ...).
//   MODEL_DIR=~/.cache/llmops/models ENCODER_DATASET_DIR=/work/shared/data \
//     node services/encoder/dist/cli/train-query-adapter.js --name scifact-minilm [--dataset beir-scifact]
//     [--base-model all-minilm-l6-v2-q] [--epochs 8] [--batch-size 32] [--learning-rate 0.0005]
//     [--temperature 0.05] [--validation-fraction 0.1] [--seed 42]
import { parseArgs } from 'node:util';
import { createLogger, runMain } from '@llmops/platform';
import { config } from '../config';
import { buildEncoder } from '../build-encoder';
import { BeirDatasetSource } from '../adapters/beir-dataset.fs';
import { TrainingJobs, trainingDefaults } from '../domain/training-jobs';
import { trainingProgressLogger } from '../training-log';

runMain(async () => {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      dataset: { type: 'string', default: 'beir-scifact' },
      'base-model': { type: 'string' },
      epochs: { type: 'string', default: String(trainingDefaults.epochs) },
      'batch-size': { type: 'string', default: String(trainingDefaults.batchSize) },
      'learning-rate': { type: 'string', default: String(trainingDefaults.learningRate) },
      temperature: { type: 'string', default: String(trainingDefaults.temperature) },
      'validation-fraction': { type: 'string', default: String(trainingDefaults.validationFraction) },
      seed: { type: 'string', default: String(trainingDefaults.seed) },
    },
  });
  if (!values.name) throw new Error('--name is required (the adapter name; each run stores its next version)');
  const logger = createLogger('encoder-train', config.LOG_LEVEL);
  const encoder = await buildEncoder(config);
  try {
    const jobs = new TrainingJobs(encoder.embeddings, new BeirDatasetSource(config.ENCODER_DATASET_DIR ?? null), encoder.adapters, trainingProgressLogger(logger, 1_000));
    const { done } = await jobs.start({
      name: values.name,
      baseModel: values['base-model'] ?? null,
      dataset: values.dataset,
      split: 'train',
      epochs: Number(values.epochs),
      batchSize: Number(values['batch-size']),
      learningRate: Number(values['learning-rate']),
      temperature: Number(values.temperature),
      validationFraction: Number(values['validation-fraction']),
      seed: Number(values.seed),
    });
    const job = await done;
    if (job.status !== 'SUCCEEDED' || !job.adapter) throw new Error(`training failed: ${job.error}`);
    const { name, version, validation, training } = job.adapter;
    process.stdout.write(
      `${JSON.stringify({ adapter: `${name}@${version}`, dir: config.ENCODER_ADAPTER_DIR, selectedEpoch: training.selectedEpoch, validation, seconds: (Date.now() - job.startedAt.getTime()) / 1000 }, null, 2)}\n`,
    );
  } finally {
    await encoder.close();
  }
});
