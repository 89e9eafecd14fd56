// The live page: state from the demo server's event stream (/api/events), commands through its JSON API.
// When that server goes (the demo stopped), the page says so instead of showing the last device state
// as current, and reconnects by itself once a server answers again.
import { drawChart } from "/chart.js";

const WINDOW_MS = 5 * 60 * 1000;
const MAX_POINTS = 3000;
/** How often a page whose server is gone asks whether it is back, and how long each try may take. */
const PROBE_MS = 2000;
const $ = (id) => document.getElementById(id);

const state = {
  keys: ["temperature", "humidity"],
  device: null,
  info: {},
  /** The page server: "connecting" until the first snapshot, "live", or "stopped" (gone). */
  server: "connecting",
  stoppedAt: 0,
  /** The firmware's interval range: as the server sends it, and until then as index.html has it. */
  limits: { minIntervalMs: Number($("rpc-interval").min), maxIntervalMs: Number($("rpc-interval").max) },
  /** key -> [{t, v}] numeric readings, oldest first */
  series: {},
  /** key -> {ts, value} */
  latest: {},
  points: 0,
  /** Whether the server can build and assign an update, and if not why: {available, why}. */
  firmwareUpdate: { available: false, why: "" },
  /** True while this page waits for its update request. */
  updating: false,
  /** Units of other keys (the pressure key: "hPa"), as the server sends them. */
  units: {},
  /** The part wired to the board ({kind, present, lines}), or null: none. */
  sensor: null,
  /** True while this page waits for a plug or unplug. */
  plugging: false,
};
const COLORS = ["#e8590c", "#1c7ed6"];
const UNITS = { 0: "°C", 1: "%" };

function unitOf(key) {
  const i = state.keys.indexOf(key);
  return i >= 0 ? UNITS[i] : state.units[key] || "";
}

function addEntries(entries) {
  for (const e of entries) {
    if (state.keys.some((k) => Number.isFinite(Number(e.values[k])))) state.points++;
    for (const [key, value] of Object.entries(e.values)) {
      const prev = state.latest[key];
      if (!prev || e.ts >= prev.ts) state.latest[key] = { ts: e.ts, value };
      const v = typeof value === "number" ? value : Number(value);
      if (!Number.isFinite(v)) continue;
      const list = (state.series[key] ||= []);
      list.push({ t: e.ts, v });
      if (list.length > MAX_POINTS) list.shift();
    }
  }
}

// ---- formatting ----
function ago(ts) {
  if (!ts) return "–";
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s ago` : new Date(ts).toLocaleString();
}
function duration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s % 60} s`;
}
function stamp(ts) {
  const d = new Date(ts);
  return d.toLocaleDateString([], { year: "numeric", month: "2-digit", day: "2-digit" }) + " " +
    d.toLocaleTimeString([], { hour12: false });
}
function show(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0$/, "");
  return typeof value === "string" ? value : JSON.stringify(value);
}
function text(id, v) {
  const el = $(id);
  if (el.textContent !== v) el.textContent = v;
}
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

