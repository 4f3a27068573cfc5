// Configuration: one zod schema per program, parsed once at boot. A missing or invalid setting
// stops the process with exit code 1 and the setting's name. The offending value is printed too
// (it helps), except for settings named like secrets (…_SECRET, …_KEY, …_PASSWORD, …_TOKEN),
// and with the credentials of URLs masked.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Settings whose values are never printed: a part of the name (between `_`) that names a secret,
 * key, password, token or credential (`INTERNAL_AUTH_SECRET`, `OPENAI_BACKEND_API_KEY`,
 * `KAFKA_SASL_PASSWORD`, `GITHUB_TOKEN`), but not counts of tokens (`GRAPHQL_MAX_TOKENS`).
 */
const secretPart = /SECRET|PASSW(?:OR)?D|PASSPHRASE|CREDENTIAL|KEYS?$|TOKEN$/;
const isSecretName = (name: string) => name.toUpperCase().split(/[_.-]/).some((part) => secretPart.test(part));

/** `value` with the user info of every URL in it masked: `postgres://app:***@db/x`, `https://***@host`. */
export function maskUrlCredentials(value: string): string {
  return value.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s@]*)@/g, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon > 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

/** How a problem names the setting's value: never a secret's, URLs without their credentials. */
function shownValue(name: string, value: string): string {
  return isSecretName(name) ? ' (value hidden)' : `=${JSON.stringify(maskUrlCredentials(value))}`;
}

/** Parses `env` with `schema`; throws a ConfigError naming every offending setting. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      const key = issue.path[0];
      const value = typeof key === 'string' ? env[key] : undefined;
      return value === undefined ? `${name}: ${issue.message}` : `${name}${shownValue(key as string, value)}: ${issue.message}`;
    }),
  );
}

/** The only reader of process.env in a program: parse it or exit(1) naming the settings at fault. */
export function loadConfig<S extends z.ZodType>(schema: S): z.infer<S> {
  try {
    return parseConfig(schema, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

// Building blocks shared by every program's schema.
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const commaList = z
  .string()
  .min(1)
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(1)).min(1));
export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Settings every service and the gateway have. */
export const commonEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port(0),
  /** Largest accepted HTTP request body. */
  HTTP_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * How long an idle keep-alive connection is kept open. Longer than the clients' own idle
   * timeouts (undici: the server's hint less 1-2 s; proxies typically 60 s), so that the client
   * closes first: a server that closes first races a request the client is already sending on
   * that connection, which the client sees as a reset ("fetch failed: other side closed").
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(65_000),
  /** How long shutdown may take; the servers let requests and calls in flight run until 5 s before its end. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  /** Refuse requests without a valid identity; default: on in production (see identity/internal-auth.ts). */
  AUTH_REQUIRED: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /** Shared by every program of a deployment: signs and verifies the internal identity header. */
  INTERNAL_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  INTERNAL_AUTH_TTL_SECONDS: z.coerce.number().int().positive().default(300),
  /** Mask e-mail addresses, phone, card and IBAN numbers and IPv4 addresses in logs, events' personal fields and spans. */
  REDACT_PII: booleanFlag(false),
});
export type CommonConfig = z.infer<typeof commonEnv>;
