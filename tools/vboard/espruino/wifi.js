// Storage module "Wifi" for the Espruino Linux build, which has no radio: 2v29's ESP32 `Wifi` as
// docs/espruino.md §3.1 describes it (libs/network/esp32/jswrap_esp32_network.c). connect's callback
// fires only on success, nothing rejoins after a drop, `disconnected` carries the ESP-IDF reason as
// a number string and its name in `msg`, getDetails has no rssi, the SSID is cut to 31 bytes and the
// password to 63 characters, setSNTP takes strings only.
// The simulated access point is the Storage file ".vbap", which the host rewrites; it drops the
// link by calling __drop over its control socket (global __vbc, opened by the virtual board's .boot0;
// see tools/vboard/espruino/board.ts) and answers SNTP when asked by a marker line. Without that
// socket (a Linux build flashed by hand) the access point never changes and nobody answers SNTP.
// The station's state is the Storage file ".vbsta", as on a board the radio's state lives outside
// the interpreter: load() and reset() (soft resets) keep it, so a station joined before load() is
// still joined after it (docs/espruino.md §3.1), and the virtual board erases the file at each power
// cycle (its set-up run, board.ts). A join under way at load() goes on, as the driver's does; only
// its callback is gone with the program that asked.
var S = require("Storage");
var W = exports;
var st = S.readJSON(".vbsta", 1) || { up: 0, assoc: 0, status: "Unknown reason", sntp: 0 };
// The pending join's timer (timers end at load(), so it is not stored).
var jt = 0;

function put() {
  S.writeJSON(".vbsta", st);
}

function ap() {
  return S.readJSON(".vbap", 1) || {};
}

function stop() {
  if (jt) clearTimeout(jt);
  jt = 0;
  st.jn = 0;
}

function lost(code, name) {
  stop();
  st.up = 0;
  st.assoc = 0;
  st.status = name;
  put();
  // emit() only queues the listeners: they run after the code that caused this has returned.
  W.emit("disconnected", { ssid: st.ssid, mac: ap().bssid, reason: "" + code, msg: name });
}

function askTime() {
  // The host answers by stepping the clock, as an SNTP reply does on a board.
  if (st.up && st.sntp == 1 && ap().timeServer && global.__vbc) {
    st.sntp = 2;
    put();
    print("\x01vb:s");
  }
}

function join(cb) {
  st.jn = 1;
  put();
  jt = setTimeout(function () {
    jt = 0;
    var a = ap();
    if (!a.present || (a.ssid !== undefined && a.ssid !== st.ssid)) return lost(201, "NO_AP_FOUND");
    if (a.password !== undefined && a.password !== (st.pw || "")) return lost(202, "AUTH_FAIL");
    st.assoc = 1;
    st.status = "connected";
    put();
    W.emit("associated", { ssid: st.ssid, mac: a.bssid, channel: 6 });
    jt = setTimeout(function () {
      jt = 0;
      st.up = 1;
      st.jn = 0;
      put();
      W.emit("connected", { ip: a.ip, netmask: a.netmask, gw: a.gw });
      // emit() only queues the listeners; the board's callback comes after them.
      setTimeout(function () {
        if (cb) cb(null);
        askTime();
      }, 0);
    }, 1);
  }, ap().joinMs || 50);
}

// 2v29's connect sets the driver's config and calls esp_wifi_connect, without a disconnect of its
// own; as the node engine's station does, one still joined leaves (reason 8) and joins again.
W.connect = function (ssid, options, cb) {
  if (typeof options == "function") { cb = options; options = undefined; }
  stop();
  if (st.assoc) lost(8, "ASSOC_LEAVE");
  st.ssid = ("" + ssid).substr(0, 31);
  st.pw = options && options.password !== undefined ? ("" + options.password).substr(0, 63) : undefined;
  join(cb);
};

W.disconnect = function (cb) {
  stop();
  if (st.assoc) lost(8, "ASSOC_LEAVE");
  else put();
  if (cb) setTimeout(cb, 0);
};

W.getDetails = function (cb) {
  var r = st.assoc ? { ssid: st.ssid, password: st.pw, status: "connected", authMode: "wpa2_psk" } : { status: st.status };
  if (cb) cb(r);
  return r;
};

W.getIP = function (cb) {
  var a = ap();
  var r = { ip: st.up ? a.ip : "0.0.0.0", netmask: st.up ? a.netmask : "0.0.0.0", gw: st.up ? a.gw : "0.0.0.0", mac: a.mac };
  if (cb) cb(null, r);
  return r;
};

W.getStatus = function () {
  return { station: st.up ? "connected" : "disconnected", mode: "sta", powersave: "none" };
};

W.setHostname = function (name, cb) {
  st.host = "" + name;
  put();
  if (cb) cb();
};

W.getHostname = function (cb) {
  if (cb) cb(st.host);
  return st.host;
};

W.setSNTP = function (server, zone) {
  if (typeof zone != "string") throw new Error("Zone is not a string");
  if (typeof server != "string") throw new Error("Server is not a string");
  // A second call sets SNTP's mode while it runs, which lwIP asserts against (docs/espruino.md §3.1).
  // SNTP runs on across load() as the radio does: a call after it is a second one too.
  if (st.sntp) print("vboard: Wifi.setSNTP called again while SNTP runs: an IDF 4 build (ESP32-C3/S3) most likely panics and reboots here");
  else {
    st.sntp = 1;
    put();
  }
  askTime();
};

W.save = function (what) {
  if (what == "clear") S.erase(".wificfg");
  else S.writeJSON(".wificfg", { mode: "sta", ssid: st.ssid, password: st.pw, hostname: st.host });
};

// The access point went away (the host's dropLink): one `disconnected`, then nothing.
W.__drop = function (code, name) {
  if (st.assoc) lost(code, name);
  else {
    stop();
    put();
  }
};

// A join the previous program started before load() goes on.
if (st.jn) join();
