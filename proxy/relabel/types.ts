/**
 * Relabeling, as prometheus-operator's RelabelConfig (camelCase keys) describes it.
 * Semantics are Prometheus's own (model/relabel): anchored RE2-style regexes, `$1`/`${1}` expansion.
 */
export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

/** A rule as written in config files (prometheus-operator RelabelConfig; snake_case Prometheus keys accepted too). */
export interface RelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: string;
}

/** A validated, compiled rule. */
export interface RelabelRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly targetLabel: string;
  /** Anchored (`^(?:...)$`) translation of the configured regex. */
  readonly regex: RegExp;
  readonly regexSource: string;
  readonly modulus: number;
  readonly replacement: string;
  /** Capture-group indexes by Go group name (`(?P<name>…)`); filled by compileRelabelConfigs. */
  readonly groupNames?: ReadonlyMap<string, readonly number[]>;
  /** Precomputed evaluation data; filled by compileRelabelConfigs, derived lazily for hand-built rules. */
  readonly plan?: RulePlan;
}

/** A sample's label set including `__name__`. Insertion order is kept for output. */
export type LabelSet = Map<string, string>;

/**
 * A parsed `$` template (Go `regexp.Expand`): literal text, a capture-group index, or — for a group
 * name that several groups share — the candidate indexes, of which the first that took part wins.
 */
export type TemplatePart = string | number | readonly number[];

/** Per-rule data derived once at compile time so that applying a rule does no setup per sample. */
export interface RulePlan {
  /** The only source label when there is exactly one (no join needed), else null. */
  readonly singleSource: string | null;
  /** Parsed `targetLabel` when it contains `$` (replace), else null: the name is used as is. */
  readonly target: readonly TemplatePart[] | null;
  /** Parsed `replacement` when it contains `$`, else null: the text is used as is. */
  readonly replacement: readonly TemplatePart[] | null;
  /** `modulus` as a BigInt, for hashmod. */
  readonly modulus: bigint;
  /** A `g` copy of the regex for labelmap's replace-all (null for other actions). */
  readonly global: RegExp | null;
}

