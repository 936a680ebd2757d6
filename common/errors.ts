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
  return err instanceof Error ? err.message : String(err);
}
