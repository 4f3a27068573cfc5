// kafkajs 2.2.4 (its last release) keeps every broker connection in a 1 ms timer loop: its request
// queue reschedules its pending-request check after every check, even with nothing pending and no
// throttle in force, and the delay it computes then is negative (tulios/kafkajs#1556, #1604; the
// fix of tulios/kafkajs#1667 was never released). Measured here: the retrieval service, idle,
// woke 874 times a second and used 0.05 cores. This puts the fixed method on the queue's
// prototype, once, before the platform creates a Kafka client: nothing is scheduled when nothing
// waits and nothing is throttled. Nothing is lost by it: a request pushed later is sent at once or,
// if it has to wait, schedules its own check, and every answered request checks the queue again.
// Other versions are left alone (the loop may be fixed there, or the file moved).
import { createRequire } from 'node:module';

/** The version whose request queue this fixes. */
export const fixedKafkaJsVersion = '2.2.4';
/** kafkajs's own interval between checks while requests wait (src/network/requestQueue). */
const checkPendingRequestsIntervalMs = 10;

interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

const marker = Symbol.for('llmops.kafkajs.idle-loop-fix');

function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : checkPendingRequestsIntervalMs;
  else if (scheduleAt <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

/** Applies the fix to the kafkajs that `from` resolves; true when the queue now has it. */
export function fixKafkaJsIdleLoop(from: string = __filename): boolean {
  const load = createRequire(from);
  const { version } = load('kafkajs/package.json') as { version: string };
  if (version !== fixedKafkaJsVersion) return false;
  const RequestQueue = load('kafkajs/src/network/requestQueue') as { prototype: Record<string | symbol, unknown> };
  if (!RequestQueue.prototype[marker]) {
    RequestQueue.prototype['scheduleCheckPendingRequests'] = scheduleCheckPendingRequests;
    RequestQueue.prototype[marker] = true;
  }
  return true;
}
