/* The community map: grids, buildings and facilities from the GeoJSON endpoints.
   Base tiles only when a tile URL is configured; the layers work without any tile server. */
(function () {
  "use strict";

  var el = document.getElementById("map");
  var cfgNode = document.getElementById("map-config");
  if (!el || !cfgNode || typeof L === "undefined") return;
  var cfg = JSON.parse(cfgNode.textContent);
  var labels = cfg.labels;
  var status = document.getElementById("map-status");
  var narrow = window.matchMedia("(max-width: 640px)").matches;

  var map = L.map(el, { zoomControl: true, preferCanvas: false, zoomSnap: 0.25 }).setView(cfg.center, cfg.zoom);
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  }

  /* A popup built from DOM nodes, so names from the registry are never parsed as HTML. */
  function popup(props, rows) {
    var box = document.createElement("div");
    box.className = "map-popup";
    box.appendChild(text("strong", props.name || props.code || ""));
    rows.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
      box.appendChild(text("div", pair[0] + ": " + pair[1]));
    });
    if (props.url) {
      var link = text("a", labels.open);
      link.href = props.url;
      box.appendChild(link);
    }
    return box;
  }

  function colour(kind) {
    return cfg.colours[kind] || "#8c959f";
  }

  var layers = {
    communities: L.geoJSON(null, {
      style: { color: "#0b3d91", weight: 3, fill: false },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popup(f.properties || {}, [[labels.code, (f.properties || {}).code]]));
      },
    }),
    grids: L.geoJSON(null, {
      style: { color: "#0969da", weight: 2, dashArray: "6 4", fillColor: "#0969da", fillOpacity: 0.05 },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindTooltip(p.name || p.code || "", { sticky: true });
        layer.bindPopup(popup(p, [[labels.code, p.code]]));
      },
    }),
    buildings: L.geoJSON(null, {
      style: { color: "#57606a", weight: 1, fillColor: "#8c959f", fillOpacity: 0.7 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindPopup(popup(p, [[labels.code, p.code], [labels.floors, p.floors]]));
      },
    }),
    facilities: L.geoJSON(null, {
      style: function (f) {
        var c = colour((f.properties || {}).kind);
        if (f.geometry && f.geometry.type === "Point") {
          return { color: "#ffffff", weight: 2, fillColor: c, fillOpacity: 0.95 };
        }
        return { color: c, weight: 2, fillColor: c, fillOpacity: 0.25 };
      },
      pointToLayer: function (f, latlng) {
        var p = f.properties || {};
        return L.circleMarker(latlng, { radius: p.kind === "shelter" ? 9 : 6 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindPopup(popup(p, [
          [labels.type, p.kind_label || cfg.kindLabels[p.kind] || p.kind],
          [labels.capacity, p.capacity],
        ]));
      },
    }),
  };

  /* The four-colour risk layer, when the user may see risk sources: coloured by grade, above
     the other layers, filtered in the browser by type and grade. */
  var risks = cfg.risks || null;
  var riskFeatures = [];
  var riskShown = { type: "", grades: {} };
  if (risks) {
    map.createPane("risks").style.zIndex = 450;
    labels.risks = risks.labels.layer;
    var gradeHex = {};
    risks.grades.forEach(function (g) { gradeHex[g.grade] = g.hex; riskShown.grades[g.grade] = true; });
    var riskColour = function (p) { return gradeHex[p.grade] || p.colour_hex || p.hex || "#8c959f"; };
    layers.risks = L.geoJSON(null, {
      pane: "risks",
      filter: function (f) {
        var p = f.properties || {};
        return riskShown.grades[p.grade] !== false && (!riskShown.type || p.risk_type === riskShown.type);
      },
      style: function (f) {
        var c = riskColour(f.properties || {});
        if (f.geometry && f.geometry.type === "Point") {
          return { color: "#ffffff", weight: 2, fillColor: c, fillOpacity: 0.95 };
        }
        return { color: c, weight: 2, fillColor: c, fillOpacity: 0.45 };
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 10, pane: "risks" });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindTooltip(p.name || "", { sticky: true });
        layer.bindPopup(popup(p, [
          [risks.labels.grade, p.grade_label],
          [risks.labels.type, p.risk_type_label || risks.types[p.risk_type]],
          [risks.labels.score, p.score],
        ]));
      },
    });
  }

  var overlays = {};
  ["communities", "grids", "buildings", "facilities", "risks"].forEach(function (name) {
    if (!layers[name]) return;
    layers[name].addTo(map);
    overlays[labels[name]] = layers[name];
  });
  var layersControl = L.control.layers(null, overlays, { collapsed: narrow }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  /* Fetch a FeatureCollection, following a `next` link if the endpoint pages. */
  function load(url, features) {
    features = features || [];
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        features = features.concat(data.features || []);
        return data.next ? load(data.next, features) : { type: "FeatureCollection", features: features };
      });
  }

  function url(name) {
    var base = name === "risks" ? risks.endpoint : cfg.endpoints[name];
    var sep = base.indexOf("?") < 0 ? "?" : "&";
    return cfg.community && name !== "communities" ? base + sep + "community=" + cfg.community : base;
  }

  function legend(features) {
    var kinds = {};
    features.forEach(function (f) {
      var k = (f.properties || {}).kind;
      if (k) kinds[k] = (f.properties || {}).kind_label || cfg.kindLabels[k] || k;
    });
    var names = Object.keys(kinds);
    if (!names.length) return;
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      // A <details> box: open on a wide screen, folded on a phone so it does not hide the map.
      var box = L.DomUtil.create("details", "map-legend leaflet-bar");
      box.open = window.matchMedia("(min-width: 700px)").matches;
      box.appendChild(text("summary", labels.legend));
      names.sort().forEach(function (k) {
        var item = text("div", "");
        var swatch = text("span", "", "swatch");
        swatch.style.background = colour(k);
        item.appendChild(swatch);
        var name = String(kinds[k]);
        item.appendChild(document.createTextNode(name.charAt(0).toUpperCase() + name.slice(1)));
        box.appendChild(item);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  /* The risk legend in the four colours; each grade and the type list filter the layer. */
  function riskControl(features) {
    riskFeatures = features;
    var counts = {}, types = {};
    features.forEach(function (f) {
      var p = f.properties || {};
      counts[p.grade] = (counts[p.grade] || 0) + 1;
      if (p.risk_type) types[p.risk_type] = p.risk_type_label || risks.types[p.risk_type] || p.risk_type;
    });
    function redraw() {
      layers.risks.clearLayers();
      layers.risks.addData(riskFeatures);
      el.dataset.risksShown = String(layers.risks.getLayers().length);
    }
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("details", "map-legend risk-legend leaflet-bar");
      box.open = window.matchMedia("(min-width: 700px)").matches;
      box.appendChild(text("summary", risks.labels.legend));
      risks.grades.forEach(function (g) {
        var row = document.createElement("label");
        row.className = "risk-grade";
        row.dataset.grade = g.grade;
        row.style.cssText = "display:flex;align-items:center;gap:.35rem;cursor:pointer";
        var check = document.createElement("input");
        check.type = "checkbox";
        check.checked = riskShown.grades[g.grade] !== false;
        check.name = "grade";
        check.value = g.grade;
        check.addEventListener("change", function () { riskShown.grades[g.grade] = check.checked; redraw(); });
        row.appendChild(check);
        var swatch = text("span", "", "swatch");
        swatch.style.background = g.hex;
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(g.label.charAt(0).toUpperCase() + g.label.slice(1) +
          " (" + (counts[g.grade] || 0) + ")"));
        box.appendChild(row);
      });
      var typeNames = Object.keys(types).sort(function (a, b) { return String(types[a]).localeCompare(String(types[b])); });
      if (typeNames.length) {
        var select = document.createElement("select");
        select.name = "risk_type";
        select.setAttribute("aria-label", risks.labels.type);
        select.style.cssText = "width:auto;max-width:100%;min-height:2rem;margin-top:.35rem";
        select.appendChild(new Option(risks.labels.allTypes, ""));
        typeNames.forEach(function (t) { select.appendChild(new Option(types[t], t)); });
        select.addEventListener("change", function () { riskShown.type = select.value; redraw(); });
        box.appendChild(select);
      }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    el.dataset.risksShown = String(layers.risks.getLayers().length);
  }

  var failures = [];
  var names = Object.keys(layers).filter(function (n) { return map.hasLayer(layers[n]); });
  var jobs = names.map(function (name) {
    return load(url(name)).then(function (data) {
      layers[name].addData(data);
      el.dataset[name] = String(data.features.length);
      if (name === "facilities") legend(data.features);
      if (name === "risks") riskControl(data.features);
    }).catch(function () {
      failures.push(labels[name]);
      el.dataset[name + "Error"] = "1";
    });
  });

  Promise.all(jobs).then(function () {
    var bounds = L.latLngBounds([]);
    names.forEach(function (name) {
      if (name === "communities" && cfg.community) return; // fit to the chosen community
      var b = layers[name].getBounds();
      if (b.isValid()) bounds.extend(b);
    });
    if (!bounds.isValid()) bounds = layers.communities.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
    } else if (status && !failures.length) {
      status.textContent = labels.empty;
    }
    if (status && failures.length) {
      status.textContent = failures.map(function (n) {
        return labels.failed.replace("%(layer)s", n);
      }).join(" ");
    }
    el.dataset.ready = "1";
  });

  window.addEventListener("resize", function () { map.invalidateSize(); });
  // Other apps' layer scripts (e.g. monitoring's sensors) add themselves through this handle.
  window.resilienceMap = { map: map, layers: layersControl, config: cfg };
})();
