// The demo's local endpoint serves TLS, so it needs the certificate the firmware embeds *and* its key.
// Convention (ThingsBoard's guide, `npm run certs`): the key lies beside the certificate, "server.pem" ->
// "server_key.pem". When the configured certificate is missing and the host is this machine, a
// throw-away pair is made there (as `npm start` always did); when it exists without its key (a real
// server's certificate), a throw-away pair for the same host is made in a scratch folder and the build
// embeds that one instead, so the user's file is never touched.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { generateSelfSigned } from "../certs/generate.ts";

export const LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"];

export interface CertPair {
  certPath: string;
  keyPath: string;
  /** Set when the build must embed certPath instead of the configured serverCert. */
  replacesConfigured: boolean;
  /** What was done, for the log; empty when the configured pair was used as is. */
  note: string;
}

/** "certs/server.pem" -> "certs/server_key.pem"; "x.crt" -> "x_key.pem". */
export function keyPathFor(certPath: string): string {
  return join(dirname(certPath), basename(certPath).replace(/\.(pem|crt|cer)$/i, "") + "_key.pem");
}

export function ensureCertPair(o: { serverCert: string; host: string; scratchDir: string }): CertPair {
  const keyPath = keyPathFor(o.serverCert);
  const certExists = existsSync(o.serverCert);
  if (certExists && existsSync(keyPath)) return { certPath: o.serverCert, keyPath, replacesConfigured: false, note: "" };
  if (!certExists && LOCAL_HOSTS.includes(o.host)) {
    generateSelfSigned({ host: o.host, outDir: dirname(o.serverCert), certName: basename(o.serverCert), keyName: basename(keyPath) });
    return {
      certPath: o.serverCert, keyPath, replacesConfigured: false,
      note: `made a throw-away RSA-2048 certificate for ${o.host}: ${o.serverCert} (key ${basename(keyPath)})`,
    };
  }
  const pair = generateSelfSigned({ host: o.host, outDir: o.scratchDir, certName: "demo-server.pem", keyName: "demo-server_key.pem" });
  const why = certExists ? `${o.serverCert} has no key beside it (${basename(keyPath)})` : `${o.serverCert} is missing`;
  return {
    ...pair, replacesConfigured: true,
    note: `${why}: the local endpoint uses a throw-away certificate for ${o.host} in ${o.scratchDir} instead`,
  };
}
