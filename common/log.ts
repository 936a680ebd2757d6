/**
 * Structured logging: one JSON object per line on stderr, so log collectors need no parser.
 * Callers must never pass secrets (tokens, keys) as fields.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

let minLevel: LogLevel = (process.env.LOG_LEVEL as LogLevel) in order ? (process.env.LOG_LEVEL as LogLevel) : 'info';

export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

export function createLogger(component: string, sink: LogSink = process.stderr): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < order[minLevel]) return;
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, component, msg, ...fields };
    sink.write(JSON.stringify(rec) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`, sink),
  };
}

/** A logger that records lines in memory, for tests that assert on (or against) log content. */
export function memoryLogger(component = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(component, { write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
