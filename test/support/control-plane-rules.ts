/**
 * Rules of the kind users already run for the control plane, written here in the style of the
 * kubernetes-mixin as kube-prometheus renders it (not copied from it): API-server error-budget burn rate
 * and availability recording rules, latency quantiles over histograms, and `absent(up{job=...} == 1)`
 * down alerts plus a TargetDown-style ratio alert. `forSeconds` is short so a test sees alerts fire.
 */
import YAML from 'yaml';

/** Long-running and streaming subresources, left out of latency SLOs as the mixin does. */
const NOT_LONG_RUNNING = 'subresource!~"proxy|attach|log|exec|portforward"';

export interface ControlPlaneRuleNames {
  recording: string[];
  /** Alert name → the job whose pods it watches (absent(up == 1) alerts). */
  downAlerts: Record<string, string>;
  targetDown: string;
}

export const RULE_NAMES: ControlPlaneRuleNames = {
  recording: [
    'apiserver_request:burnrate5m',
    'apiserver_request:burnrate30m',
    'code_verb:apiserver_request_total:increase1h',
    'code:apiserver_request_total:increase30d',
    'apiserver_request:availability30d',
    'cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile',
    'verb:apiserver_request_duration_seconds:p99',
    'instance:etcd_disk_wal_fsync_duration_seconds:p99',
  ],
  downAlerts: { KubeAPIDown: 'apiserver', EtcdDown: 'etcd', KubeControllerManagerDown: 'kube-controller-manager' },
  targetDown: 'TargetDown',
};

function burnrate(window: string): string {
  const read = `job="apiserver",verb=~"LIST|GET"`;
  return [
    '(',
    `  (`,
    `    sum by (cluster) (rate(apiserver_request_sli_duration_seconds_count{${read},${NOT_LONG_RUNNING}}[${window}]))`,
    `    - sum by (cluster) (rate(apiserver_request_sli_duration_seconds_bucket{${read},${NOT_LONG_RUNNING},le="1"}[${window}]))`,
    `  )`,
    `  + sum by (cluster) (rate(apiserver_request_total{${read},code=~"5.."}[${window}]) or vector(0))`,
    ')',
    `/ sum by (cluster) (rate(apiserver_request_total{${read}}[${window}]))`,
  ].join('\n');
}

export function controlPlaneRules(forSeconds = 2): string {
  const forDuration = `${forSeconds}s`;
  return YAML.stringify({
    groups: [
      {
        name: 'kube-apiserver-burnrate.rules',
        rules: [
          { record: 'apiserver_request:burnrate5m', expr: burnrate('5m'), labels: { verb: 'read' } },
          { record: 'apiserver_request:burnrate30m', expr: burnrate('30m'), labels: { verb: 'read' } },
        ],
      },
      {
        name: 'kube-apiserver-availability.rules',
        rules: [
          { record: 'code_verb:apiserver_request_total:increase1h', expr: 'sum by (cluster, code, verb) (increase(apiserver_request_total{job="apiserver",verb=~"LIST|GET|POST|PUT|PATCH|DELETE"}[1h]))' },
          { record: 'code:apiserver_request_total:increase30d', expr: 'sum by (cluster, code) (increase(apiserver_request_total{job="apiserver"}[30d]))' },
          {
            record: 'apiserver_request:availability30d',
            expr: '1 - (sum by (cluster) (code:apiserver_request_total:increase30d{code=~"5.."}) or vector(0)) / sum by (cluster) (code:apiserver_request_total:increase30d)',
            labels: { verb: 'all' },
          },
        ],
      },
      {
        name: 'kube-apiserver-histogram.rules',
        rules: [
          {
            record: 'cluster_quantile:apiserver_request_sli_duration_seconds:histogram_quantile',
            expr: `histogram_quantile(0.99, sum by (cluster, le, resource) (rate(apiserver_request_sli_duration_seconds_bucket{job="apiserver",verb=~"LIST|GET",${NOT_LONG_RUNNING}}[5m]))) > 0`,
            labels: { quantile: '0.99', verb: 'read' },
          },
          { record: 'verb:apiserver_request_duration_seconds:p99', expr: 'histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{job="apiserver"}[5m])))' },
          { record: 'instance:etcd_disk_wal_fsync_duration_seconds:p99', expr: 'histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{job="etcd"}[5m])))' },
        ],
      },
      {
        name: 'kubernetes-system-control-plane',
        rules: [
          ...Object.entries(RULE_NAMES.downAlerts).map(([alert, job]) => ({
            alert,
            expr: `absent(up{job="${job}"} == 1)`,
            for: forDuration,
            labels: { severity: 'critical' },
            annotations: { summary: `Target ${job} disappeared from Prometheus target discovery.` },
          })),
          {
            alert: RULE_NAMES.targetDown,
            expr: '100 * (count by (job, namespace, service) (up == 0) / count by (job, namespace, service) (up)) > 10',
            for: forDuration,
            labels: { severity: 'warning' },
            annotations: { summary: 'Some targets were not reachable.' },
          },
        ],
      },
    ],
  });
}
