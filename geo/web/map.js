/* resource-control-mapper: the map's own code. Inlined into each page by geo/offline.py; every argument
   comes from Python as JSON (geo/webmap.py), so no data is ever spliced into this file. */
'use strict';

/* Google's encoded-polyline format (lat first), at 1/factor degrees. */
function resourceDecode(str, factor) {
  var index = 0, lat = 0, lng = 0, out = [];
  while (index < str.length) {
    var b, shift = 0, result = 0;
    do { b = str.charCodeAt(index++) - 63; result |= (b & 0x1f) << shift; shift += 5; } while (b >= 0x20);
    lat += (result & 1) ? ~(result >> 1) : (result >> 1);
    shift = 0; result = 0;
    do { b = str.charCodeAt(index++) - 63; result |= (b & 0x1f) << shift; shift += 5; } while (b >= 0x20);
    lng += (result & 1) ? ~(result >> 1) : (result >> 1);
    out.push([lat / factor, lng / factor]);
  }
  return out;
}

function resourcePolygon(encoded, factor, style) {
  return L.polygon(encoded.map(function (poly) {
    return poly.map(function (ring) { return resourceDecode(ring, factor); });
  }), style);
}

/* A layer of encoded polygons or lines, read from its JSON data block and drawn only when first shown. */
function resourceVectorLayer(source, style, highlight) {
  var payload = source;
  // Geometry arrives simplified for the map's scale, so Leaflet's own simplification is off.
  style = L.extend({smoothFactor: 0}, style);
  var Lazy = L.FeatureGroup.extend({
    onAdd: function (map) {
      if (payload) {
        var group = this, p = JSON.parse(document.getElementById(payload).textContent);
        payload = null;
        p.features.forEach(function (f) {
          var shape;
          if (f.t === 'P') {
            shape = resourcePolygon(f.g, p.f, style);
          } else {
            shape = L.polyline(f.g.map(function (line) { return resourceDecode(line, p.f); }), style);
          }
          if (f.label) { shape.bindTooltip(f.label, {sticky: true}); }
          if (highlight) {
            shape.on('mouseover', function () { shape.setStyle(highlight); });
            shape.on('mouseout', function () { shape.setStyle(style); });
          }
          group.addLayer(shape);
        });
      }
      L.FeatureGroup.prototype.onAdd.call(this, map);
    }
  });
  return new Lazy();
}

/* Frame the map at once and make the base-map pane, before any layer is added. folium's fit_bounds animates,
   and layers added meanwhile draw only partly. On a wide screen the frame leaves room for the legend (left)
   and the panel (right). The base map gets its own pane below the overlays. */
function resourceSetup(map, bounds, words) {
  map.createPane('basemap').style.zIndex = 250;
  /* the veil over the land outside a regional map's focus lies over the overlays (400), under the markers (600);
     the focus outline over it; marker clusters over the markers, so that no marker hides a cluster's count */
  [['veil', 450], ['focus', 460], ['clusters', 620]].forEach(function (p) {
    var pane = map.createPane(p[0]);
    pane.style.zIndex = p[1];
    pane.style.pointerEvents = p[0] === 'clusters' ? '' : 'none';
  });
  if (map.zoomControl) {  /* the same buttons, with titles in the page's language */
    map.removeControl(map.zoomControl);
    map.zoomControl = L.control.zoom({zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut}).addTo(map);
  }
  if (map.attributionControl) {  /* Leaflet's own credit, its link titled in the page's language */
    var prefix = document.createElement('div');
    prefix.innerHTML = map.attributionControl.options.prefix || '';  /* Leaflet's constant, not data */
    prefix.querySelectorAll('a').forEach(function (a) { a.title = words.leaflet; });
    map.attributionControl.setPrefix(prefix.innerHTML);
  }
  var side = window.innerWidth >= 1100 ? 330 : 0;
  map.fitBounds(bounds, {animate: false, paddingTopLeft: [side, 0], paddingBottomRight: [side, 0]});
}

/* Cluster icons say what the markers inside say: the count, and control by the markers' outline rule
   (all occupied, all held, or a mix). */
