import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../RouterContext';

/**
 * A response built for a signed-in caller is never shared: its cache scope is PRIVATE whatever the subgraphs'
 * hints say (a CDN keeps only public responses), and responses vary by Authorization.
 */
export function privateWhenSignedIn(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(context) {
          if (context.contextValue.caller.userId) context.overallCachePolicy.restrict({ scope: 'PRIVATE' });
        },
        async willSendResponse(context) {
          context.response.http.headers.set('vary', 'origin, authorization');
        },
      };
    },
  };
}