// ---- rendering ----
function renderDevice() {
  const d = state.device;
  const up = state.server === "live";
  // Without its server the page cannot know the device's state: the last one is not shown as current.
  const connected = up && !!d && d.connected;
  const conn = $("conn");
  conn.className = "pill " + (connected ? "on" : state.server === "stopped" ? "stopped" : "off");
  conn.dataset.connected = String(connected);
  text("conn", state.server === "stopped" ? "stopped" : !d ? "connecting…" : connected ? "connected" : "disconnected");
  if (!d) return;
  text("device-name", d.name);
  const clock = (ts) => new Date(ts).toLocaleTimeString([], { hour12: false });
  text("st-connection", !up ? `unknown: the demo stopped at ${clock(state.stoppedAt)}`
    : connected ? `connected for ${duration(Date.now() - d.connectedSince)}`
    : d.lastDisconnect ? `down since ${clock(d.lastDisconnect.at)} (${d.lastDisconnect.reason})` : "not connected yet");
  text("st-last-seen", ago(d.lastSeen));
  const s = d.status && d.status.value;
  if (s) {
    const live = connected ? Date.now() - d.status.at : 0;
    text("st-uptime", typeof s.uptimeMs === "number" ? duration(s.uptimeMs + live) : "–");
    text("st-queue", show(s.queueDepth ?? "–"));
    text("st-sent", show(s.sent ?? "–"));
    text("st-dropped", show(s.dropped ?? "–"));
    text("st-connects", `${show(s.connects ?? "–")} / ${show(s.disconnects ?? "–")}`);
    text("st-mem", typeof s.memFree === "number" ? `${s.memFree} of ${s.memTotal} JsVars` : "not reported");
    text("st-note", `getStatus answered ${ago(d.status.at)}; asked every few seconds while connected.`);
  } else {
    text("st-connects", `${d.connects} / ${d.disconnects}`);
  }
  text("st-interval", !d.interval ? "–" : d.interval.from === "device" ? `${d.interval.ms} ms` : `${d.interval.ms} ms (set by ${d.interval.from})`);
  text("st-fw", d.client.firmwareVersion ? `${d.client.firmwareVersion} (${d.client.board ?? "?"})` : "–");
  renderFirmware(d.firmware);
  renderAttributes();
  renderSensor();
}

/** The sensor card: only when a part is wired to the board; its counts are the firmware's client attributes. */
function renderSensor() {
  const s = state.sensor;
  $("sensor-card").hidden = !s;
  if (!s) return;
  const d = state.device;
  text("sensor-kind", s.kind);
  $("sensor-state").dataset.present = String(s.present);
  text("sensor-state", s.present ? "plugged in" : "unplugged");
  text("sensor-errors", d && d.client.sensorErrors !== undefined ? show(d.client.sensorErrors) : "–");
  text("sensor-bad", d && d.client.sensorBadReadings !== undefined ? show(d.client.sensorBadReadings) : "–");
  const b = $("sensor-toggle");
  b.disabled = state.plugging || state.server !== "live";
  text("sensor-toggle", s.present ? "Unplug the sensor" : "Plug the sensor in");
  const shown = [...$("sensor-log").children].map((li) => li.textContent);
  const lines = s.lines.slice().reverse();
  if (lines.length && shown.join("\n") !== lines.join("\n")) {
    $("sensor-log").replaceChildren(...lines.map((l) => el("li", { class: /^E /.test(l) ? "error" : /^W /.test(l) ? "warn" : "ok" }, l)));
  }
}

/** fw_state as the device (or the server, when it queued the update) last reported it; fw_error only with FAILED. */
function renderFirmware(fw) {
  const state = fw && fw.fw_state ? fw.fw_state : "";
  $("st-fw-state").dataset.state = state;
  text("st-fw-state", !state ? "–" : state === "FAILED" && fw.fw_error ? `FAILED: ${fw.fw_error}` : state);
  const current = fw ? [fw.current_fw_title, fw.current_fw_version].filter((v) => v !== undefined).join(" ") : "";
  text("st-fw-current", current || "–");
}

function renderUpdateButton() {
  const b = $("update-firmware");
  const { available, why } = state.firmwareUpdate;
  b.disabled = !available || state.updating;
  b.title = available ? (state.updating ? "an update is under way" : "build an update and assign it to the device") : why;
}

function renderAttributes() {
  const d = state.device;
  const rows = [];
  for (const [scope, attrs] of [["client", d.client], ["shared", d.shared]]) {
    for (const [k, v] of Object.entries(attrs)) rows.push(el("tr", {}, el("td", {}, scope), el("td", {}, k), el("td", {}, show(v))));
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 3, class: "muted" }, "none yet")));
  $("attrs").replaceChildren(...rows);
}

