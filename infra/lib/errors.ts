/**
 * The one error every construct in infra/ throws for a bad prop.
 *
 * `prop` is the key path of the offending prop inside the props object the caller passed
 * (e.g. `routeHost`, `resources.limits.memory`, `resolver.replicas` for the chart), so infra/app.ts
 * can translate it into a location in the clusters file.
 */
export class InvalidPropsError extends Error {
  override name = 'InvalidPropsError';

  constructor(
    /** The construct (class) that rejected the props, e.g. `MetricsProxy`. */
    readonly construct: string,
    /** Key path of the prop, e.g. `replicas` or `resources.requests.cpu`. */
    readonly prop: string,
    /** What is wrong and what would be right. */
    readonly detail: string,
  ) {
    super(`${construct}: invalid prop '${prop}': ${detail}`);
  }

  /** The same error with `prefix.` in front of the prop path (for composite constructs). */
  withPrefix(prefix: string, construct = this.construct): InvalidPropsError {
    return new InvalidPropsError(construct, prefix ? `${prefix}.${this.prop}` : this.prop, this.detail);
  }
}
