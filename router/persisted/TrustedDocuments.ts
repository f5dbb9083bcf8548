import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GraphQLError, Kind, parse } from 'graphql';
import { ConfigError, ErrorCode } from '../../shared';

/**
 * `off`: no lists loaded; clients may still use automatic persisted queries (APQ).
 * `allow`: ids from the lists resolve to their documents (and APQ works); any other document runs too.
 * `enforce`: a client runs only the documents of its own list (by id, or by a body whose hash is in it);
 * everything else is refused with PERSISTED_QUERY_REQUIRED, and APQ registration is off.
 */
export type TrustedDocumentsMode = 'off' | 'allow' | 'enforce';

/** One operation of a list, in Apollo's persisted-query manifest format. */
export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

/**
 * A client build's list: what `npm run persisted-queries` writes from the client's `.graphql` files, and what
 * the client ships (it sends `extensions.persistedQuery.sha256Hash` instead of the document).
 */
export interface Manifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  client: { name: string; version: string };
  operations: ManifestOperation[];
}

export function documentId(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

function refusal(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** The client that sent a request, as `apollographql-client-name` / `-version` name it. */
export interface ClientIdentity {
  name: string | undefined;
  version: string | undefined;
}

/** What an operation of a request carries before it is parsed. */
export interface IncomingOperation {
  query?: unknown;
  extensions?: unknown;
}

/** The trusted-document lists of every client build, loaded once at start-up. */
export class TrustedDocuments {
  private readonly bodies = new Map<string, string>();
  private readonly byClient = new Map<string, Set<string>>();
  /** Every list's operations, once each (by id), in the order the lists name them. */
  private readonly operations = new Map<string, ManifestOperation>();

  constructor(
    readonly mode: TrustedDocumentsMode,
    manifests: Manifest[] = [],
  ) {
    for (const manifest of manifests) {
      const key = clientKey(manifest.client.name, manifest.client.version);
      const ids = this.byClient.get(key) ?? new Set<string>();
      for (const operation of manifest.operations) {
        this.bodies.set(operation.id, operation.body);
        if (!this.operations.has(operation.id)) this.operations.set(operation.id, operation);
        ids.add(operation.id);
      }
      this.byClient.set(key, ids);
    }
  }

  /** Client builds with a list, and how many documents each allows. */
  get clients(): { client: string; documents: number }[] {
    return [...this.byClient].map(([client, ids]) => ({ client, documents: ids.size }));
  }

  /** Every operation of every list, once each: what plan warming plans first. */
  get documents(): readonly ManifestOperation[] {
    return [...this.operations.values()];
  }

  /**
   * Reads every `*.json` list in `dir`. A list that is not a valid manifest, or whose ids are not the SHA-256
   * of their bodies, stops the router from starting, with the file and the problem.
   */
  static load(mode: TrustedDocumentsMode, dir: string | null): TrustedDocuments {
    if (mode === 'off') return new TrustedDocuments(mode);
    if (!dir || !fs.existsSync(dir)) {
      if (mode === 'enforce') throw new ConfigError(`PERSISTED_QUERIES=enforce needs lists in PERSISTED_QUERIES_DIR (${dir ?? 'unset'})`);
      return new TrustedDocuments(mode);
    }
    const manifests = fs
      .readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => readManifest(path.join(dir, file)));
    return new TrustedDocuments(mode, manifests);
  }

  /**
   * Decides what a request's operation runs: `{ query }` (a list's document for its id; the id is then taken
   * off so that APQ does not handle it again), null to leave the request as it is, or a refusal.
   */
  resolve(operation: IncomingOperation, client: ClientIdentity): { query: string } | GraphQLError | null {
    if (this.mode === 'off') return null;
    const hash = persistedHashOf(operation.extensions);
    const allowed = this.byClient.get(clientKey(client.name ?? '', client.version ?? ''));
    const who = client.name ? `client ${client.name} ${client.version ?? '(no version)'}` : 'a request without apollographql-client-name';
    if (hash) {
      const body = this.bodies.get(hash);
      if (this.mode === 'enforce' && !allowed?.has(hash)) {
        return refusal(ErrorCode.PERSISTED_QUERY_NOT_FOUND, `Operation ${hash.slice(0, 12)}… is not in the trusted documents of ${who}.`);
      }
      return body === undefined ? null : { query: body };
    }
    if (this.mode === 'allow') return null;
    if (typeof operation.query === 'string' && allowed?.has(documentId(operation.query))) return null;
    return refusal(
      ErrorCode.PERSISTED_QUERY_REQUIRED,
      `This API runs only trusted documents: send the persisted id of an operation in the list of ${who}.`,
    );
  }
}

function clientKey(name: string, version: string): string {
  return `${name}@${version}`;
}

function persistedHashOf(extensions: unknown): string | null {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const hash = persisted?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : null;
}

function readManifest(file: string): Manifest {
  const fail = (problem: string) => new ConfigError(`trusted documents ${file}: ${problem}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw fail(`not JSON (${(error as Error).message})`);
  }
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1) {
    throw fail('format must be "apollo-persisted-query-manifest", version 1');
  }
  if (typeof manifest.client?.name !== 'string' || typeof manifest.client?.version !== 'string' || !manifest.client.name) {
    throw fail('needs client.name and client.version (what the client sends as apollographql-client-name / -version)');
  }
  if (!Array.isArray(manifest.operations)) throw fail('operations must be an array');
  for (const operation of manifest.operations) {
    if (typeof operation.body !== 'string' || documentId(operation.body) !== operation.id) {
      throw fail(`operation ${operation.name ?? '?'}: id must be the SHA-256 (hex) of its body`);
    }
    try {
      const document = parse(operation.body);
      if (!document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION)) throw new Error('no operation');
    } catch (error) {
      throw fail(`operation ${operation.name ?? operation.id}: ${(error as Error).message}`);
    }
  }
  return manifest;
}

/** Builds a client's list from its operation documents (each `.graphql` file may hold several operations). */
export function buildManifest(client: { name: string; version: string }, documents: { file: string; text: string }[]): Manifest {
  const operations: ManifestOperation[] = [];
  for (const { file, text } of documents) {
    const document = parse(text);
    const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      if (!definition.name) throw new Error(`${file}: every trusted operation needs a name`);
      const body = [definition, ...fragments].map((node) => text.slice(node.loc?.start, node.loc?.end)).join('\n\n');
      operations.push({ id: documentId(body), name: definition.name.value, type: definition.operation, body });
    }
  }
  const names = operations.map((operation) => operation.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`operation ${duplicate} is defined twice`);
  return { format: 'apollo-persisted-query-manifest', version: 1, client, operations };
}
