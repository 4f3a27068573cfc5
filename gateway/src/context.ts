import type { Identity } from '@llmops/platform';

/** What the gateway knows of a request: who sent it. */
export interface GatewayContext {
  identity: Identity;
}
