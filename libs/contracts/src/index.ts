export * from './kafka/topics';
export * as health from './generated/grpc/health/v1/health';
export * as promptRegistryV1 from './generated/llmops/prompt_registry/v1/prompt_registry';
export * as encoderV1 from './generated/llmops/encoder/v1/encoder';
export * as retrievalV1 from './generated/llmops/retrieval/v1/retrieval';
export * from './packed-vectors';
export * as generationV1 from './generated/llmops/generation/v1/generator';
