import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ServerError } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { sortTopLevelDefinitions } from '@apollo/persisted-query-lists';
import { type DocumentNode, print } from 'graphql';
import { navigate } from './routing';
import { currentSession, setSession } from './session';

/** What the storefront's server tells the app at start (`/config.json`): where the router is. */
export interface StorefrontConfig {
  graphqlUrl: string;
}

declare const __CLIENT_NAME__: string;
declare const __CLIENT_VERSION__: string;

export const CLIENT_NAME = __CLIENT_NAME__;
export const CLIENT_VERSION = __CLIENT_VERSION__;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The id of a document as this client sends it: the SHA-256 of the printed document after Apollo Client's
 * transforms (the cache adds __typename), with top-level definitions sorted as the manifest generator does.
 * The build's trusted-document list is made from the same documents run through the same client.
 */
export function documentId(document: DocumentNode): Promise<string> {
  return sha256Hex(print(sortTopLevelDefinitions(document)));
}

export function createClient(config: StorefrontConfig): ApolloClient {
  const withToken = new SetContextLink((context) => {
    const session = currentSession();
    return session ? { headers: { ...context.headers, authorization: `Bearer ${session.token}` } } : {};
  });
  // A 401 means the token is malformed, expired or signed with another key: drop it and ask the person to sign
  // in again, whatever page they were on (never a blank page).
  const signInAgain = new ErrorLink(({ error }) => {
    if (ServerError.is(error) && error.statusCode === 401 && currentSession()) {
      setSession(null);
      navigate('/sign-in', { reason: 'expired' });
    }
  });
  // Queries go as GETs of their id (cacheable by the browser and CDNs); mutations as POSTs of their id.
  const persisted = new PersistedQueryLink({ generateHash: documentId, useGETForHashedQueries: true });
  const http = new HttpLink({
    uri: config.graphqlUrl,
    // The router's CSRF prevention wants a GET to carry a header that forces a CORS preflight.
    headers: { 'apollo-require-preflight': 'true' },
  });
  return new ApolloClient({
    link: ApolloLink.from([signInAgain, withToken, persisted, http]),
    cache: new InMemoryCache(),
    // Sent as apollographql-client-name/-version: the router finds this build's trusted documents by them.
    clientAwareness: { name: CLIENT_NAME, version: CLIENT_VERSION },
  });
}
