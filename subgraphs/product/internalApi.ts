import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { AppError, ErrorCode, HttpError, hasBearerToken, type Logger, type Route, readBody, sendJson, settleWrites } from '../../shared';
import { confirmReservation, type RequestedLine, releaseStock, reserveStock } from './reservations';

/**
 * The product subgraph's internal API: stock reservation for checkout. It is not part of the supergraph;
 * only the order subgraph calls it, with the service credential (`Authorization: Bearer INTERNAL_API_TOKEN`).
 *
 * - `POST /internal/reservations` `{ reservationKey, lines: [{ productId, quantity }] }` → `{ reservationKey, lines: [{ productId, quantity, unitPriceCents, currency }] }`
 * - `POST /internal/reservations/release` `{ reservationKey }` → `{ reservationKey, status: "released" }`
 * - `POST /internal/reservations/confirm` `{ reservationKey }` → `{ reservationKey, status: "confirmed" }`
 *
 * Errors are `{ error: { code, message, ...details } }` with 400, 401, 404, 409 or 422. A call on a user's behalf
 * names them in `x-user-id` (trusted here behind the service credential), so that what it changed counts as their
 * write for read-your-writes.
 */
export function internalApiRoutes(dataSource: DataSource, token: string, logger: Logger): Route[] {
  const STATUS_BY_CODE: Partial<Record<string, number>> = {
    [ErrorCode.PRODUCT_NOT_FOUND]: 404,
    [ErrorCode.INSUFFICIENT_STOCK]: 409,
    [ErrorCode.IDEMPOTENCY_CONFLICT]: 409,
    [ErrorCode.INVALID_QUANTITY]: 422,
    [ErrorCode.INVALID_ORDER]: 422,
  };
  const endpoint =
    (work: (body: Record<string, unknown>) => Promise<unknown>) =>
    async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      if (req.method !== 'POST') throw new HttpError(405, ErrorCode.BAD_REQUEST, 'Use POST.', { allow: 'POST' });
      if (!hasBearerToken(req, token)) throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'A service credential is required.');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.');
      }
      const key = body?.reservationKey;
      if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(key)) {
        throw new HttpError(400, ErrorCode.BAD_REQUEST, 'reservationKey must be 8 to 64 characters of [A-Za-z0-9_-].');
      }
      try {
        const result = await work(body);
        // Stock taken or given back on a user's behalf (x-user-id): their next reads see it, on any replica.
        await settleWrites();
        sendJson(res, 200, result);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logger.info({ code: error.code, reservationKey: key }, 'reservation refused');
        sendJson(res, STATUS_BY_CODE[error.code] ?? 400, { error: { message: error.message, ...error.extensions } });
      }
    };
  return [
    {
      path: '/internal/reservations',
      handler: endpoint(async (body) => {
        const lines = parseLines(body.lines);
        const reservationKey = body.reservationKey as string;
        return { reservationKey, lines: await reserveStock(dataSource, reservationKey, lines) };
      }),
    },
    {
      path: '/internal/reservations/release',
      handler: endpoint(async (body) => ({
        reservationKey: body.reservationKey,
        status: await releaseStock(dataSource, body.reservationKey as string),
      })),
    },
    {
      path: '/internal/reservations/confirm',
      handler: endpoint(async (body) => ({
        reservationKey: body.reservationKey,
        status: await confirmReservation(dataSource, body.reservationKey as string),
      })),
    },
  ];
}

function parseLines(value: unknown): RequestedLine[] {
  if (!Array.isArray(value)) throw new HttpError(400, ErrorCode.BAD_REQUEST, 'lines must be an array.');
  return value.map((line) => {
    if (typeof line?.productId !== 'string' || typeof line?.quantity !== 'number') {
      throw new HttpError(400, ErrorCode.BAD_REQUEST, 'Each line needs a string productId and a numeric quantity.');
    }
    return { productId: line.productId, quantity: line.quantity };
  });
}
