export * from './kafka/topics';
export * as health from './generated/grpc/health/v1/health';
export * as promptRegistryV1 from './generated/llmops/prompt_registry/v1/prompt_registry';
