import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit } from 'graphql';
import { ErrorCode } from '../../shared';
import { RESERVED_ALIAS_PREFIX } from './ResponseKeyCollisions';

function notSupported(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/**
 * Refuses, before anything is planned or priced, what the router cannot execute: a subscription (no Node
 * gateway runs one; stock `@apollo/gateway` plans it and then fails with a 500) gets 400
 * SUBSCRIPTIONS_NOT_SUPPORTED, and an alias under the prefix the router reserves for its own renames
 * (`ResponseKeyCollisions`) gets 400 OPERATION_NOT_SUPPORTED naming the field.
 */
export function unsupportedOperationsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, source }) {
          if (operation?.operation === 'subscription') {
            throw notSupported(
              ErrorCode.SUBSCRIPTIONS_NOT_SUPPORTED,
              'Subscriptions are not supported by this router: it answers queries and mutations over HTTP. Poll with a query instead.',
            );
          }
          // The text is looked at first: only a document that contains the prefix is walked.
          if (!source.includes(RESERVED_ALIAS_PREFIX)) return;
          let reserved: string | null = null;
          visit(document, {
            Field(node) {
              if (reserved === null && node.alias?.value.startsWith(RESERVED_ALIAS_PREFIX))
                reserved = `${node.alias.value}: ${node.name.value}`;
            },
          });
          if (reserved !== null) {
            throw notSupported(
              ErrorCode.OPERATION_NOT_SUPPORTED,
              `The selection "${reserved}" uses an alias beginning with ${RESERVED_ALIAS_PREFIX}, which the router reserves: choose another alias.`,
            );
          }
        },
      };
    },
  };
}
