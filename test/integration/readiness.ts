// Waits until every program of the shared stack answers /readyz with 200: fault tests end with it,
// so the files that run after them find the stack as they expect.
import { waitFor } from '@llmops/testkit';
import type { IntegrationContext } from './context';

export async function allReady(ctx: IntegrationContext, timeoutMs = 180_000): Promise<void> {
  let notReady: string[] = [];
  try {
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          ctx.programs.map((p) => fetch(`${p.httpUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0)),
        );
        notReady = ctx.programs.filter((_, i) => statuses[i] !== 200).map((p) => `${p.name} (log: ${p.logFile})`);
        return notReady.length === 0;
      },
      { timeoutMs, what: 'every program to report ready again', intervalMs: 500 },
    );
  } catch (err) {
    throw new Error(`not ready again: ${notReady.join(', ')}`, { cause: err });
  }
}
