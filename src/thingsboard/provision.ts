// ThingsBoard device provisioning (docs/thingsboard.md §5): over a session opened with the user name
// "provision", ask for credentials with the device profile's key and secret, and keep the token the
// server gives in Storage (docs/ota.md §1), where later boots find it. The link (link.ts) decides
// when; this module asks, reads the answer and keeps the token. Built into the bundle only when the
// config has a provisioning key (main.ts), and its closures live only while it asks.

import { TOKEN_FILE } from "../constants";
import { ERROR, INFO, log, toJson, uptimeMs } from "../log";
import { mask } from "../mask";
import { createClient } from "../mqtt/index";
import type { Client, Socket } from "../mqtt/index";
import { schedule } from "../timer";
import type { Timer } from "../timer";
import { inbound, own } from "./inbound";

/** The MQTT user name of a provisioning session. */
export const PROVISION_USER = "provision";
const REQUEST = "/provision/request";
const RESPONSE = "/provision/response";
/** How long the server may take to answer. */
const ANSWER_MS = 30000;
/** Where the key and secret come from, for the fix in a refusal's line. */
const PROFILE = "provisionDeviceKey/provisionDeviceSecret (ThingsBoard: Device profiles > your profile > Device provisioning)";

/** @json The request's payload. */
export interface ProvisionRequest {
  deviceName: string;
  provisionDeviceKey: string;
  provisionDeviceSecret: string;
}

const answer: Timer = { clock: uptimeMs };

/** The token an earlier provisioning stored, or "" (none, or not one a token can be). */
export function storedToken(): string {
  const t = require("Storage").read(TOKEN_FILE);
  return t && !/\s/.test(t) ? t : "";
}

/** Forgets the stored token (the server refused it): the next session provisions again. */
export function forgetToken(): void {
  require("Storage").erase(TOKEN_FILE);
}

export interface ProvisionSettings {
  openSocket: (cb: () => void) => Socket;
  clientId: string;
  request: ProvisionRequest;
}

/**
 * One provisioning session, on a client of its own (so that nothing of the device's session, its
 * subscriptions or queued telemetry, reaches it): `done` gets the access token, already stored, or ""
 * after an E line saying why there is none (refused, no answer, connection lost). Exactly once.
 */
export function provision(settings: ProvisionSettings, done: (token: string) => void): void {
  let client: Client;
  const end = (token: string, why?: string) => {
    if (!client) return;
    const c = client;
    client = undefined as unknown as Client;
    schedule(answer);
    if (why) log(ERROR, "provision: " + why);
    c.close();
    done(token);
  };
  client = /*#__NOINLINE__*/ createClient({
    connect: settings.openSocket,
    now: uptimeMs,
    clientId: settings.clientId,
    username: PROVISION_USER,
    onConnect: () => {
      log(INFO, "provision: asking for credentials as " + settings.request.deviceName);
      schedule(answer, () => end("", "no answer in " + ANSWER_MS / 1000 + " s: is provisioning enabled in the device profile?"), ANSWER_MS);
      client.subscribe(RESPONSE, 1, (topic, payload) => {
        let a;
        let status;
        let token;
        try {
          a = inbound(payload);
        } catch (e) {
          return end("", "answer " + e);
        }
        status = own(a, "status");
        token = own(a, "credentialsValue");
        if (status != "SUCCESS") {
          return end("", "refused (" + status + ": " + own(a, "errorMsg") + "): " +
            (status == "NOT_FOUND" ? "check " + PROFILE : "check the device profile's provisioning strategy and deviceName"));
        }
        if (own(a, "credentialsType") != "ACCESS_TOKEN" || typeof token != "string" || !token || /\s/.test(token)) {
          return end("", "answer holds no access token (" + own(a, "credentialsType") + "): set the profile to issue access tokens");
        }
        require("Storage").write(TOKEN_FILE, token);
        log(INFO, "provision: token " + mask(token) + " stored");
        end(token);
      });
      client.publish(REQUEST, toJson(settings.request), 1);
    },
    onDisconnect: (kind, why) => end("", "session ended (" + why + ")"),
  });
  client.open();
}
