// Starts the local ThingsBoard endpoint where the firmware expects it: TLS on the configured port when
// that port is free, otherwise on a free one (the caller then builds the firmware for that port).
import { TbEndpoint } from "../tb-endpoint/index.ts";

export interface LocalEndpoint {
  endpoint: TbEndpoint;
  tlsPort: number;
  /** True when the configured port was taken and another was chosen. */
  moved: boolean;
}

export async function startLocalEndpoint(o: {
  deviceName: string;
  /** The device's token; "" when the board provisions itself with `provision` (the device then appears once it has). */
  token: string;
  provision?: { key: string; secret: string };
  certPath: string;
  keyPath: string;
  port: number;
  log?: (line: string) => void;
}): Promise<LocalEndpoint> {
  const base = { devices: o.token ? [{ name: o.deviceName, token: o.token }] : [], http: { port: 0 }, log: o.log, provision: o.provision };
  try {
    const endpoint = await TbEndpoint.start({ ...base, tls: { certPath: o.certPath, keyPath: o.keyPath, port: o.port } });
    return { endpoint, tlsPort: endpoint.ports.tls!, moved: false };
  } catch (e) {
    // EADDRINUSE, or EACCES for a port below 1024 without the right to bind it: either way take a free one.
    if (!/already in use|EACCES/.test((e as Error).message)) throw e;
    const endpoint = await TbEndpoint.start({ ...base, tls: { certPath: o.certPath, keyPath: o.keyPath, port: 0 } });
    return { endpoint, tlsPort: endpoint.ports.tls!, moved: true };
  }
}
