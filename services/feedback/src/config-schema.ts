import { z } from 'zod';
import { commonEnv, port } from '@llmops/platform';

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4005),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
});

export type Config = z.infer<typeof configSchema>;
