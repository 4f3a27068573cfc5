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

/**
 * The key a client address is limited under: an IPv4 address as it is (written as IPv4-mapped IPv6
 * too), an IPv6 address by its /64, which one host or subscriber gets whole and could otherwise
 * walk through to escape the limit. Anything else as it is.
 */
export function limitKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const plain = address.split('%')[0]!.toLowerCase();
  // Groups of 16 bits; an embedded IPv4 address (the last 32 bits) counts as two.
  const groupsOf = (s: string | undefined) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head, tail] = plain.split('::') as [string, string | undefined];
  const [before, after] = [groupsOf(head), groupsOf(tail)];
  const groups = tail === undefined ? before : [...before, ...Array<string>(Math.max(0, 8 - before.length - after.length)).fill('0'), ...after];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return address;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
