/* resource-control-mapper: links that reopen what the reader sees, and the embed mode. Inlined into each page by
   geo/offline.py; its arguments come from Python as JSON (geo/webmap.py, Permalink).

   The address's hash holds the state, each part optional, in this order:
     #view=<zoom>/<lat>/<lon>&layers=<key>,<key>&date=YYYY-MM-DD&since=YYYY-MM-DD&scenario=<id>&embed
   Only what differs from how the page opens is written (the view once the reader has moved the map), so that an
   untouched page has no hash. Every part read is checked against the page's own keys, dates, ids and number
   ranges; anything else is ignored, and nothing read from the address is ever put into the page as HTML. */
'use strict';

function resourcePermalink(map, keyed, control, o) {
  var r = window.resourceMap, words = o.words, keys = Object.keys(keyed);
  var NUMBER = /^-?\d{1,3}(\.\d{1,10})?$/, DATE = /^(\d{4})-(\d{2})-(\d{2})$/, PARTS = ['view', 'layers', 'date', 'since', 'scenario', 'embed'];

  function parse(hash) {  /* only the known parts; the last of each wins */
    var out = {};
    hash.replace(/^#/, '').split('&').forEach(function (part) {
      var at = part.indexOf('='), name = at < 0 ? part : part.slice(0, at);
      if (PARTS.indexOf(name) >= 0) { out[name] = at < 0 ? '' : part.slice(at + 1); }
    });
    return out;
  }
  function decode(s) { try { return decodeURIComponent(s); } catch (err) { return null; } }
  function listed(layer) {  /* in the layer control now (a scenario lists only the areas it has) */
    return control._layers.some(function (e) { return e.layer === layer && e.overlay; });
  }
  function visible() { return keys.filter(function (k) { return listed(keyed[k]) && map.hasLayer(keyed[k]); }); }
  var shown = {};  /* how the page opens: what differs from it goes into the address */
  keys.forEach(function (k) { shown[k] = map.hasLayer(keyed[k]); });

  function readView(value) {
    var p = (decode(value) || '').split('/');
    if (p.length !== 3 || !p.every(function (x) { return NUMBER.test(x); })) { return null; }
    var z = parseFloat(p[0]), lat = parseFloat(p[1]), lon = parseFloat(p[2]);
    if (z < map.getMinZoom() || z > map.getMaxZoom() || Math.abs(lat) > 85 || Math.abs(lon) > 180) { return null; }
    return {zoom: z, centre: L.latLng(lat, lon)};
  }
  function readDate(value) {  /* the slider's last date on or before it, within the slider's dates */
    var d = decode(value), m = DATE.exec(d || ''), dates = r.slider ? r.slider.dates : [];
    if (!m || !dates.length) { return null; }
    var t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    if (t.getUTCFullYear() !== +m[1] || t.getUTCMonth() !== +m[2] - 1 || t.getUTCDate() !== +m[3]) { return null; }
    var best = null;
    dates.forEach(function (x) { if (x <= d) { best = x; } });
    return d > dates[dates.length - 1] ? null : best;
  }
  function readLayers(value) {  /* 'layers=' is every layer off; a list naming no known layer is ignored */
    var want = value.split(',').filter(function (k) { return k !== ''; });
    var known = want.map(decode).filter(function (k) { return keys.indexOf(k) >= 0; });
    return want.length && !known.length ? null : known;
  }

  var quiet = true, moved = false, timer = null;
  function apply(state) {
    quiet = true;
    var view = state.view === undefined ? null : readView(state.view);
    if (view) { map.setView(view.centre, view.zoom, {animate: false}); moved = true; }
    var layers = state.layers === undefined ? null : readLayers(state.layers);
    if (layers) {
      keys.forEach(function (k) {
        if (!listed(keyed[k])) { return; }
        if (layers.indexOf(k) >= 0) { map.addLayer(keyed[k]); } else { map.removeLayer(keyed[k]); }
      });
    }
    var date = state.date === undefined ? null : readDate(state.date);
    if (date) { r.slider.setDate(date); }
    var since = state.since === undefined ? null : readDate(state.since);  /* the slider's 'changes since' date */
    if (since && r.slider.setFrom) { r.slider.setFrom(since); }
    quiet = false;
    return view;
  }

  function hash(embed) {
    var parts = [];
    if (moved) {
      var c = map.getCenter(), z = map.getZoom(), n = Math.max(2, Math.ceil(Math.log(256 * Math.pow(2, z) / 360) / Math.LN10));
      parts.push('view=' + (Math.round(z * 100) / 100) + '/' + c.lat.toFixed(n) + '/' + L.Util.wrapNum(c.lng, [-180, 180], true).toFixed(n));
    }
    var on = visible();
    if (keys.some(function (k) { return listed(keyed[k]) && map.hasLayer(keyed[k]) !== shown[k]; })) {
      parts.push('layers=' + on.map(encodeURIComponent).join(','));
    }
    if (r.slider && r.slider.date() !== r.slider.dates[r.slider.dates.length - 1]) { parts.push('date=' + r.slider.date()); }
    if (r.slider && r.slider.from && r.slider.from()) { parts.push('since=' + r.slider.from()); }
    if (r.scenario && r.scenario !== o.scenario) { parts.push('scenario=' + encodeURIComponent(r.scenario)); }
    if (embed) { parts.push('embed'); }
    return parts.length ? '#' + parts.join('&') : '';
  }
  function base() { return window.location.href.split('#')[0]; }
  var embed = parse(window.location.hash).embed !== undefined, full = null;
  function write() {
    timer = null;
    var h = hash(embed);
    if (full) { full.href = base() + hash(false); }
    if (h === window.location.hash) { return; }
    try { window.history.replaceState(window.history.state, '', h || base()); } catch (err) { /* a sandboxed frame */ }
  }
  function later() { if (!quiet) { if (timer) { clearTimeout(timer); } timer = setTimeout(write, 300); } }

  /* Copy link: the address of what is shown, to the clipboard where the browser allows it; else (a file:// page)
     in a text field, selected, for the reader to copy. */
  function copyControl() {
    var C = L.Control.extend({options: {position: 'topright'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar map-copylink');
      var button = L.DomUtil.create('button', '', div);
      button.type = 'button';
      button.title = words.copy;
      button.setAttribute('aria-label', words.copy);
      button.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path d="M6.5 9.5l3-3M7 4.5l1.5-1.5a2.5 2.5 0 0 1 3.5 3.5L10.5 8M9 11.5L7.5 13A2.5 2.5 0 0 1 4 9.5L5.5 8" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>';
      var box = L.DomUtil.create('div', 'map-copylink-box', div);
      box.hidden = true;
      var field = L.DomUtil.create('input', '', box);
      field.type = 'text'; field.readOnly = true; field.setAttribute('aria-label', words.link);
      var status = L.DomUtil.create('div', 'map-copylink-status', box);
      status.setAttribute('role', 'status');
      L.DomEvent.disableClickPropagation(div);
      function say(message, withField) {
        box.hidden = false;
        field.hidden = !withField;
        status.textContent = message;
      }
      function fallback(url) {
        say(words.copyHint, true);
        field.value = url;
        field.focus();
        field.select();
        var done = false;
        try { done = document.execCommand('copy'); } catch (err) { done = false; }
        if (done) { status.textContent = words.copied; }
      }
      L.DomEvent.on(button, 'click', function () {
        if (timer) { clearTimeout(timer); write(); }
        var url = base() + hash(false);
        if (navigator.clipboard && window.isSecureContext && window.location.protocol !== 'file:') {
          navigator.clipboard.writeText(url).then(function () {
            field.value = url; say(words.copied, false);
            setTimeout(function () { if (field.hidden) { box.hidden = true; } }, 2500);
          },
                                                  function () { fallback(url); });
        } else { fallback(url); }
      });
      L.DomEvent.on(field, 'keydown', function (ev) { if (ev.key === 'Escape') { box.hidden = true; button.focus(); } });
      map.on('click movestart', function () { box.hidden = true; });
      return div;
    }});
    new C().addTo(map);
  }

  /* The embed mode: the map alone (no search, full screen or copy link; legend and panel folded), framed to the
     iframe, the wheel zooming only once the reader has clicked the map, and a link to the full map. */
  function embedMode() {
    document.documentElement.classList.add('map-embed');
    map.getContainer().querySelectorAll('.map-search, .map-fullscreen').forEach(function (el) {
      var c = el.closest('.leaflet-control');
      if (c) { c.hidden = true; }
    });
    document.querySelectorAll('.map-panel details, .map-legend details').forEach(function (d) { d.open = false; });
    map.scrollWheelZoom.disable();
    map.once('click focus', function () { map.scrollWheelZoom.enable(); });
    var C = L.Control.extend({options: {position: 'bottomleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'map-fullmap');
      full = L.DomUtil.create('a', '', div);
      full.textContent = words.openFull;
      full.title = words.openFullTitle;
      full.target = '_blank';
      full.rel = 'noopener';
      full.href = base();
      return div;
    }});
    new C().addTo(map);
    /* the credits, larger here, may wrap: the left corner (scale bar, legend) stands on them, never under */
    var left = map.getContainer().querySelector('.leaflet-bottom.leaflet-left'), credits = map.attributionControl.getContainer();
    function lift() {
      var c = credits.getBoundingClientRect(), l = left.getBoundingClientRect(), box = map.getContainer().getBoundingClientRect();
      if (c.left < l.right && l.bottom > c.top) { left.style.bottom = (box.bottom - c.top) + 'px'; }
    }
    window.addEventListener('resize', lift);
    window.dispatchEvent(new Event('resize'));  /* map.js lays the corners out again, with the credits' new size */
  }

  if (embed) { embedMode(); } else { copyControl(); }
  var opened = apply(parse(window.location.hash));
  if (embed && !opened) { map.fitBounds(o.bounds, {animate: false}); }  /* the legend and panel are folded */
  if (full) { full.href = base() + hash(false); }
  map.on('movestart zoomstart', function () { if (!quiet) { moved = true; } });
  map.on('moveend overlayadd overlayremove', later);
  document.addEventListener('resource:state', later);
  window.addEventListener('hashchange', function () { apply(parse(window.location.hash)); later(); });
  r.permalink = function () { return base() + hash(false); };
}
