import { STATUS_CODES } from 'node:http';

/** A configuration problem, located by the key path inside the document (e.g. `components[2].metricsPort`). */
export class ConfigError extends Error {
  constructor(
    readonly keyPath: string,
    readonly detail: string,
    readonly source?: string,
  ) {
    super(`${source ? source + ': ' : ''}${keyPath ? keyPath + ': ' : ''}${detail}`);
    this.name = 'ConfigError';
  }
}

/** The message of any thrown value, for logs and error responses. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return apiExceptionMessage(err) ?? err.message;
}

/**
 * client-node's ApiException puts the whole response, headers included, into its message; an operator
 * needs the status and the API server's own explanation (a Status object's message).
 */
function apiExceptionMessage(err: Error): string | undefined {
  const { code, body } = err as { code?: unknown; body?: unknown };
  if (typeof code !== 'number' || !err.message.startsWith('HTTP-Code:')) return undefined;
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body.trim() === '' ? undefined : { message: body.trim() };
    }
  }
  const message = typeof parsed === 'object' && parsed !== null ? (parsed as { message?: unknown }).message : undefined;
  const detail = typeof message === 'string' && message !== '' ? `: ${message.slice(0, 300)}` : '';
  const reason = STATUS_CODES[code];
  return `kube-apiserver answered HTTP ${code}${reason ? ` ${reason}` : ''}${detail}`;
}
