import { startTracing } from '@llmops/platform/tracing';

export const tracing = startTracing('gateway');
