// The address a request comes from, for limits per client. Behind N proxies that each append the
// address they received the request from to X-Forwarded-For (an ingress controller, a load
// balancer), the client's is the N-th from the right; earlier entries are whatever the client
// chose to send and are never trusted. With no proxy in front (N = 0) it is the socket's peer.
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  // From the right: what each trusted proxy saw, starting with the one nearest this gateway.
  const chain = [peer, ...forwarded.reverse()];
  return chain[Math.min(trustedProxyHops, chain.length - 1)]!;
}
