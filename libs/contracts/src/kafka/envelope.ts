// Every Kafka event shares this envelope: consumers deduplicate by `eventId`, and `occurredAt`
// orders events of one entity. The message key is always the entity id named by the topic.
import { z } from 'zod';

export const eventEnvelope = z.object({
  eventId: z.uuid(),
  occurredAt: z.iso.datetime(),
});
