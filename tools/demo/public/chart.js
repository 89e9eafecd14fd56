// A small time chart on <canvas>: one band per series, each with its own y axis, one time axis.
// No library: the page must work with nothing fetched from the internet.

const PAD = { left: 56, right: 16, top: 8, bottom: 28 };

/** Round "nice" tick step for a span split into about n parts. */
function niceStep(span, n) {
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

function range(points) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    if (p.v < lo) lo = p.v;
    if (p.v > hi) hi = p.v;
  }
  if (lo === Infinity) return [0, 1];
  if (hi - lo < 1) {
    const mid = (hi + lo) / 2;
    lo = mid - 0.5;
    hi = mid + 0.5;
  }
  const step = niceStep(hi - lo, 4);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

function clock(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/**
 * series: [{label, unit, color, points: [{t, v}]}], each drawn in its own band, stacked, sharing the
 * time axis (two quantities with different units never hide each other).
 * windowMs: the most recent time shown; a shorter history fills the width.
 */
export function drawChart(canvas, series, windowMs) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = "12px system-ui, sans-serif";

  const all = series.flatMap((s) => s.points);
  const plotW = w - PAD.left - PAD.right;
  if (!all.length) {
    g.fillStyle = "#8a94a6";
    g.textAlign = "center";
    g.fillText("waiting for telemetry…", w / 2, h / 2);
    return;
  }
  const tMax = Math.max(...all.map((p) => p.t));
  const tFirst = Math.min(...all.map((p) => p.t));
  const tSpan = Math.min(windowMs, Math.max(tMax - tFirst, 30_000));
  const t0 = tMax - tSpan;
  const x = (t) => PAD.left + ((t - t0) / tSpan) * plotW;
  const gap = 18;
  const bandH = (h - PAD.top - PAD.bottom - gap * (series.length - 1)) / series.length;
  const tStep = niceStep(tSpan / 1000, 6) * 1000;

  series.forEach((s, i) => {
    const top = PAD.top + i * (bandH + gap);
    const pts = s.points.filter((p) => p.t >= t0);
    const [lo, hi] = range(pts);
    const y = (v) => top + bandH - ((v - lo) / (hi - lo)) * bandH;

    // Grid: time lines, value lines with labels in the series' colour.
    g.strokeStyle = "#e6e9ef";
    g.lineWidth = 1;
    for (let t = Math.ceil(t0 / tStep) * tStep; t <= tMax; t += tStep) {
      const px = Math.round(x(t)) + 0.5;
      g.beginPath();
      g.moveTo(px, top);
      g.lineTo(px, top + bandH);
      g.stroke();
    }
    g.fillStyle = s.color;
    g.textAlign = "right";
    g.textBaseline = "middle";
    const step = niceStep(hi - lo, 3);
    for (let v = lo; v <= hi + step / 2; v += step) {
      const py = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(PAD.left, py);
      g.lineTo(PAD.left + plotW, py);
      g.stroke();
      g.fillText((step < 1 ? v.toFixed(1) : String(Math.round(v))) + s.unit, PAD.left - 8, py);
    }
    g.textAlign = "left";
    g.textBaseline = "top";
    g.fillText(s.label, PAD.left + 6, top + 4);

    g.strokeStyle = s.color;
    g.lineWidth = 2;
    g.lineJoin = "round";
    g.beginPath();
    pts.forEach((p, k) => (k ? g.lineTo(x(p.t), y(p.v)) : g.moveTo(x(p.t), y(p.v))));
    g.stroke();
    g.fillStyle = s.color;
    for (const p of pts) {
      g.beginPath();
      g.arc(x(p.t), y(p.v), 2.5, 0, Math.PI * 2);
      g.fill();
    }
    g.strokeStyle = "#c9ceda";
    g.lineWidth = 1;
    g.strokeRect(PAD.left + 0.5, top + 0.5, plotW, bandH);
  });

  // Time labels under the last band.
  g.fillStyle = "#6b7588";
  g.textAlign = "center";
  g.textBaseline = "top";
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= tMax; t += tStep) g.fillText(clock(t), x(t), h - PAD.bottom + 8);
}
