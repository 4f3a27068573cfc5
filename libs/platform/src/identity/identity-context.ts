// The identity a piece of work runs as, carried through async calls the way trace context is,
// so outgoing gRPC calls sign it without every layer passing it along. Data access still takes
// the project id explicitly; this only answers "who do I say I am to a peer".
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Identity } from './identity';

const storage = new AsyncLocalStorage<Identity>();

export function runAs<T>(identity: Identity, fn: () => T): T {
  return storage.run(identity, fn);
}

export function currentIdentity(): Identity | undefined {
  return storage.getStore();
}