function renderLatest() {
  const keys = [...state.keys, ...Object.keys(state.latest).filter((k) => !state.keys.includes(k))];
  const rows = keys.filter((k) => state.latest[k]).map((k) => {
    const { ts, value } = state.latest[k];
    return el("tr", { "data-key": k },
      el("td", {}, stamp(ts)),
      el("td", {}, el("span", { class: "swatch", style: "" }), k),
      el("td", { class: "num value", "data-ts": String(ts) }, show(value), el("span", { class: "unit" }, unitOf(k))));
  });
  rows.forEach((r) => {
    const i = state.keys.indexOf(r.dataset.key);
    r.querySelector(".swatch").style.background = i >= 0 ? COLORS[i] : "transparent";
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 3, class: "muted" }, "waiting for the first reading…")));
  $("latest").replaceChildren(...rows);
}

let chartQueued = false;
function renderChart() {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    const canvas = $("chart");
    drawChart(canvas, state.keys.map((k, i) => ({ label: k, unit: UNITS[i], color: COLORS[i], points: state.series[k] || [] })), WINDOW_MS);
    canvas.dataset.points = String(state.points);
    text("point-count", String(state.points));
  });
}

function renderLegend() {
  $("legend").replaceChildren(...state.keys.map((k, i) => {
    const sw = el("span", { class: "swatch" });
    sw.style.background = COLORS[i];
    return el("span", {}, sw, `${k} (${UNITS[i]})`);
  }));
}

// ---- commands ----
function logAnswer(title, ok, body) {
  const item = el("li", { class: ok ? "ok" : "error", "data-method": title.split(" ")[0] },
    el("div", { class: "head" }, title),
    el("pre", {}, typeof body === "string" ? body : JSON.stringify(body)));
  $("rpc-log").prepend(item);
  while ($("rpc-log").children.length > 20) $("rpc-log").lastChild.remove();
}

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  return { ok: res.ok, data };
}

async function sendRpc(button, method, params) {
  button.disabled = true;
  const at = new Date().toLocaleTimeString([], { hour12: false });
  try {
    const { ok, data } = await post("/api/rpc", { method, params });
    const answerOk = ok && !(data.result && data.result.error);
    logAnswer(ok ? `${method} · ${data.ms} ms · ${at}` : `${method} · failed · ${at}`, answerOk, ok ? data.result : data.error);
  } catch (e) {
    logAnswer(`${method} · failed · ${at}`, false, String(e));
  } finally {
    button.disabled = false;
  }
}

/** Why `input` holds no acceptable interval, in the server's words; "" when it does. */
function intervalProblem(input) {
  const { minIntervalMs: min, maxIntervalMs: max } = state.limits;
  const ms = input.valueAsNumber;
  if (Number.isInteger(ms) && ms >= min && ms <= max) return "";
  return `telemetryIntervalMs must be a whole number of ms from ${min} to ${max}, got ${input.value === "" ? "nothing" : input.value}`;
}

/** The interval fields take any whole number in the firmware's range; the browser shows the problem. */
function checkIntervals() {
  for (const input of [$("rpc-interval"), $("attr-interval")]) {
    input.min = String(state.limits.minIntervalMs);
    input.max = String(state.limits.maxIntervalMs);
    input.setCustomValidity(intervalProblem(input));
  }
}

