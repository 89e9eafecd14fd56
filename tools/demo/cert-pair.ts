// The demo's local endpoint serves TLS, so it needs the certificate the firmware embeds *and* its key.
// Convention (ThingsBoard's guide, `npm run certs`): the key lies beside the certificate, "server.pem" ->
// "server_key.pem". When the configured pair is there, the demo uses it as it is. Otherwise (no
// certificate yet, or a real server's without its key) it makes a throw-away pair for the configured
// host in its own scratch folder under .vboard/, and the demo's build embeds that one: the user's
// certs/ is never written, so a later real build cannot pick up a certificate the demo made.
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

/** `scratchDir` is the demo's own folder (under .vboard/certs/), deleted when it stops. */
export function ensureCertPair(o: { serverCert: string; host: string; scratchDir: string }): CertPair {
  const keyPath = keyPathFor(o.serverCert);
  const certExists = existsSync(o.serverCert);
  if (certExists && existsSync(keyPath)) return { certPath: o.serverCert, keyPath, replacesConfigured: false, note: "" };
  const pair = generateSelfSigned({ host: o.host, outDir: o.scratchDir, certName: "demo-server.pem", keyName: "demo-server_key.pem" });
  const why = certExists ? `${o.serverCert} has no key beside it (${basename(keyPath)})` : `${o.serverCert} is missing`;
  return {
    ...pair, replacesConfigured: true,
    note: `${why}: made a throw-away RSA-2048 certificate for ${o.host} in ${o.scratchDir} for the demo alone ` +
      `(deleted when it stops; ${basename(o.serverCert)} is left as it is)`,
  };
}
