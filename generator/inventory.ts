/**
 * Reads what the configuration is built from: the namespace's monitors (monitoring.coreos.com/v1, and
 * monitoring.rhobs/v1 when the API server serves it), Services, Pods, Secrets and ConfigMaps.
 */
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Inventory, Monitor, MonitorKind, MonitorObject } from './monitors.js';

export const MONITOR_GROUPS = ['monitoring.coreos.com', 'monitoring.rhobs'] as const;
export const MONITOR_PLURALS: Record<MonitorKind, string> = { ServiceMonitor: 'servicemonitors', PodMonitor: 'podmonitors' };

/** Monitor API groups the server serves in version v1, in preference order. */
export async function servedMonitorGroups(kc: KubeConfig): Promise<string[]> {
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  return MONITOR_GROUPS.filter((g) => groups.groups.some((x) => x.name === g && x.versions.some((v) => v.version === 'v1')));
}

export async function readInventory(kc: KubeConfig, namespace: string, groups: readonly string[]): Promise<Inventory> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const monitorLists = await Promise.all(
    groups.flatMap((group) =>
      (Object.keys(MONITOR_PLURALS) as MonitorKind[]).map(async (kind): Promise<Monitor[]> => {
        const list = (await custom.listNamespacedCustomObject({ group, version: 'v1', namespace, plural: MONITOR_PLURALS[kind] })) as { items?: MonitorObject[] };
        return (list.items ?? []).map((object) => ({ kind, group, object: { ...object, spec: object.spec ?? {} } }));
      }),
    ),
  );
  const [services, pods, secrets, configMaps] = await Promise.all([
    core.listNamespacedService({ namespace }),
    core.listNamespacedPod({ namespace }),
    core.listNamespacedSecret({ namespace }),
    core.listNamespacedConfigMap({ namespace }),
  ]);
  return { namespace, monitors: monitorLists.flat(), services: services.items, pods: pods.items, secrets: secrets.items, configMaps: configMaps.items };
}
