/* The sensor layer of the community map: each sensor a small circle, coloured by its most severe
   open alarm (I red … IV blue) or else by its status; refreshed every few seconds.
   Needs the map that resilience/map.js exposes as window.resilienceMap = {map, layers, config}. */
(function () {
  "use strict";

  var host = window.resilienceMap;
  if (!host || !host.config || !host.config.sensors || typeof L === "undefined") return;
  var cfg = host.config.sensors;
  var map = host.map;
  var el = map.getContainer();
  var labels = cfg.labels;

  function text(tag, value, className) {
    var n = document.createElement(tag);
    n.textContent = value;
    if (className) n.className = className;
    return n;
  }

  function popup(p) {
    var box = document.createElement("div");
    box.className = "map-popup";
    box.appendChild(text("strong", p.name || p.code));
    [[labels.type, p.kind_label || cfg.kinds[p.kind]], [labels.status, p.status_label],
     [labels.value, p.last_value === null ? null : p.last_value + " " + (p.unit || "")],
     [labels.battery, p.battery === null ? null : p.battery + " %"],
     [labels.alarm, p.alarm_level ? ["", "I", "II", "III", "IV"][p.alarm_level] : null]]
      .forEach(function (pair) {
        if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
        box.appendChild(text("div", pair[0] + ": " + pair[1]));
      });
    if (p.url) {
      var link = text("a", host.config.labels.open);
      link.href = p.url;
      box.appendChild(link);
    }
    return box;
  }

  map.createPane("sensors").style.zIndex = 460;
  var layer = L.geoJSON(null, {
    pane: "sensors",
    pointToLayer: function (f, latlng) {
      var p = f.properties || {};
      return L.circleMarker(latlng, { radius: p.alarm_level ? 7 : 4, pane: "sensors" });
    },
    style: function (f) {
      var p = f.properties || {};
      return { color: p.alarm_level ? "#1f2328" : "#ffffff", weight: p.alarm_level ? 2 : 1,
        fillColor: p.colour_hex || "#8c959f", fillOpacity: 0.95 };
    },
    onEachFeature: function (f, l) {
      var p = f.properties || {};
      l.bindTooltip(p.name || p.code, { sticky: true });
      l.bindPopup(popup(p));
    },
  }).addTo(map);
  if (host.layers) host.layers.addOverlay(layer, labels.layer);

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("details", "map-legend sensor-legend leaflet-bar");
    box.open = window.matchMedia("(min-width: 700px)").matches;
    box.appendChild(text("summary", labels.legend));
    cfg.levels.forEach(function (lv) {
      var row = text("div", "");
      var swatch = text("span", "", "swatch");
      swatch.style.background = lv.hex;
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(labels.alarm + " " + lv.numeral));
      box.appendChild(row);
    });
    cfg.statuses.forEach(function (s) {
      var row = text("div", "");
      var swatch = text("span", "", "swatch");
      swatch.style.background = s.hex;
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(s.label.charAt(0).toUpperCase() + s.label.slice(1)));
      box.appendChild(row);
    });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legend.addTo(map);

  function url() {
    var community = host.config.community;
    return cfg.endpoint + (community ? "&community=" + community : "");
  }

  function load() {
    fetch(url(), { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        layer.clearLayers();
        layer.addData(data);
        el.dataset.sensors = String((data.features || []).length);
        el.dataset.sensorAlarms = String((data.features || []).filter(function (f) {
          return f.properties && f.properties.alarm_level; }).length);
      })
      .catch(function () { el.dataset.sensorsError = "1"; })
      .then(function () { window.setTimeout(load, (cfg.refreshSeconds || 10) * 1000); });
  }
  load();
})();
