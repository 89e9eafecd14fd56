// A small time chart on <canvas>: two series, each on its own y axis (left and right), time on x.
// No library: the page must work with nothing fetched from the internet.

const PAD = { left: 52, right: 52, top: 14, bottom: 28 };

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
 * series: [{label, unit, color, points: [{t, v}]}] (exactly two: left axis, right axis).
 * windowMs: how much recent time to show.
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
  const plotH = h - PAD.top - PAD.bottom;
  if (!all.length) {
    g.fillStyle = "#8a94a6";
    g.textAlign = "center";
    g.fillText("waiting for telemetry…", w / 2, h / 2);
    return;
  }
  const tMax = Math.max(...all.map((p) => p.t));
  const tMin = Math.min(tMax - windowMs, Math.min(...all.map((p) => p.t)));
  const t0 = Math.max(tMin, tMax - windowMs);
  const tSpan = Math.max(tMax - t0, 1000);
  const x = (t) => PAD.left + ((t - t0) / tSpan) * plotW;

  // Grid and time labels.
  g.strokeStyle = "#e6e9ef";
  g.lineWidth = 1;
  g.fillStyle = "#6b7588";
  g.textAlign = "center";
  g.textBaseline = "top";
  const tStep = niceStep(tSpan / 1000, 5) * 1000;
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= tMax; t += tStep) {
    const px = Math.round(x(t)) + 0.5;
    g.beginPath();
    g.moveTo(px, PAD.top);
    g.lineTo(px, PAD.top + plotH);
    g.stroke();
    g.fillText(clock(t), px, PAD.top + plotH + 8);
  }

  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.t >= t0);
    const [lo, hi] = range(pts);
    const y = (v) => PAD.top + plotH - ((v - lo) / (hi - lo)) * plotH;
    // Axis labels on this series' side, in its colour.
    g.fillStyle = s.color;
    g.textAlign = i === 0 ? "right" : "left";
    g.textBaseline = "middle";
    const step = niceStep(hi - lo, 4);
    for (let v = lo; v <= hi + step / 2; v += step) {
      const py = Math.round(y(v)) + 0.5;
      if (i === 0) {
        g.strokeStyle = "#e6e9ef";
        g.beginPath();
        g.moveTo(PAD.left, py);
        g.lineTo(PAD.left + plotW, py);
        g.stroke();
      }
      const text = (Math.abs(step) < 1 ? v.toFixed(1) : String(Math.round(v))) + s.unit;
      g.fillText(text, i === 0 ? PAD.left - 8 : PAD.left + plotW + 8, py);
    }
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
  });

  g.strokeStyle = "#c9ceda";
  g.strokeRect(PAD.left + 0.5, PAD.top + 0.5, plotW, plotH);
}
