/** Shapes shared by the exposition parser, merger and serializer. */

export type ExpositionFormat = 'text' | 'openmetrics';

/** Text 0.0.4 types plus the OpenMetrics 1.0 ones. */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'gaugehistogram'
  | 'stateset'
  | 'info';

/**
 * One metric family of one pod, already transformed (labels injected, relabeled).
 * `chunks` hold rendered sample lines (UTF-8, each ending in `\n`) in the pod's own format.
 */
export interface PodFamily {
  name: string;
  type: MetricType;
  /** Whether the type came from a TYPE line (false: inferred from a sample name). */
  typed: boolean;
  /** HELP text exactly as escaped in the source format. */
  help: string | undefined;
  unit: string | undefined;
  chunks: Uint8Array[];
  samples: number;
}

/** Everything one pod contributed, in the format it answered in. */
export interface PodExposition {
  format: ExpositionFormat;
  families: PodFamily[];
  /** Samples kept after relabeling. */
  samples: number;
  /** Samples dropped by relabel rules (metricRelabelings and the MetricsSet). */
  dropped: number;
  lines: number;
}

/** A line that cannot be parsed: the whole pod payload is dropped, never the response. */
export class ExpositionParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
    readonly reason: ParseFailureReason = 'parse_error',
  ) {
    super(line > 0 ? `line ${line}: ${detail}` : detail);
    this.name = 'ExpositionParseError';
  }
}

export type ParseFailureReason = 'parse_error' | 'invalid_utf8' | 'type_conflict';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
