/* The live chart of a sensor page: a small SVG line chart of the recent readings, with the
   threshold lines of its rules, fed by polling the sensor's JSON endpoint every second.
   Text stays text (the browser renders it), and nothing from the server is parsed as HTML. */
(function () {
  "use strict";

  var cfgNode = document.getElementById("live-config");
  var figure = document.getElementById("live-chart");
  if (!cfgNode || !figure) return;
  var cfg = JSON.parse(cfgNode.textContent);
  var svg = figure.querySelector("svg");
  var title = svg.querySelector("title");
  var NS = "http://www.w3.org/2000/svg";
  var MAX_POINTS = 600;
  var POLL_MS = 1000;
  var SLOW_MS = 5000; // when the tab is hidden or the server does not answer
  var points = []; // [milliseconds, value]
  var lastTime = null; // ISO time of the newest reading, for ?after=
  var failures = 0;
  var stepped = cfg.kind === "elevator" || cfg.kind === "door";

  function q(name) { return document.querySelector('[data-live="' + name + '"]'); }

  function node(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    svg.appendChild(n);
    return n;
  }

  /* Times in the community's time zone, as the rest of the page shows them. */
  var timeFormat;
  try {
    timeFormat = new Intl.DateTimeFormat("en-GB", { timeZone: cfg.timeZone, hour: "2-digit",
      minute: "2-digit", second: "2-digit", hour12: false });
  } catch (e) {
    timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit",
      second: "2-digit", hour12: false });
  }
  function clock(ms) { return timeFormat.format(new Date(ms)); }
  function number(v) {
    var a = Math.abs(v);
    var digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return Number(v.toFixed(digits)).toString();
  }

  /* Round steps (1, 2, 5 × 10^n) covering [min, max] in about ``count`` ticks. */
  function ticks(min, max, count) {
    var span = max - min || 1;
    var raw = span / count;
    var mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var step = [1, 2, 5, 10].map(function (m) { return m * mag; })
      .filter(function (s) { return s >= raw; })[0] || raw;
    var out = [];
    for (var v = Math.ceil(min / step) * step; v <= max + step / 1e6; v += step) out.push(v);
    return out;
  }

  function draw() {
    var w = svg.clientWidth || 720, h = svg.clientHeight || 260;
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    Array.prototype.slice.call(svg.childNodes).forEach(function (c) { if (c !== title) svg.removeChild(c); });
    if (!points.length) return; // the caption says there is nothing yet
    var right = 14, top = 12, bottom = 26;
    var t1 = points[points.length - 1][0];
    var t0 = Math.min(points[0][0], t1 - 10000);
    var values = points.map(function (p) { return p[1]; });
    var lines = (cfg.thresholds || []).filter(function (t) { return isFinite(t.value); });
    var all = values.concat(lines.map(function (t) { return t.value; }));
    var vmin = Math.min.apply(null, all), vmax = Math.max.apply(null, all);
    if (vmax - vmin < 1e-9) { vmin -= 1; vmax += 1; }
    var margin = (vmax - vmin) * 0.08;
    vmin -= margin; vmax += margin;
    if (Math.min.apply(null, values) >= 0 && vmin < 0) vmin = 0;
    /* A state sensor (elevator, door) is labelled with its states, at whole numbers only. */
    var yTicks = ticks(vmin, vmax, 5).map(function (v) { return [v, number(v)]; });
    if (stepped) {
      yTicks = [];
      for (var s = Math.ceil(vmin); s <= Math.floor(vmax); s++) {
        yTicks.push([s, cfg.states[String(s)] !== undefined ? cfg.states[String(s)] : String(s)]);
      }
    }
    var widest = Math.max.apply(null, yTicks.map(function (t) { return String(t[1]).length; }));
    var left = Math.min(120, Math.max(44, widest * 7 + 14));
    function x(t) { return left + (t - t0) / (t1 - t0 || 1) * (w - left - right); }
    function y(v) { return top + (vmax - v) / (vmax - vmin) * (h - top - bottom); }

    yTicks.forEach(function (tick) {
      node("line", { x1: left, x2: w - right, y1: y(tick[0]), y2: y(tick[0]), "class": "grid" });
      node("text", { x: left - 6, y: y(tick[0]) + 4, "text-anchor": "end", "class": "tick" }, tick[1]);
    });
    var spanMs = t1 - t0;
    var stepMs = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]
      .map(function (s) { return s * 1000; })
      .filter(function (s) { return spanMs / s <= 6; })[0] || 3 * 3600 * 1000;
    for (var t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
      node("line", { x1: x(t), x2: x(t), y1: top, y2: h - bottom, "class": "grid" });
      var anchor = x(t) > w - right - 28 ? "end" : "middle"; // the last label stays inside
      node("text", { x: x(t), y: h - 8, "text-anchor": anchor, "class": "tick" }, clock(t));
    }
    node("line", { x1: left, x2: left, y1: top, y2: h - bottom, "class": "axis" });
    node("line", { x1: left, x2: w - right, y1: h - bottom, y2: h - bottom, "class": "axis" });

    lines.forEach(function (t) {
      node("line", { x1: left, x2: w - right, y1: y(t.value), y2: y(t.value), stroke: t.hex,
        "class": "threshold", "data-value": t.value });
      node("text", { x: w - right - 4, y: y(t.value) - 4, "text-anchor": "end", fill: t.hex,
        "class": "threshold-label" }, t.label + " · " + number(t.value) + " " + cfg.unit);
    });

    var d = "";
    points.forEach(function (p, i) {
      var px = x(p[0]).toFixed(1), py = y(p[1]).toFixed(1);
      if (i === 0) d = "M" + px + " " + py;
      else if (stepped) d += " H" + px + " V" + py;
      else d += " L" + px + " " + py;
    });
    var baseY = y(Math.max(vmin, Math.min(0, vmax))).toFixed(1);
    node("path", { d: d + " L" + x(t1).toFixed(1) + " " + baseY + " L" + x(points[0][0]).toFixed(1) +
      " " + baseY + " Z", "class": "area" });
    node("path", { d: d, "class": "series" });
    var lastPoint = points[points.length - 1];
    node("circle", { cx: x(lastPoint[0]), cy: y(lastPoint[1]), r: 4, "class": "last" });
  }

  function showSensor(s) {
    var value = q("value"), status = q("status"), time = q("time");
    if (value) value.textContent = s.last_text;
    if (time) { time.textContent = s.last_time_text; if (s.last_time) time.setAttribute("datetime", s.last_time); }
    if (status) {
      status.className = "live-status sensor-status status-" + s.status;
      status.dataset.status = s.status;
      status.textContent = s.status_label;
    }
  }

  function showAlarms(alarms) {
    var list = document.getElementById("sensor-alarms");
    if (!list) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!alarms.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = list.dataset.empty;
      list.appendChild(none);
      return;
    }
    alarms.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.level = a.level;
      li.dataset.status = a.status;
      var badge = document.createElement("span");
      badge.className = "alarm-level level-" + a.level;
      badge.style.background = a.hex;
      badge.style.color = a.text;
      badge.title = a.level_label;
      badge.textContent = a.numeral;
      var link = document.createElement("a");
      link.href = a.url;
      link.textContent = a.message;
      var meta = document.createElement("span");
      meta.className = "muted small";
      meta.textContent = a.status_label + " · " + a.opened_text;
      li.appendChild(badge); li.appendChild(document.createTextNode(" "));
      li.appendChild(link); li.appendChild(document.createTextNode(" "));
      li.appendChild(meta);
      list.appendChild(li);
    });
  }

  function poll() {
    var url = cfg.url + (lastTime ? "?after=" + encodeURIComponent(lastTime) : "");
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        failures = 0;
        data.readings.forEach(function (r) {
          points.push([Date.parse(r[0]), r[1]]);
          lastTime = r[0];
        });
        if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
        showSensor(data.sensor);
        showAlarms(data.alarms || []);
        draw();
        figure.dataset.state = "live";
        figure.dataset.count = String(points.length);
        if (points.length) figure.dataset.last = String(points[points.length - 1][1]);
        var caption = q("caption");
        if (caption) {
          caption.textContent = points.length
            ? cfg.labels.readings.replace("%(count)s", points.length) : cfg.labels.empty;
        }
      })
      .catch(function () {
        failures += 1;
        figure.dataset.state = "paused";
        var caption = q("caption");
        if (caption) caption.textContent = cfg.labels.paused;
      })
      .then(function () {
        window.setTimeout(poll, document.hidden || failures ? SLOW_MS : POLL_MS);
      });
  }

  window.addEventListener("resize", draw);
  draw();
  poll();
})();
