/** Failures of InfluxDB requests, and whether a retry can help. */

export class InfluxError extends Error {
  override name = 'InfluxError';
  constructor(
    message: string,
    /** HTTP status, undefined for network failures */
    readonly status: number | undefined,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

export function isRetriable(e: unknown): boolean {
  return e instanceof InfluxError && e.retriable;
}

export function networkError(url: string, e: unknown): InfluxError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code;
  const why =
    err.name === 'TimeoutError' || err.name === 'AbortError'
      ? 'timed out'
      : code === 'ECONNREFUSED'
        ? 'connection refused'
        : (code ?? err.cause?.message ?? err.message ?? String(e));
  return new InfluxError(`cannot reach InfluxDB at ${url}: ${why}`, undefined, true);
}

export function httpError(what: string, status: number, body: string): InfluxError {
  let msg = body.trim();
  try {
    const j = JSON.parse(body) as { error?: string; message?: string };
    msg = j.error ?? j.message ?? msg;
  } catch {
    // plain text
  }
  return new InfluxError(`${what}: HTTP ${status}${msg ? `: ${msg}` : ''}`, status, status >= 500 || status === 429 || status === 408);
}
