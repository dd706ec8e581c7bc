/* The shelter layer of the community map: each shelter a square marker coloured by status
   (open green, full red, closed grey) with its live occupancy; the selected community's
   evacuation routes as lines. Refreshed every few seconds.
   Needs the map that resilience/map.js exposes as window.resilienceMap = {map, layers, config}. */
(function () {
  "use strict";

  var host = window.resilienceMap;
  if (!host || !host.config || !host.config.shelters || typeof L === "undefined") return;
  var cfg = host.config.shelters;
  var map = host.map;
  var labels = cfg.labels;
  var hex = {};
  cfg.statuses.forEach(function (s) { hex[s.status] = s.hex; });

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
    box.appendChild(text("div", labels.status + ": " + p.status_label));
    box.appendChild(text("div", labels.occupancy + ": " + p.occupancy + " / " + p.effective_capacity));
    if (p.url) {
      var link = text("a", host.config.labels.open);
      link.href = p.url;
      box.appendChild(link);
    }
    return box;
  }

  map.createPane("shelters").style.zIndex = 470;
  var layer = L.geoJSON(null, {
    pane: "shelters",
    pointToLayer: function (f, latlng) {
      var p = f.properties || {};
      return L.marker(latlng, { pane: "shelters", icon: L.divIcon({
        className: "shelter-marker",
        html: '<span style="display:inline-block;min-width:2.2em;padding:1px 3px;border:2px solid #fff;' +
              'border-radius:3px;color:#fff;font:bold 11px sans-serif;text-align:center;background:' +
              (hex[p.status] || "#8c959f") + '">' + Number(p.occupancy) + "/" +
              Number(p.effective_capacity) + "</span>",
        iconSize: null }) });
    },
    onEachFeature: function (f, l) {
      var p = f.properties || {};
      l.bindTooltip(p.name || p.code, { sticky: true });
      l.bindPopup(popup(p));
    },
  }).addTo(map);
  if (host.layers) host.layers.addOverlay(layer, labels.layer);

  var routes = L.geoJSON(null, {
    style: function (f) {
      return { color: f.properties.needing_help ? "#8250df" : "#0969da", weight: 3, opacity: 0.8,
        dashArray: "6 4" };
    },
    onEachFeature: function (f, l) {
      var p = f.properties || {};
      l.bindTooltip((p.building_name || "") + " → " + (p.shelter_name || "") + " · " + p.people +
        " " + labels.people + " · " + Math.round(p.distance) + " " + labels.metres + " · " +
        p.minutes + " " + labels.minutesUnit, { sticky: true });
    },
  });
  if (cfg.routes) {
    routes.addTo(map);
    if (host.layers) host.layers.addOverlay(routes, labels.routes);
  }

  function load(url, target) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        target.clearLayers();
        target.addData(data);
      })
      .catch(function () {});
  }

  function refresh() {
    load(cfg.endpoint, layer);
    if (cfg.routes) load(cfg.routes, routes);
  }
  refresh();
  setInterval(function () { if (!document.hidden) refresh(); }, (cfg.refreshSeconds || 15) * 1000);
})();
