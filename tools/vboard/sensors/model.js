// The virtual board's sensors, modelled at the bus level behind Espruino's own API (issue 13): one
// file that both engines evaluate inside the program's interpreter (the node engine in its vm
// context, the espruino engine in Storage .boot0), so there is one home for the models.
// It is plain ES5 for Espruino 2v29's parser (docs/espruino.md section 1): no hoisting is relied on (every
// function is defined before the code that calls it runs), no regex, no classes, arrows or defaults.
// Written from the datasheets (Sensirion SHT3x-DIS and SHT4x, Bosch BME280 and BMP280, Maxim
// DS18B20, Aosong AM2302) and from what Espruino 2v29 does on the bus (docs/espruino.md section 3.6).
//
// The file is one function expression; the host appends `(<config JSON>);` to call it. It installs
// one global object, __vbSensor (the host's control: ctl(name, arg)), and replaces only the API its
// kind needs: `I2C` (sht3x, sht4x, bme280), `OneWire` (ds18b20), or `pinMode`, `digitalWrite`,
// `digitalRead`, `setWatch` and `clearWatch` (dht22), each wrapping the original for other pins.
(function (cfg) {
  var G = global;
  var LOG_MAX = 200;
  var log = [];
  var st = { present: cfg.present !== false, hold: !!cfg.hold, corrupt: 0 };
  var kind = cfg.kind;

  function note(s) {
    log.push(s);
    if (log.length > LOG_MAX) log.shift();
  }
  function hex2(b) {
    return (b < 16 ? "0" : "") + (b & 255).toString(16);
  }
  function hexBytes(a) {
    var s = [];
    for (var i = 0; i < a.length; i++) s.push(hex2(a[i]));
    return s.join(" ");
  }
  // Rounds half up on both engines (Espruino's Math.round(-2.5) is -3, V8's -2).
  function rnd(x) {
    return Math.floor(x + 0.5);
  }
  function clamp(x, lo, hi) {
    return x < lo ? lo : x > hi ? hi : x;
  }
  // A pin as Espruino takes it: a number, a Pin (D4 is a number-like value there), "D4", or an
  // object whose string is "D4" (the node engine's LED pin).
  function pinNum(p) {
    if (p === undefined || p === null) return -1;
    if (typeof p == "number") return p | 0;
    var s = String(p);
    if (s.charAt(0) == "D") s = s.substr(1);
    var n = parseInt(s, 10);
    return isNaN(n) ? -1 : n;
  }
  // Sensirion CRC-8: polynomial 0x31 (x^8+x^5+x^4+1), initial 0xFF, no reflection.
  function crcSensirion(a) {
    var c = 0xff;
    for (var i = 0; i < a.length; i++) {
      c ^= a[i];
      for (var b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x31) & 0xff : (c << 1) & 0xff;
    }
    return c;
  }
  // Dallas/Maxim CRC-8: x^8+x^5+x^4+1, reflected (0x8C), initial 0, bytes LSB first.
  function crcDallas(a) {
    var c = 0;
    for (var i = 0; i < a.length; i++) {
      var x = a[i];
      for (var b = 0; b < 8; b++) {
        var mix = (c ^ x) & 1;
        c >>= 1;
        if (mix) c ^= 0x8c;
        x >>= 1;
      }
    }
    return c;
  }
  // The data bytes Espruino's I2C/OneWire writes take: numbers, strings, arrays and typed arrays
  // (nested), {data, count}, ArrayBuffers; numbers are cut to their low byte.
  function flatten(d, out) {
    if (typeof d == "number") out.push(d & 255);
    else if (typeof d == "boolean") out.push(d ? 1 : 0);
    else if (typeof d == "string") for (var i = 0; i < d.length; i++) out.push(d.charCodeAt(i) & 255);
    else if (d && typeof d == "object") {
      if (d instanceof ArrayBuffer) flatten(new Uint8Array(d), out);
      else if (typeof d.length == "number") for (var j = 0; j < d.length; j++) flatten(d[j], out);
      else if (d.data !== undefined) for (var k = 0; k < (d.count === undefined ? 1 : d.count); k++) flatten(d.data, out);
    }
    return out;
  }
  // After the CRC or checksum was computed: one data bit flipped, while corrupt(n) lasts.
  function spoil(bytes, at) {
    if (st.corrupt > 0) {
      st.corrupt--;
      bytes[at] ^= 1;
      note("corrupted");
    }
    return bytes;
  }
  function now() {
    return getTime();
  }

  // Each part is made only when the board has it: what is not called costs no RAM.
  var i2cDev = null, owDevice = null, dht = null;

  // ---- Sensirion SHT3x / SHT4x: T and RH words, each followed by its CRC ------------------------
  var makeSht = function () {
    function shtWord(w) {
      var b = [(w >> 8) & 255, w & 255];
      b.push(crcSensirion(b));
      return b;
    }
    function Sht(four) {
      this.four = four;
      this.raw = { t: 0x6666, rh: 0x8000 };
      this.reset();
    }
    Sht.prototype.reset = function () {
      this.data = null; // the bytes the next read returns, once `ready`
      this.ready = 0;
      this.status = 0x8010; // SHT3x: alert pending, system reset detected
    };
    Sht.prototype.set = function (v) {
      if (typeof v.temperature == "number") this.raw.t = clamp(rnd((v.temperature + 45) / 175 * 65535), 0, 65535);
      if (typeof v.humidity == "number") {
        this.raw.rh = clamp(rnd((this.four ? v.humidity + 6 : v.humidity) / (this.four ? 125 : 100) * 65535), 0, 65535);
      }
    };
    Sht.prototype.setRaw = function (r) {
      if (typeof r.t == "number") this.raw.t = r.t & 0xffff;
      if (typeof r.rh == "number") this.raw.rh = r.rh & 0xffff;
    };
    Sht.prototype.measure = function (ms) {
      var b = shtWord(this.raw.t).concat(shtWord(this.raw.rh));
      this.data = spoil(b, 1);
      this.ready = now() + ms / 1000;
    };
    Sht.prototype.busy = function () {
      return this.data !== null && now() < this.ready;
    };
    // One write transaction; false = the device did not acknowledge (it ignores the bytes).
    Sht.prototype.write = function (b) {
      if (this.busy()) return false;
      if (b.length === 0) return true;
      var c = this.four ? b[0] : b.length >= 2 ? (b[0] << 8) | b[1] : -1;
      var ms = -1;
      if (this.four) {
        if (c == 0xfd) ms = 8.3;
        else if (c == 0xf6) ms = 4.5;
        else if (c == 0xe0) ms = 1.6;
        else if (c == 0x39 || c == 0x2f || c == 0x1e) ms = 1100; // heater 1 s, then a measurement
        else if (c == 0x32 || c == 0x24 || c == 0x15) ms = 110; // heater 0.1 s
        else if (c == 0x89) {
          this.data = shtWord(0x1a2b).concat(shtWord(0x3c4d));
          this.ready = now() + 0.0002;
        } else if (c == 0x94) {
          this.reset();
          this.ready = now() + 0.001;
        } else note("cmd 0x" + hex2(c) + " not modelled");
      } else {
        if (c == 0x2400) ms = 15;
        else if (c == 0x240b) ms = 6;
        else if (c == 0x2416) ms = 4;
        else if (c == 0x2c06 || c == 0x2c0d || c == 0x2c10) ms = 0; // clock stretching: the read waits
        else if (c == 0x30a2) this.reset();
        else if (c == 0xf32d) {
          this.data = shtWord(this.status);
          this.ready = 0;
        } else if (c == 0x3041) this.status = 0;
        else if (c >= 0) {
          this.status |= 2; // command not processed
          note("cmd 0x" + c.toString(16) + " not modelled");
        }
      }
      if (ms >= 0) this.measure(ms);
      return true;
    };
    // One read transaction; null = no acknowledge (the master reads the pull-up's 0xFF).
    Sht.prototype.read = function (n) {
      if (this.data === null || now() < this.ready) return null;
      var d = this.data;
      this.data = null;
      var out = [];
      for (var i = 0; i < n; i++) out.push(i < d.length ? d[i] : 0xff);
      return out;
    };
    return Sht;
  };

  // ---- Bosch BME280: a register file ------------------------------------------------------------
  var makeBme = function () {
    var BME_CAL = ["T1", 0x88, 1, "T2", 0x8a, 0, "T3", 0x8c, 0, "P1", 0x8e, 1, "P2", 0x90, 0, "P3", 0x92, 0,
      "P4", 0x94, 0, "P5", 0x96, 0, "P6", 0x98, 0, "P7", 0x9a, 0, "P8", 0x9c, 0, "P9", 0x9e, 0];
    function Bme() {
      this.cal = { T1: 27504, T2: 26435, T3: -1000, P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7,
        P7: 15500, P8: -14600, P9: 6000, H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30 };
      this.adc = { t: 519888, p: 415148, h: 30000 };
      this.r = new Uint8Array(256);
      this.ptr = 0;
      this.writeCal();
      this.reset();
    }
    Bme.prototype.writeCal = function () {
      var r = this.r, c = this.cal;
      for (var i = 0; i < BME_CAL.length; i += 3) {
        var v = c[BME_CAL[i]] & 0xffff;
        r[BME_CAL[i + 1]] = v & 255;
        r[BME_CAL[i + 1] + 1] = v >> 8;
      }
      r[0xa1] = c.H1 & 255;
      r[0xe1] = c.H2 & 255;
      r[0xe2] = (c.H2 >> 8) & 255;
      r[0xe3] = c.H3 & 255;
      r[0xe4] = (c.H4 >> 4) & 255;
      r[0xe5] = (c.H4 & 0x0f) | ((c.H5 & 0x0f) << 4);
      r[0xe6] = (c.H5 >> 4) & 255;
      r[0xe7] = c.H6 & 255;
    };
    Bme.prototype.reset = function () {
      var r = this.r;
      r[0xd0] = 0x60;
      r[0xe0] = 0;
      r[0xf2] = 0;
      r[0xf3] = 0;
      r[0xf4] = 0;
      r[0xf5] = 0;
      this.putData(0x80000, 0x80000, 0x8000);
      this.pending = null;
      this.osrsH = 0;
    };
    Bme.prototype.putData = function (p, t, h) {
      var r = this.r;
      r[0xf7] = (p >> 12) & 255;
      r[0xf8] = (p >> 4) & 255;
      r[0xf9] = (p & 15) << 4;
      r[0xfa] = (t >> 12) & 255;
      r[0xfb] = (t >> 4) & 255;
      r[0xfc] = (t & 15) << 4;
      r[0xfd] = (h >> 8) & 255;
      r[0xfe] = h & 255;
    };
    // The datasheet's floating-point compensation (BME280 datasheet section 8.1): t_fine, then degC, Pa, %RH.
    Bme.prototype.tFine = function (adcT) {
      var c = this.cal;
      var v1 = (adcT / 16384 - c.T1 / 1024) * c.T2;
      var d = adcT / 131072 - c.T1 / 8192;
      return v1 + d * d * c.T3;
    };
    Bme.prototype.pressure = function (adcP, tf) {
      var c = this.cal;
      var v1 = tf / 2 - 64000;
      var v2 = v1 * v1 * c.P6 / 32768;
      v2 = v2 + v1 * c.P5 * 2;
      v2 = v2 / 4 + c.P4 * 65536;
      v1 = (c.P3 * v1 * v1 / 524288 + c.P2 * v1) / 524288;
      v1 = (1 + v1 / 32768) * c.P1;
      if (v1 === 0) return 0;
      var p = 1048576 - adcP;
      p = (p - v2 / 4096) * 6250 / v1;
      v1 = c.P9 * p * p / 2147483648;
      v2 = p * c.P8 / 32768;
      return p + (v1 + v2 + c.P7) / 16;
    };
    Bme.prototype.humidity = function (adcH, tf) {
      var c = this.cal;
      var h = tf - 76800;
      h = (adcH - (c.H4 * 64 + c.H5 / 16384 * h)) * (c.H2 / 65536 * (1 + c.H6 / 67108864 * h * (1 + c.H3 / 67108864 * h)));
      h = h * (1 - c.H1 * h / 524288);
      return clamp(h, 0, 100);
    };
    // The adc value in [0, max] whose compensated value is nearest `want` (f is monotonic).
    function invert(f, want, max) {
      var lo = 0, hi = max, up = f(max) > f(0);
      while (hi - lo > 1) {
        var mid = Math.floor((lo + hi) / 2);
        if ((f(mid) < want) == up) lo = mid;
        else hi = mid;
      }
      return Math.abs(f(lo) - want) <= Math.abs(f(hi) - want) ? lo : hi;
    }
    Bme.prototype.set = function (v) {
      var self = this;
      if (typeof v.temperature == "number") {
        this.adc.t = invert(function (a) { return self.tFine(a) / 5120; }, v.temperature, 0xfffff);
      }
      var tf = this.tFine(this.adc.t);
      if (typeof v.pressure == "number") {
        this.adc.p = invert(function (a) { return self.pressure(a, tf); }, v.pressure * 100, 0xfffff);
      }
      if (typeof v.humidity == "number") {
        this.adc.h = invert(function (a) { return self.humidity(a, tf); }, v.humidity, 0xffff);
      }
    };
    Bme.prototype.setRaw = function (r) {
      if (typeof r.adcT == "number") this.adc.t = r.adcT & 0xfffff;
      if (typeof r.adcP == "number") this.adc.p = r.adcP & 0xfffff;
      if (typeof r.adcH == "number") this.adc.h = r.adcH & 0xffff;
      if (r.calibration && typeof r.calibration == "object") {
        for (var k in r.calibration) if (this.cal[k] !== undefined) this.cal[k] = r.calibration[k];
        this.writeCal();
      }
    };
    // Oversampling setting (0-7) to the number of samples: 0 skipped, then 1, 2, 4, 8, 16.
    function osrs(s) {
      return s === 0 ? 0 : s >= 5 ? 16 : 1 << (s - 1);
    }
    Bme.prototype.start = function () {
      var r = this.r, ot = (r[0xf4] >> 5) & 7, op = (r[0xf4] >> 2) & 7, oh = this.osrsH;
      var ms = 1.25 + 2.3 * osrs(ot) + (op ? 2.3 * osrs(op) + 0.575 : 0) + (oh ? 2.3 * osrs(oh) + 0.575 : 0);
      // Without the IIR filter T and P have 16 + (osrs - 1) bits (BME280 datasheet section 3.4.2-3.4.3).
      var filter = (r[0xf5] >> 2) & 7;
      var bits = function (s) { return filter ? 20 : 16 + (s >= 5 ? 5 : s) - 1; };
      var mask = function (v, s) { return v & (0xfffff - ((1 << (20 - bits(s))) - 1)); };
      this.pending = {
        t: ot ? mask(this.adc.t, ot) : 0x80000,
        p: op ? mask(this.adc.p, op) : 0x80000,
        h: oh ? this.adc.h : 0x8000,
        at: now() + ms / 1000,
      };
      if (st.corrupt > 0) {
        st.corrupt--;
        this.pending.t ^= 0x10; // the BME280 carries no CRC: a wrong sample instead
        note("corrupted");
      }
    };
    // Finishes a measurement whose time has come.
    Bme.prototype.tick = function () {
      var m = this.pending;
      if (!m || now() < m.at) return;
      this.putData(m.p, m.t, m.h);
      this.pending = null;
      var mode = this.r[0xf4] & 3;
      if (mode == 3) this.start();
      else this.r[0xf4] &= 0xfc; // forced: back to sleep
    };
    Bme.prototype.write = function (b) {
      this.tick();
      if (b.length === 0) return true;
      if (b.length == 1) {
        this.ptr = b[0];
        return true;
      }
      for (var i = 0; i + 1 < b.length; i += 2) {
        var reg = b[i], v = b[i + 1];
        this.ptr = reg;
        if (reg == 0xe0) {
          if (v == 0xb6) {
            this.reset();
            note("reset");
          }
        } else if (reg == 0xf2) this.r[0xf2] = v & 7;
        else if (reg == 0xf5) this.r[0xf5] = v & 0xfd;
        else if (reg == 0xf4) {
          this.r[0xf4] = v;
          this.osrsH = this.r[0xf2] & 7; // ctrl_hum takes effect with a write of ctrl_meas
          if ((v & 3) !== 0) this.start();
          else this.pending = null;
        }
      }
      return true;
    };
    Bme.prototype.read = function (n) {
      this.tick();
      this.r[0xf3] = this.pending ? 8 : 0;
      var out = [];
      for (var i = 0; i < n; i++) {
        out.push(this.r[this.ptr]);
        this.ptr = (this.ptr + 1) & 255;
      }
      return out;
    };
    return Bme;
  };

  // ---- Software I2C, as Espruino's src/jsi2c.c: no ACK check --------------------------------------
  var makeI2C = function () {
    function I2CStandIn() {
      this.sda = -1;
      this.scl = -1;
    }
    I2CStandIn.prototype.setup = function (o) {
      o = o || {};
      this.sda = pinNum(o.sda);
      this.scl = pinNum(o.scl);
      this.bitrate = o.bitrate || 100000;
    };
    function i2cTarget(bus, a, op) {
      var addr = typeof a == "object" && a ? a.address : a;
      addr = addr & 0x7f;
      if (bus.sda == cfg.sda && bus.scl == cfg.scl && st.hold) {
        note(op + " 0x" + hex2(addr) + " arbitration (SDA held low)");
        throw new Error("I2C Error: Arbitration (start)");
      }
      var dev = bus.sda == cfg.sda && bus.scl == cfg.scl && st.present && addr == cfg.address ? i2cDev : null;
      return { addr: addr, dev: dev };
    }
    I2CStandIn.prototype.writeTo = function (a) {
      var t = i2cTarget(this, a, "w"), data = [];
      for (var i = 1; i < arguments.length; i++) flatten(arguments[i], data);
      var ack = t.dev ? t.dev.write(data) : false;
      note("w 0x" + hex2(t.addr) + (data.length ? " " + hexBytes(data) : "") + (ack ? "" : " nack"));
    };
    I2CStandIn.prototype.readFrom = function (a, q) {
      var t = i2cTarget(this, a, "r"), n = q | 0;
      var got = t.dev ? t.dev.read(n) : null;
      var out = new Uint8Array(n);
      for (var i = 0; i < n; i++) out[i] = got ? got[i] : 0xff;
      note("r 0x" + hex2(t.addr) + " " + n + (got ? " = " + hexBytes(out) : " nack"));
      return out;
    };
    return I2CStandIn;
  };

  // ---- Maxim DS18B20 on 1-Wire, slot by slot --------------------------------------------------------
  var makeOneWire = function () {
    var CONV_MS = [93.75, 187.5, 375, 750];
    function Ds18b20() {
      var rom = [0x28, 0xff, 0x64, 0x1e, 0x0f, 0x16, 0x03];
      rom.push(crcDallas(rom));
      this.rom = rom;
      this.raw = { t: 0x0190 }; // 25 degC, what the next conversion measures
      this.treg = 0x0550; // +85 degC at power-up, until a conversion ends
      this.th = 0x4b;
      this.tl = 0x46;
      this.config = 0x7f;
      this.ee = [this.th, this.tl, this.config];
      this.convEnd = 0;
      this.phase = "idle"; // idle | rom | match | search | func | writesp | out | convert | done
      this.bits = [];
      this.out = [];
    }
    Ds18b20.prototype.set = function (v) {
      if (typeof v.temperature == "number") this.raw.t = rnd(v.temperature * 16) & 0xffff;
    };
    Ds18b20.prototype.setRaw = function (r) {
      if (typeof r.t == "number") this.raw.t = r.t & 0xffff;
    };
    Ds18b20.prototype.tick = function () {
      if (this.convEnd && now() >= this.convEnd) {
        // 9-12 bits: the lowest 3, 2, 1 or 0 bits are undefined (read here as 0).
        var drop = 3 - ((this.config >> 5) & 3);
        this.treg = this.raw.t & (0xffff << drop) & 0xffff;
        this.convEnd = 0;
      }
    };
    Ds18b20.prototype.reset = function () {
      this.tick();
      this.phase = "rom";
      this.bits = [];
      return true;
    };
    function bitsToBytes(bits) {
      var out = [];
      for (var i = 0; i < bits.length; i += 8) {
        var v = 0;
        for (var b = 0; b < 8; b++) if (bits[i + b]) v |= 1 << b;
        out.push(v);
      }
      return out;
    }
    function bytesToBits(bytes) {
      var out = [];
      for (var i = 0; i < bytes.length; i++) for (var b = 0; b < 8; b++) out.push((bytes[i] >> b) & 1);
      return out;
    }
    Ds18b20.prototype.scratchpad = function () {
      var sp = [this.treg & 255, this.treg >> 8, this.th, this.tl, this.config, 0xff, 0x0c, 0x10];
      sp.push(crcDallas(sp));
      return sp;
    };
    Ds18b20.prototype.romCommand = function (c) {
      if (c == 0x33) {
        note("rom 0x33 read");
        this.phase = "out";
        this.out = bytesToBits(this.rom);
        this.after = "func";
      } else if (c == 0x55) this.phase = "match";
      else if (c == 0xcc) {
        note("rom 0xcc skip");
        this.phase = "func";
      } else if (c == 0xf0 || (c == 0xec && this.alarm())) {
        note("rom 0x" + hex2(c) + " search");
        this.phase = "search";
        this.sbit = 0;
        this.sstep = 0;
      } else {
        note("rom 0x" + hex2(c) + (c == 0xec ? " alarm search: no alarm" : " unknown"));
        this.phase = "idle";
      }
    };
    Ds18b20.prototype.alarm = function () {
      var t = this.treg & 0x8000 ? (this.treg - 0x10000) >> 4 : this.treg >> 4;
      var th = this.th & 0x80 ? this.th - 256 : this.th, tl = this.tl & 0x80 ? this.tl - 256 : this.tl;
      return t >= th || t <= tl;
    };
    Ds18b20.prototype.funcCommand = function (c) {
      note("cmd 0x" + hex2(c));
      this.phase = "done";
      if (c == 0x44) {
        this.convEnd = now() + CONV_MS[(this.config >> 5) & 3] / 1000;
        this.phase = "convert";
      } else if (c == 0xbe) {
        this.phase = "out";
        this.out = bytesToBits(spoil(this.scratchpad(), 0));
        this.after = "done";
      } else if (c == 0x4e) this.phase = "writesp";
      else if (c == 0x48) this.ee = [this.th, this.tl, this.config];
      else if (c == 0xb8) {
        this.th = this.ee[0];
        this.tl = this.ee[1];
        this.config = this.ee[2];
      } else if (c == 0xb4) {
        this.phase = "out";
        this.out = [1]; // powered from VDD, not parasitic: the slot reads 1
        this.after = "done";
      }
    };
    Ds18b20.prototype.writeBit = function (v) {
      this.tick();
      var ph = this.phase;
      if (ph == "search") {
        if (this.sstep != 2) return; // a write before its two read slots: ignored
        var mine = (this.rom[this.sbit >> 3] >> (this.sbit & 7)) & 1;
        if (v != mine) {
          this.phase = "idle"; // deselected until the next reset
          return;
        }
        this.sbit++;
        this.sstep = 0;
        if (this.sbit == 64) this.phase = "func";
        return;
      }
      if (ph != "rom" && ph != "match" && ph != "func" && ph != "writesp") return;
      this.bits.push(v);
      if (ph == "rom" && this.bits.length == 8) {
        var c = bitsToBytes(this.bits)[0];
        this.bits = [];
        this.romCommand(c);
      } else if (ph == "match" && this.bits.length == 64) {
        var rom = bitsToBytes(this.bits);
        this.bits = [];
        var same = true;
        for (var i = 0; i < 8; i++) if (rom[i] != this.rom[i]) same = false;
        note("rom 0x55 match " + hexBytes(rom).split(" ").join("") + (same ? "" : ": not this device"));
        this.phase = same ? "func" : "idle";
      } else if (ph == "func" && this.bits.length == 8) {
        var f = bitsToBytes(this.bits)[0];
        this.bits = [];
        this.funcCommand(f);
      } else if (ph == "writesp" && this.bits.length == 24) {
        var w = bitsToBytes(this.bits);
        this.bits = [];
        this.th = w[0];
        this.tl = w[1];
        this.config = (w[2] & 0x60) | 0x1f;
        note("scratchpad <- " + hexBytes(w));
        this.phase = "done";
      }
    };
    Ds18b20.prototype.readBit = function () {
      this.tick();
      var ph = this.phase;
      if (ph == "convert") return this.convEnd ? 0 : 1;
      if (ph == "out") {
        var o = this.out.length ? this.out.shift() : 1;
        if (!this.out.length) this.phase = this.after;
        return o;
      }
      if (ph == "search") {
        if (this.sstep >= 2) return 1;
        var mine = (this.rom[this.sbit >> 3] >> (this.sbit & 7)) & 1;
        var v = this.sstep === 0 ? mine : mine ^ 1;
        this.sstep++;
        return v;
      }
      return 1;
    };

    function OneWireStandIn(pin) {
      this.pin = pinNum(pin);
    }
    function owDev(ow) {
      return ow.pin == cfg.pin && st.present ? owDevice : null;
    }
    OneWireStandIn.prototype._bit = function (v) {
      if (this.pin == cfg.pin && st.hold) return 0; // the line held low reads 0
      var d = owDev(this);
      if (v === undefined) return d ? d.readBit() : 1;
      if (d) d.writeBit(v ? 1 : 0);
      return v ? 1 : 0;
    };
    // Espruino pulls low ~500 us, releases, and samples the line: low = presence (or a shorted line).
    OneWireStandIn.prototype.reset = function () {
      var p = this.pin == cfg.pin && st.hold ? true : owDev(this) ? owDevice.reset() : false;
      if (this.pin == cfg.pin) note("reset " + (p ? "presence" : "no presence") + (st.hold ? " (line held low)" : ""));
      return p;
    };
    OneWireStandIn.prototype.write = function (data, power) {
      var bytes = flatten(data, []);
      for (var i = 0; i < bytes.length; i++) for (var b = 0; b < 8; b++) this._bit((bytes[i] >> b) & 1);
      if (this.pin == cfg.pin) note("w " + hexBytes(bytes) + (power ? " (power)" : ""));
    };
    OneWireStandIn.prototype.read = function (count) {
      var n = count === undefined ? 1 : count | 0, out = [];
      for (var i = 0; i < n; i++) {
        var v = 0;
        for (var b = 0; b < 8; b++) if (this._bit()) v |= 1 << b;
        out.push(v);
      }
      if (this.pin == cfg.pin) note("r " + n + " = " + hexBytes(out));
      return count === undefined ? out[0] : out;
    };
    OneWireStandIn.prototype.skip = function () {
      this.write(0xcc);
    };
    OneWireStandIn.prototype.select = function (rom) {
      var s = String(rom), b = [0x55];
      for (var i = 0; i < 16; i += 2) b.push(parseInt(s.substr(i, 2), 16) & 255);
      this.write(b);
    };
    // The search algorithm's master side (Maxim AN187): two read slots and one write slot per ROM bit.
    OneWireStandIn.prototype.search = function (cmd) {
      var found = [], bits = [], last = -1;
      for (var pass = 0; pass < 16; pass++) {
        if (!this.reset()) break;
        this.write(cmd === undefined ? 0xf0 : cmd);
        var zero = -1, ok = true;
        for (var i = 0; i < 64 && ok; i++) {
          var a = this._bit(), c = this._bit(), dir;
          if (a && c) ok = false;
          else {
            if (a != c) dir = a;
            else {
              dir = i < last ? bits[i] : i == last ? 1 : 0;
              if (!dir) zero = i;
            }
            bits[i] = dir;
            this._bit(dir);
          }
        }
        if (!ok) break;
        var bytes = bitsToBytes(bits), s = "";
        for (var j = 0; j < 8; j++) s += hex2(bytes[j]);
        found.push(s);
        last = zero;
        if (last < 0) break;
      }
      return found;
    };
    return { Dev: Ds18b20, Bus: OneWireStandIn };
  };

  // ---- Aosong DHT22 / AM2302 on one GPIO: a pulse train on a wired-AND line with a pull-up -------
  var makeDht = function () {
    var US = 1e-6;
    var DRIVES = { output: 1, opendrain: 1, opendrain_pullup: 1, af_output: 1, af_opendrain: 1 };
    var orig = { pinMode: G.pinMode, digitalWrite: G.digitalWrite, digitalRead: G.digitalRead, setWatch: G.setWatch, clearWatch: G.clearWatch };
    function Dht() {
      this.raw = { rh: 500, t: 250 };
      this.mode = "input"; // the host's pin mode
      this.manual = false;
      this.level = 1; // the host's output register
      this.hostLowSince = -1;
      this.ev = []; // line-affecting changes not yet delivered: {t, who: "h"|"d"|"x", low}
      this.hostLow = false; // the host's drive now
      this.hLow = false; // the host's drive as far as edges were delivered
      this.devLow = false;
      this.xLow = st.hold;
      this.line = st.hold ? 0 : 1; // the level last delivered to watches
      this.lastChange = 0;
      this.busyUntil = 0;
      this.watches = [];
    }
    Dht.prototype.set = function (v) {
      if (typeof v.humidity == "number") this.raw.rh = clamp(rnd(v.humidity * 10), 0, 1000);
      if (typeof v.temperature == "number") {
        var t = rnd(Math.abs(v.temperature) * 10) & 0x7fff;
        this.raw.t = v.temperature < 0 && t ? 0x8000 | t : t;
      }
    };
    Dht.prototype.setRaw = function (r) {
      if (typeof r.rh == "number") this.raw.rh = r.rh & 0xffff;
      if (typeof r.t == "number") this.raw.t = r.t & 0xffff;
    };
    // The host's drive changed (pinMode/digitalWrite): low when it drives a 0.
    Dht.prototype.host = function () {
      var low = !!DRIVES[this.mode] && !this.level, t = now();
      if (low == this.hostLow) return;
      this.hostLow = low;
      this.ev.push({ t: t, who: "h", low: low });
      if (low) this.hostLowSince = t;
      else {
        var held = this.hostLowSince >= 0 ? t - this.hostLowSince : 0;
        this.hostLowSince = -1;
        if (!st.present || st.hold) note("start " + (held * 1000).toFixed(2) + " ms: no response");
        else if (t < this.busyUntil) note("start " + (held * 1000).toFixed(2) + " ms: busy, ignored");
        else if (held < 0.0008) note("start " + (held * 1000).toFixed(2) + " ms: too short (T_be >= 0.8 ms), no response");
        else this.respond(t, held);
      }
      this.schedule(0);
    };
    // The answer to a start signal released at t0: the device's own transitions, at exact times.
    Dht.prototype.respond = function (t0, held) {
      var rh = this.raw.rh, tt = this.raw.t;
      var b = [rh >> 8, rh & 255, tt >> 8, tt & 255];
      b.push((b[0] + b[1] + b[2] + b[3]) & 255);
      spoil(b, 1);
      note("start " + (held * 1000).toFixed(2) + " ms: answer " + hexBytes(b));
      var t = t0 + 30 * US, ev = this.ev;
      var dev = function (low) { ev.push({ t: t, who: "d", low: low }); };
      dev(true);
      t += 80 * US;
      dev(false);
      t += 80 * US;
      for (var i = 0; i < 40; i++) {
        dev(true);
        t += 50 * US;
        dev(false);
        t += ((b[i >> 3] >> (7 - (i & 7))) & 1 ? 70 : 26) * US;
      }
      dev(true);
      t += 50 * US;
      dev(false);
      this.busyUntil = t;
      this.schedule(Math.ceil((t - now()) * 1000) + 1);
    };
    Dht.prototype.schedule = function (ms) {
      var self = this;
      setTimeout(function () { self.pump(); }, ms > 0 ? ms : 0);
    };
    // Delivers the line's edges that have happened, in time order, to the watches armed then.
    Dht.prototype.pump = function () {
      var t = now(), ev = this.ev, i;
      ev.sort(function (a, b) { return a.t - b.t; });
      for (i = 0; i < ev.length && ev[i].t <= t; i++) {
        var e = ev[i];
        if (e.who == "h") this.hLow = e.low;
        else if (e.who == "d") this.devLow = e.low;
        else this.xLow = e.low;
        var level = this.hLow || this.devLow || this.xLow ? 0 : 1;
        if (level == this.line) continue;
        this.line = level;
        var last = this.lastChange;
        this.lastChange = e.t;
        this.fire(level, e.t, last);
      }
      this.ev = ev.slice(i);
    };
    // Espruino's watch event: lastTime is when the pin last changed state (with edge "falling",
    // time - lastTime is the high pulse before this fall).
    Dht.prototype.fire = function (level, t, last) {
      var ws = this.watches.slice();
      for (var i = 0; i < ws.length; i++) {
        var w = ws[i];
        if (this.watches.indexOf(w) < 0 || t < w.armed) continue;
        if (w.edge !== 0 && w.edge !== (level ? 1 : -1)) continue;
        if (!w.repeat) this.watches.splice(this.watches.indexOf(w), 1);
        try {
          w.fn({ state: !!level, time: t, lastTime: last });
        } catch (x) {
          print("Uncaught " + x);
        }
      }
    };
    Dht.prototype.levelNow = function () {
      if (st.hold) return 0;
      var t = now(), h = this.hLow, d = this.devLow, ev = this.ev.slice();
      ev.sort(function (a, b) { return a.t - b.t; });
      for (var i = 0; i < ev.length && ev[i].t <= t; i++) {
        if (ev[i].who == "h") h = ev[i].low;
        else if (ev[i].who == "d") d = ev[i].low;
      }
      return h || d ? 0 : 1;
    };
    Dht.prototype.hold = function (on) {
      this.ev.push({ t: now(), who: "x", low: on });
      this.schedule(0);
    };

    // pinMode, digitalWrite, digitalRead, setWatch and clearWatch: the sensor's pin here, the others
    // passed to the originals (the node engine has no setWatch: a watch on another pin never fires).
    Dht.wrapPins = function () {
      var watchId = 0, delegated = {};
      var ours = function (p) { return pinNum(p) == cfg.pin; };
      G.pinMode = function (p, mode, automatic) {
        if (ours(p)) {
          dht.mode = mode === undefined ? "input" : String(mode);
          dht.manual = mode !== undefined && !automatic;
          dht.host();
        }
        if (orig.pinMode) return orig.pinMode.apply(undefined, arguments);
      };
      G.digitalWrite = function (p, v) {
        if (ours(p)) {
          dht.level = v ? 1 : 0;
          if (!dht.manual) dht.mode = "output"; // Espruino makes the pin an output unless pinMode was set by hand
          dht.host();
        }
        if (orig.digitalWrite) return orig.digitalWrite.apply(undefined, arguments);
      };
      G.digitalRead = function (p) {
        if (ours(p)) {
          if (!dht.manual && DRIVES[dht.mode]) {
            dht.mode = "input";
            dht.host();
          }
          return dht.levelNow();
        }
        return orig.digitalRead ? orig.digitalRead.apply(undefined, arguments) : 0;
      };
      G.setWatch = function (fn, p, o) {
        var id = ++watchId;
        var opt = typeof o == "object" && o ? o : { repeat: !!o };
        if (ours(p)) {
          var e = opt.edge, edge = e === "rising" || e === 1 ? 1 : e === "falling" || e === -1 ? -1 : 0;
          dht.watches.push({ id: id, fn: fn, edge: edge, repeat: !!opt.repeat, armed: now() });
        } else if (orig.setWatch) delegated[id] = orig.setWatch.apply(undefined, arguments);
        return id;
      };
      G.clearWatch = function (id) {
        if (!arguments.length) {
          dht.watches = [];
          delegated = {};
          if (orig.clearWatch) orig.clearWatch();
          return;
        }
        for (var i = 0; i < dht.watches.length; i++) if (dht.watches[i].id === id) dht.watches.splice(i, 1);
        if (delegated[id] !== undefined) {
          if (orig.clearWatch) orig.clearWatch(delegated[id]);
          delete delegated[id];
        }
      };
    };
    return Dht;
  };

  // ---- The device, its bus, and the host's control --------------------------------------------------
  var device;
  if (kind == "sht3x" || kind == "sht4x") {
    var S = makeSht();
    device = i2cDev = new S(kind == "sht4x");
  } else if (kind == "bme280") {
    var B = makeBme();
    device = i2cDev = new B();
  } else if (kind == "ds18b20") {
    var W = makeOneWire();
    device = owDevice = new W.Dev();
    G.OneWire = W.Bus;
  } else if (kind == "dht22") {
    var D = makeDht();
    device = dht = new D();
    D.wrapPins();
  } else throw new Error("vboard sensor: unknown kind " + kind);
  if (i2cDev) G.I2C = makeI2C();

  var ctl = {
    set: function (v) { if (device.set) device.set(v); },
    setRaw: function (r) { device.setRaw(r); },
    setPresent: function (p) {
      st.present = !!p;
      note(p ? "plugged in" : "unplugged");
    },
    corrupt: function (n) { st.corrupt = n | 0; },
    holdBus: function (h) {
      h = !!h;
      if (dht && h != st.hold) dht.hold(h);
      st.hold = h;
      note(h ? "bus held low" : "bus released");
    },
    traffic: function () { return log.slice(); }
  };
  G.__vbSensor = { ctl: function (name, arg) { return ctl[name](arg); } };
  var ops = cfg.ops || [];
  for (var i = 0; i < ops.length; i++) ctl[ops[i][0]](ops[i][1]);
})