function resourceClusterIcon(rings) {
  return function (cluster) {
    var markers = cluster.getAllChildMarkers(), occupied = 0;
    markers.forEach(function (m) { if (m.options.control === 'occupied') { occupied += 1; } });
    var ring = occupied === 0 ? rings.held : (occupied === markers.length ? rings.occupied : rings.mixed);
    var size = markers.length < 10 ? 30 : 36;
    var div = document.createElement('div');
    div.className = 'deposit-cluster';
    div.style.width = size + 'px';
    div.style.height = size + 'px';
    div.style.lineHeight = (size - 6) + 'px';
    div.style.border = ring;
    div.title = rings.title.replace('{n}', markers.length).replace('{occupied}', occupied);
    div.textContent = String(markers.length);
    return L.divIcon({html: div, className: 'deposit-cluster-icon', iconSize: [size, size]});
  };
}

/* Deposit markers, search, full screen, per-layer legend, panel and credits. */
function resourceExtras(map, groups, layers, o) {
  var shapes = o.shapes, data = o.records, regions = o.regions, words = o.words;
  map.getContainer().querySelectorAll('.leaflet-control-layers-toggle').forEach(function (a) {
    a.title = words.layers;
    a.setAttribute('aria-label', words.layers);
  });
  function icon(d) {
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + d.size + '" height="' + d.size +
      '" viewBox="-2 -2 24 24"><path d="' + shapes[d.shape] + '" fill="' + d.fill + '" stroke="' + d.stroke +
      '" stroke-width="' + d.sw + '"' + (d.dash ? ' stroke-dasharray="' + d.dash + '"' : '') + '/></svg>';
    return L.divIcon({html: svg, className: 'deposit-icon', iconSize: [d.size, d.size],
                      iconAnchor: [d.size / 2, d.size / 2], popupAnchor: [0, -d.size / 2]});
  }
  var byGroup = {};
  var markers = data.map(function (d) {
    var m = L.marker([d.lat, d.lon], {icon: icon(d), title: d.title, riseOnHover: true,
                                       zIndexOffset: d.group === 'lithium' ? 1000 : 0});
    m.options.control = d.control;
    m.resourceData = d;
    m.bindPopup(d.popup, {maxWidth: Math.min(360, window.innerWidth - 60)});
    if (d.label) {  /* the sites a map is about are named on it, always */
      m.bindTooltip(d.name, {permanent: true, direction: 'right', offset: [d.size / 2, 0], className: 'deposit-label',
                     opacity: 1});  /* opaque: its text's contrast is the one measured */
    } else {
      m.bindTooltip(d.name, {direction: 'top', offset: [0, -d.size / 2]});
    }
    m.depositId = d.id;
    (byGroup[d.group] = byGroup[d.group] || []).push(m);
    return m;
  });
  Object.keys(byGroup).forEach(function (key) {
    var g = groups[key];
    if (g.addLayers) { g.addLayers(byGroup[key]); } else { byGroup[key].forEach(function (m) { g.addLayer(m); }); }
  });

  var entries = [];
  data.forEach(function (d, i) { d.search.forEach(function (s) { if (s) { entries.push({label: s, kind: 'deposit', index: i}); } }); });
  regions.forEach(function (r) { entries.push({label: r.label, kind: 'region', bounds: r.bounds}); });
  function norm(s) { return s.normalize('NFC').toLowerCase().replace(/[\u2019'\u02bc`]/g, ''); }
  function rank(label, q) {
    if (label === q) { return 0; }
    if (label.indexOf(q) === 0) { return 1; }
    if ((' ' + label).indexOf(' ' + q) >= 0) { return 2; }
    return label.indexOf(q) >= 0 ? 3 : -1;
  }
  function find(q) {
    q = norm(q.trim());
    if (!q) { return null; }
    var best = null, bestScore = 99;
    entries.forEach(function (e) {
      var r = rank(norm(e.label), q);
      if (r < 0) { return; }
      var score = r * 2 + (e.kind === 'region' ? 0 : 1);  // regions first on ties
      if (score < bestScore) { best = e; bestScore = score; }
    });
    return best;
  }
  function go(q, status) {
    var e = find(q);
    status.textContent = e ? '' : words.noMatch;
    if (!e) { return; }
    if (e.kind === 'region') { map.fitBounds(e.bounds); return; }
    var m = markers[e.index], g = groups[data[e.index].group];
    if (!map.hasLayer(g)) { map.addLayer(g); }
    if (g.zoomToShowLayer) {
      g.zoomToShowLayer(m, function () { m.openPopup(); });
    } else {
      map.setView(m.getLatLng(), Math.max(map.getZoom(), 9));
      m.openPopup();
    }
  }
  var Search = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar map-search');
      var input = L.DomUtil.create('input', '', div);
      input.type = 'search';
      input.placeholder = words.searchPlaceholder;
      input.setAttribute('aria-label', words.searchLabel);
      input.setAttribute('list', o.id + '_names');
      var list = L.DomUtil.create('datalist', '', div);
      list.id = o.id + '_names';
      entries.forEach(function (e) { var opt = document.createElement('option'); opt.value = e.label; list.appendChild(opt); });
      var status = L.DomUtil.create('div', 'map-search-status', div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(input, 'keydown', function (ev) { if (ev.key === 'Enter') { go(input.value, status); } });
      L.DomEvent.on(input, 'input', function (ev) {  // a pick from the suggestion list
        if (ev.inputType === 'insertReplacementText' || ev.inputType === undefined) { go(input.value, status); }
      });
      return div;
    }
  });
  new Search().addTo(map);

  var Fullscreen = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar');
      var a = L.DomUtil.create('a', 'map-fullscreen', div);
      a.href = '#'; a.title = words.fullScreen; a.setAttribute('role', 'button'); a.setAttribute('aria-label', words.fullScreen);
      a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="margin-top:7px"><path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" stroke-width="2"/></svg>';
      L.DomEvent.on(a, 'click', function (ev) {
        L.DomEvent.preventDefault(ev);
        if (document.fullscreenElement) { document.exitFullscreen(); } else { map.getContainer().requestFullscreen(); }
      });
      return div;
    }
  });
  new Fullscreen().addTo(map);
  document.addEventListener('fullscreenchange', function () { map.invalidateSize(); });

  function boxControl(id, position) {
    var C = L.Control.extend({options: {position: position}, onAdd: function () {
      var el = document.getElementById(id);
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
      return el;
    }});
    new C().addTo(map);
  }
  boxControl(o.id + '_panel', 'bottomright');
  boxControl(o.id + '_legend', 'bottomleft');
  if (window.innerWidth < 700) {
    document.querySelectorAll('.map-panel details, .map-legend details').forEach(function (d) { d.open = false; });
  }
  function updateLegend() {
    document.querySelectorAll('#' + o.id + '_legend .legend-section').forEach(function (el) {
      el.style.display = map.hasLayer(layers[el.dataset.layer]) ? '' : 'none';
    });
  }
  map.on('overlayadd overlayremove layeradd layerremove', updateLegend);
  updateLegend();
  map.attributionControl.addAttribution(o.credits);
  /* On a narrow screen the credits take the whole width: the left corner (legend, scale bar) stands on them, and
     the panel leaves room for the legend's button. */
  function layoutCorners() {
    var narrow = window.innerWidth < 700, credits = map.attributionControl.getContainer();
    var left = map.getContainer().querySelector('.leaflet-bottom.leaflet-left');
    left.style.bottom = narrow ? credits.offsetHeight + 'px' : '';
    if (!narrow) { return; }
    var a = document.getElementById(o.id + '_legend').getBoundingClientRect();
    var b = document.getElementById(o.id + '_panel').getBoundingClientRect();
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {  /* the legend above the panel */
      left.style.bottom = (credits.offsetHeight + a.bottom - b.top + 4) + 'px';
    }
  }
  layoutCorners();
  window.addEventListener('resize', layoutCorners);
  /* On a narrow screen a popup is panned clear of the controls stacked at the top and bottom (the slider box, the
     panel's and legend's buttons), which would otherwise cover its first or last lines. */
  map.on('popupopen', function (e) {
    if (window.innerWidth >= 700) { return; }
    var box = map.getContainer().getBoundingClientRect(), top = 0, bottom = 0;
    map.getContainer().querySelectorAll('.leaflet-top .leaflet-control').forEach(function (c) {
      top = Math.max(top, c.getBoundingClientRect().bottom - box.top);
    });
    map.getContainer().querySelectorAll('.leaflet-bottom .leaflet-control').forEach(function (c) {
      bottom = Math.max(bottom, box.bottom - c.getBoundingClientRect().top);
    });
    e.popup.options.autoPanPaddingTopLeft = L.point(5, top + 5);
    e.popup.options.autoPanPaddingBottomRight = L.point(5, bottom + 5);
    e.popup.update();
  });
  window.resourceMap = {map: map, markers: markers, groups: groups, layers: layers, icon: icon, id: o.id,
                       updateLegend: updateLegend, regions: regions};  /* regions: the search's, read by tableview.js */
  var sizing = document.getElementById(o.id + '_size');
  if (sizing) {  /* markers sized by their published reserve, where a figure in the group's measure exists */
    sizing.addEventListener('change', function () {
      markers.forEach(function (m) {
        var d = m.resourceData;
        if (!d.rsize) { return; }
        d.size = sizing.checked ? d.rsize : d.base;
        m.setIcon(icon(L.extend({}, d, m.outline || {})));
      });
      Object.keys(groups).forEach(function (key) {  /* a hidden cluster group redraws when shown */
        if (groups[key].refreshClusters && map.hasLayer(groups[key])) { groups[key].refreshClusters(); }
      });
    });
  }
}