function wireCommands() {
  for (const id of ["rpc-interval", "attr-interval"]) $(id).addEventListener("input", checkIntervals);
  checkIntervals();
  for (const b of document.querySelectorAll("button[data-rpc]")) {
    if (b.closest("form")) continue; // the forms send their own, with the input's value
    b.addEventListener("click", () => sendRpc(b, b.dataset.rpc, {}));
  }
  $("rpc-interval-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const b = ev.target.querySelector("button");
    sendRpc(b, "setTelemetryInterval", { telemetryIntervalMs: Number($("rpc-interval").value) });
  });
  $("update-firmware").addEventListener("click", async () => {
    state.updating = true;
    renderUpdateButton();
    const at = new Date().toLocaleTimeString([], { hour12: false });
    try {
      const { ok, data } = await post("/api/update-firmware", {});
      logAnswer(ok ? `updateFirmware · ${at}` : `updateFirmware · failed · ${at}`, ok, ok ? data.message : data.error);
    } catch (e) {
      logAnswer(`updateFirmware · failed · ${at}`, false, String(e));
    } finally {
      state.updating = false;
      renderUpdateButton();
    }
  });
  $("sensor-toggle").addEventListener("click", async () => {
    if (!state.sensor) return;
    const present = !state.sensor.present;
    state.plugging = true;
    renderSensor();
    const at = new Date().toLocaleTimeString([], { hour12: false });
    try {
      const { ok, data } = await post("/api/sensor", { present });
      if (ok) state.sensor = data.sensor;
      logAnswer(`sensor ${present ? "plugged in" : "unplugged"} · ${at}`, ok, ok ? `${state.sensor.kind} ${present ? "plugged in" : "unplugged"}: watch the firmware's sensor lines` : data.error);
    } catch (e) {
      logAnswer(`sensor · failed · ${at}`, false, String(e));
    } finally {
      state.plugging = false;
      renderSensor();
    }
  });
  $("attr-interval-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ms = Number($("attr-interval").value);
    const at = new Date().toLocaleTimeString([], { hour12: false });
    try {
      const { ok, data } = await post("/api/attributes", { telemetryIntervalMs: ms });
      logAnswer(`telemetryIntervalMs shared attribute · ${at}`, ok, ok ? `saved ${ms} ms; pushed to the device` : data.error);
    } catch (e) {
      logAnswer(`telemetryIntervalMs shared attribute · failed · ${at}`, false, String(e));
    }
  });
}

// ---- the page server: live, or stopped and probed until it is back ----
let stream = null;
let probeTimer = 0;

function setServer(server) {
  if (server === "stopped" && state.server !== "stopped") state.stoppedAt = Date.now();
  state.server = server;
  document.body.dataset.server = server;
  $("server-banner").hidden = server !== "stopped";
  $("commands").disabled = server !== "live";
  renderDevice();
}

/** The stream ended: "stopped" said so; anything else is checked with one request before it counts. */
function lost(said) {
  if (!stream) return;
  stream.close();
  stream = null;
  if (said) setServer("stopped");
  probe(said ? PROBE_MS : 250);
}

function probe(delay) {
  clearTimeout(probeTimer);
  probeTimer = setTimeout(async () => {
    try {
      const res = await fetch("/api/state", { cache: "no-store", signal: AbortSignal.timeout(PROBE_MS) });
      if (res.ok) return connect();
    } catch {
      // refused or timed out: the server is still gone
    }
    setServer("stopped");
    probe(PROBE_MS);
  }, delay);
}

function connect() {
  const es = (stream = new EventSource("/api/events"));
  es.addEventListener("stopped", () => lost(true));
  // EventSource would retry by itself, but would not tell the page in the meantime.
  es.onerror = () => lost(false);
  es.addEventListener("snapshot", (ev) => {
    const s = JSON.parse(ev.data);
    state.keys = s.keys;
    state.info = s.info;
    if (s.limits) state.limits = s.limits;
    if (s.firmwareUpdate) state.firmwareUpdate = s.firmwareUpdate;
    state.units = s.units || {};
    state.sensor = s.sensor || null;
    renderUpdateButton();
    state.device = s.device;
    state.series = {};
    state.latest = {};
    state.points = 0;
    addEntries(s.history);
    const iv = s.device.client.telemetryIntervalMs ?? s.info.telemetryIntervalMs;
    if (typeof iv === "number") $("rpc-interval").value = $("attr-interval").value = String(iv);
    checkIntervals();
    $("footer").textContent = Object.entries(s.info).map(([k, v]) => `${k}: ${v}`).join(" · ");
    renderLegend();
    setServer("live");
    renderLatest();
    renderChart();
  });
  es.addEventListener("device", (ev) => {
    state.device = JSON.parse(ev.data);
    renderDevice();
  });
  es.addEventListener("sensor", (ev) => {
    state.sensor = JSON.parse(ev.data);
    renderSensor();
  });
  es.addEventListener("telemetry", (ev) => {
    addEntries(JSON.parse(ev.data));
    renderLatest();
    renderChart();
  });
}

wireCommands();
connect();
setInterval(renderDevice, 1000);
window.addEventListener("resize", renderChart);
