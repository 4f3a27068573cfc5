// Runs JwtVerifier in a plain Node process (jose is ESM-only, which Jest's CommonJS runtime cannot
// load): reads { jwksUrl, issuer, audience, tokens } as JSON on stdin and writes, per token, the
// identity or the error's code and details as JSON on stdout. Used by jwt.unit.test.ts.
import { JwtVerifier } from '../src/auth/jwt';

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const { jwksUrl, issuer, audience, tokens } = JSON.parse(input) as { jwksUrl: string; issuer: string; audience: string; tokens: Record<string, string> };
  const verifier = new JwtVerifier({ jwksUrl, issuer, audience, projectClaim: 'project', roleClaim: 'role' });
  const out: Record<string, unknown> = {};
  for (const [name, token] of Object.entries(tokens)) {
    try {
      out[name] = await verifier.verify(token);
    } catch (err) {
      const e = err as { code?: unknown; details?: unknown; message?: unknown };
      out[name] = { error: { code: e.code, details: e.details, message: e.message } };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

void main();
