// Every Kafka event shares this envelope: consumers deduplicate by `eventId`, `occurredAt`
// orders events of one entity, and `projectId` says whose it is. The message key is always the entity id named by the topic.
import { z } from 'zod';

export const eventEnvelope = z.object({
  eventId: z.uuid(),
  occurredAt: z.iso.datetime(),
  /** The project the entity belongs to (events written before projects existed: `default`). */
  projectId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .default('default'),
});
