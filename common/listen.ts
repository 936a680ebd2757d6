/** `host:port` listen addresses: `0.0.0.0:9443`, `[::]:9443`, `:9443` (all interfaces), `127.0.0.1:0`. */
export interface ListenAddress {
  host: string | undefined;
  port: number;
}

export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid listen address "${value}": expected host:port, e.g. 0.0.0.0:9443`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
