// The credentials a local stack runs with: a fresh internal secret (subgraphs and gRPC servers
// require the signed identity header) and an admin API key for the default project, made by the
// gateway at start (AUTH_BOOTSTRAP_API_KEY). Tests and tools that talk to a subgraph or a gRPC
// server directly sign an identity with the secret, as the gateway does.
import { randomBytes } from 'node:crypto';
import { InterceptingCall, Metadata, type ClientOptions, type Interceptor } from '@grpc/grpc-js';
import { anonymousIdentity, identityHeader, InternalTokens, type Identity } from '@llmops/platform';

export interface StackAuth {
  internalSecret: string;
  /** Admin of the default project. */
  adminApiKey: string;
}

export function generateStackAuth(): StackAuth {
  const id = Array.from(randomBytes(12), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return { internalSecret: randomBytes(32).toString('base64url'), adminApiKey: `llm_${id}_${randomBytes(32).toString('base64url')}` };
}

/** Headers that make a direct subgraph request come from `identity` (default: admin of the default project). */
export function identityHeaders(secret: string, identity: Identity = anonymousIdentity): Record<string, string> {
  return { [identityHeader]: new InternalTokens({ secret }).sign(identity) };
}

/** gRPC metadata carrying `identity` (see identityHeaders). */
export function identityMetadata(secret: string, identity: Identity = anonymousIdentity): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(identityHeaders(secret, identity))) metadata.set(key, value);
  return metadata;
}

/** gRPC client options whose every call carries `identity` signed with `secret`. */
export function signedClientOptions(secret: string, identity: Identity = anonymousIdentity): ClientOptions {
  const interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.merge(identityMetadata(secret, identity));
        next(metadata, listener);
      },
    });
  return { interceptors: [interceptor] };
}
