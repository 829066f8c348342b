import type { EmulatorResponse, ErrorResponder } from '@capital/core/testing';
import { jsonResponse } from '@capital/core/testing';

/**
 * A JSON error in the real API's shape, `{ "message": … }`.
 *
 * @param status - HTTP status.
 * @param message - What went wrong; never include the API token.
 * @returns The response.
 * @example errorResponse(401, 'Invalid API token.')
 */
export function errorResponse(status: number, message: string): EmulatorResponse {
  return jsonResponse(status, { message });
}

/** Words the kit's errors (404, 405, 401, 429, JSON 5xx) as World Trading Data did. */
export const wtdErrorResponse: ErrorResponder = (error) => errorResponse(error.status, error.message);
