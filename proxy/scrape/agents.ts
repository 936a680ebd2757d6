/**
 * Keep-alive connection pools towards the pods, one per component endpoint and TLS setting.
 * TLS material is read from files when a pool is made and re-checked (by mtime) at most every few
 * seconds, so rotated client certificates and CAs are picked up without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { EndpointConfig } from '../config/types.js';

/** What a pool needs to know of an endpoint: how to connect, not how to label. */
export type UpstreamEndpoint = Pick<EndpointConfig, 'metricsScheme' | 'caFile' | 'certFile' | 'keyFile' | 'tlsServerName' | 'insecureSkipVerify'>;

export interface PoolLimits {
  /** Sockets per pod (host:port). */
  maxSocketsPerPod: number;
  /** Sockets across all pods of the pool: a bound on what one component can hold open. */
  maxSocketsTotal: number;
  maxFreeSocketsPerPod: number;
}

const DEFAULT_LIMITS: PoolLimits = { maxSocketsPerPod: 8, maxSocketsTotal: 64, maxFreeSocketsPerPod: 4 };
const RECHECK_MS = 5000;

interface Pool {
  agent: http.Agent;
  key: string;
  fileStamp: string;
  checkedAt: number;
}

function tlsKey(e: UpstreamEndpoint): string {
  if (e.metricsScheme === 'http') return 'http';
  return JSON.stringify([e.caFile, e.certFile, e.keyFile, e.tlsServerName, e.insecureSkipVerify]);
}

function fileStamp(e: UpstreamEndpoint): string {
  if (e.metricsScheme === 'http') return '';
  return [e.caFile, e.certFile, e.keyFile]
    .map((f) => {
      if (!f) return '-';
      try {
        const st = statSync(f);
        return `${st.ino}:${st.mtimeMs}:${st.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export class UpstreamAgents {
  private readonly pools = new Map<string, Pool>();
  private readonly retired = new Set<http.Agent>();

  constructor(
    private readonly limits: PoolLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The pool for one component endpoint (`id` such as `kube-apiserver/0`). Throws when TLS files cannot be read. */
  agentFor(id: string, endpoint: UpstreamEndpoint): http.Agent {
    const key = tlsKey(endpoint);
    const pool = this.pools.get(id);
    const t = this.now();
    if (pool && pool.key === key) {
      if (t - pool.checkedAt < RECHECK_MS) return pool.agent;
      pool.checkedAt = t;
      const stamp = fileStamp(endpoint);
      if (stamp === pool.fileStamp) return pool.agent;
    }
    const agent = this.makeAgent(endpoint);
    if (pool) this.retire(pool.agent);
    this.pools.set(id, { agent, key, fileStamp: fileStamp(endpoint), checkedAt: t });
    return agent;
  }

  /** Drop pools of endpoints that no longer exist. */
  prune(liveIds: ReadonlySet<string>): void {
    for (const [id, pool] of this.pools) {
      if (!liveIds.has(id)) {
        this.pools.delete(id);
        this.retire(pool.agent);
      }
    }
  }

  close(): void {
    for (const p of this.pools.values()) p.agent.destroy();
    for (const a of this.retired) a.destroy();
    this.pools.clear();
    this.retired.clear();
  }

  private makeAgent(e: UpstreamEndpoint): http.Agent {
    const common = {
      keepAlive: true,
      maxSockets: this.limits.maxSocketsPerPod,
      maxTotalSockets: this.limits.maxSocketsTotal,
      maxFreeSockets: this.limits.maxFreeSocketsPerPod,
      scheduling: 'lifo' as const,
    };
    if (e.metricsScheme === 'http') return new http.Agent(common);
    return new https.Agent({
      ...common,
      ca: e.caFile ? readFileSync(e.caFile) : undefined,
      cert: e.certFile ? readFileSync(e.certFile) : undefined,
      key: e.keyFile ? readFileSync(e.keyFile) : undefined,
      rejectUnauthorized: !e.insecureSkipVerify,
    });
  }

  /** In-flight scrapes keep their sockets; the old pool is closed once they have had time to finish. */
  private retire(agent: http.Agent): void {
    this.retired.add(agent);
    const timer = setTimeout(() => {
      agent.destroy();
      this.retired.delete(agent);
    }, 120_000);
    timer.unref();
  }
}