/* The time slider (resourceSlider) is in slider.js, inlined into the maps that have one. */

/* The scenario map: a switcher over the peace-plan scenarios. Each one's areas (Russian-controlled, the
   demilitarised zone, what is ceded and returned against today's line) fill the scenario layers, and only the
   layers the chosen scenario has are listed in the layer control and the legend; the markers take their control
   under it, its panel is shown, and the address keeps the choice (#scenario=<id>; an unknown id opens the first). */
function resourceScenarios(map, control, groups, id) {
  var o = JSON.parse(document.getElementById(id + '_data').textContent);
  var ids = o.ids, kinds = o.kinds, r = window.resourceMap, cache = {}, current = -1, busy = false, wanted = {};
  var select = document.getElementById(id + '_select');
  var panels = document.querySelectorAll('#' + r.id + '_panel .scenario-panel');
  var dmzMarker = document.querySelector('#' + r.id + '_legend .legend-dmz-marker');
  kinds.forEach(function (k) { wanted[k] = true; });
  map.on('overlayadd overlayremove', function (e) {  /* the reader's own choice, kept from scenario to scenario */
    if (busy) { return; }
    kinds.forEach(function (k) { if (e.layer === groups[k]) { wanted[k] = e.type === 'overlayadd'; } });
  });
  function area(i, k) {
    var key = k + i;
    if (!cache[key]) {
      cache[key] = resourcePolygon(o.shapes[i][k], o.factor, L.extend({smoothFactor: 0}, o.styles[k]));
      cache[key].bindTooltip(o.names[k], {sticky: true});
    }
    return cache[key];
  }
  function fromHash() {
    var m = /(?:^|[#&])scenario=([^&]*)/.exec(window.location.hash), want = null;
    if (m) { try { want = decodeURIComponent(m[1]); } catch (err) { want = null; } }
    var i = ids.indexOf(want);
    return i < 0 ? 0 : i;
  }
  function show(i) {
    current = i;
    busy = true;
    kinds.forEach(function (k) {
      var g = groups[k];
      control.removeLayer(g);
      g.clearLayers();
      if (o.shapes[i][k].length) {
        g.addLayer(area(i, k));
        control.addOverlay(g, o.names[k]);
        if (wanted[k]) { map.addLayer(g); } else { map.removeLayer(g); }
      } else {
        map.removeLayer(g);
      }
    });
    busy = false;
    r.markers.forEach(function (m, n) {
      var c = o.outline[o.codes[n].charAt(i)];
      m.outline = {stroke: c[0], sw: c[1], dash: c[2] || ''};
      m.setIcon(r.icon(L.extend({}, m.resourceData, m.outline)));
      m.options.control = c[3];
    });
    Object.keys(r.groups).forEach(function (key) {
      var g = r.groups[key];
      if (g.refreshClusters && map.hasLayer(g)) { g.refreshClusters(); }
    });
    panels.forEach(function (el) { el.hidden = el.dataset.scenario !== ids[i]; });
    if (dmzMarker) { dmzMarker.style.display = o.dmz[i] ? '' : 'none'; }
    select.value = ids[i];
    r.scenario = ids[i];
    r.updateLegend();
    document.dispatchEvent(new CustomEvent('resource:state'));
  }
  function remember(i) {  /* the scenario's part of the address; the others (geo/web/permalink.js) kept */
    var parts = window.location.hash.replace(/^#/, '').split('&').filter(function (p) { return p && !/^scenario(=|$)/.test(p); });
    var hash = '#' + parts.concat(['scenario=' + encodeURIComponent(ids[i])]).join('&');
    if (window.location.hash === hash) { return; }
    try { window.history.replaceState(null, '', hash); } catch (err) { window.location.hash = hash; }
  }
  var Switcher = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
    var el = document.getElementById(id + '_switch');
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
    return el;
  }});
  new Switcher().addTo(map);
  select.addEventListener('change', function () {
    var i = ids.indexOf(select.value);
    if (i < 0) { i = 0; }
    show(i);
    remember(i);
  });
  window.addEventListener('hashchange', function () { var i = fromHash(); if (i !== current) { show(i); } });
  show(fromHash());
}
