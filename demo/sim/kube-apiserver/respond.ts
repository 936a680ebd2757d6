/** How the fake kube-apiserver answers: JSON bodies and metav1.Status failures, as the real server does. */
import type { ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, code: number, obj: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A metav1.Status failure, as the kube-apiserver sends for every error. */
export function sendStatus(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}, reason?: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: reason ?? REASONS[code] ?? 'Unknown', code }, headers);
}
