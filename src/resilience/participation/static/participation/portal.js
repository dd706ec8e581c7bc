/* The portal's route map: the walk from the resident's building to the shelter, on Leaflet.
   Base tiles only when a tile URL is configured; the line and the two markers work without. */
(function () {
  "use strict";
  var el = document.getElementById("portal-map");
  var data = document.getElementById("portal-route");
  if (!el || !data || typeof L === "undefined") return;
  var cfg = JSON.parse(data.textContent);
  var tiles = cfg.tileUrl;
  var map = L.map(el, { zoomControl: true, attributionControl: !!tiles, dragging: !L.Browser.mobile,
    tap: false, scrollWheelZoom: false });
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: cfg.tileAttribution || "" }).addTo(map);

  function marker(point, label, colour) {
    var span = document.createElement("span");
    span.style.background = colour;
    span.textContent = label;
    return L.marker(point, { title: label, icon: L.divIcon({ className: "portal-marker",
      html: span.outerHTML, iconSize: null }) }).addTo(map);
  }
  var line = L.polyline(cfg.route, { color: "#0969da", weight: 5, opacity: 0.85 }).addTo(map);
  marker(cfg.home, cfg.homeLabel, "#59636e");
  marker(cfg.shelter, cfg.shelterLabel, "#1a7f37");
  map.fitBounds(line.getBounds(), { padding: [28, 28], maxZoom: 18 });
  el.setAttribute("data-ready", "true");
})();
