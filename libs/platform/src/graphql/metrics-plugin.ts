import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Metrics } from '../metrics';

/** Records every operation's duration by operation type and outcome. */
export function metricsPlugin<T extends BaseContext>(metrics: Metrics): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const end = metrics.graphqlOperationDuration.startTimer();
      return {
        async willSendResponse({ operation, errors, response }) {
          const body = response.body;
          const failed = (errors?.length ?? 0) > 0 || (body.kind === 'single' && (body.singleResult.errors?.length ?? 0) > 0);
          end({ operation_type: operation?.operation ?? 'unknown', outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}
