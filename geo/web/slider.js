/* resource-control-mapper: the time slider, inlined by geo/offline.py into the maps that have one (geo/webmap.py
   _slider); every argument comes from Python as JSON, so no data is ever spliced into this file. It draws with
   resourcePolygon and resourceDecode of map.js. */
'use strict';

/* Non-negative integers written as polyline characters (geo.webmap.int_text): five bits a character, the low
   ones first, 0x20 set on every character but a number's last. Read with arithmetic, not bit operators, so that
   numbers beyond 32 bits (m² of a large piece) come out whole. */
function resourceInts(str) {
  var out = [], index = 0;
  while (index < str.length) {
    var b, scale = 1, value = 0;
    do { b = str.charCodeAt(index++) - 63; value += (b & 0x1f) * scale; scale *= 32; } while (b >= 0x20);
    out.push(value);
  }
  return out;
}

/* Step through dated snapshots: draw each date's occupied area (dashed), recolour the deposits by their status
   then and set the panel to that date. Against now, draw what was occupied then and is no longer (the grey zone
   now aside) and what was taken since; in the "changes since" mode, what changed between an earlier date and the
   slider's, with each region's km² and the deposit records that changed hands. Both draw the pieces of
   geo.geometry.Overlay that a change of control (not a redraw of DeepState's lines) made; the km² are measured in
   Python at full detail, per piece pattern and region, and only added up here. A play button steps through the
   dates (one date per press where the reader's system asks for reduced motion). */
function resourceSlider(map, o) {
  var dates = o.dates, shapes = o.shapes, codes = o.codes, outline = o.outline, words = o.words;
  var last = dates.length - 1, r = window.resourceMap;
  var style = L.extend({interactive: false, smoothFactor: 0}, o.style);
  var changeStyle = {
    freed: L.extend({interactive: false, smoothFactor: 0, className: 'slider-freed'}, o.change.freed),
    taken: L.extend({interactive: false, smoothFactor: 0, className: 'slider-taken'}, o.change.taken)
  };
  var past = L.featureGroup(), cache = {}, current = last, since = -1, input, label, select, check, button;

  var patterns = [], flat = resourceInts(o.patterns);
  for (var at = 0; at < flat.length;) {
    var toggles = [], count = flat[at++], t = 0;
    for (var n = 0; n < count; n++) { t += flat[at++]; toggles.push(t); }
    patterns.push(toggles);
  }
  function occupied(p, date) {  /* a pattern is occupied from its first toggle on, not from its second, … */
    var inside = false;
    for (var k = 0; k < patterns[p].length && patterns[p][k] <= date; k++) { inside = !inside; }
    return inside;
  }
  function recordOccupied(k, date) { return outline[codes[k].charAt(date)][3] === 'occupied'; }
  var decoded = {};
  function piece(k) {
    if (!decoded[k]) {
      decoded[k] = o.pieces[k][3].map(function (poly) {
        return poly.map(function (ring) { return resourceDecode(ring, o.factor); });
      });
    }
    return decoded[k];
  }
  /* A piece is drawn between two dates where it differs, if one of its toggles between them is a change of
     control (p[2]: their positions in its pattern), not a redraw of DeepState's lines. */
  function real(p, from, to) {
    var lo = Math.min(from, to), hi = Math.max(from, to), toggles = patterns[p[0]];
    return p[2].some(function (k) { return toggles[k] > lo && toggles[k] <= hi; });
  }
  function changed(kind, from, to) {  /* the pieces occupied on `to` and not `from` (taken), or the reverse */
    var polys = [];
    o.pieces.forEach(function (p, k) {
      var before = occupied(p[0], from), after = occupied(p[0], to);
      var hit = kind === 'taken' ? (!before && after) : (before && !after && !(to === last && p[1]));
      if (hit && real(p, from, to)) { Array.prototype.push.apply(polys, piece(k)); }
    });
    return polys.length ? L.polygon(polys, changeStyle[kind]) : null;
  }
  function then(i) {
    if (!cache[i]) { cache[i] = resourcePolygon(shapes[i], o.factor, style); }
    return cache[i];
  }

  var areas = {};
  function regionAreas(k) {  /* [pattern, m²] of region k */
    if (!areas[k]) {
      var values = resourceInts(o.regions[k].km2), p = 0;
      areas[k] = [];
      for (var v = 0; v < values.length; v += 2) { p += values[v]; areas[k].push([p, values[v + 1]]); }
    }
    return areas[k];
  }
  /* The changes between the dates at positions `from` and `to`: per region, km² occupied on `to` and not on `from`
     (gained) and the reverse (lost), and the records it holds that came under occupation (taken) or out of it
     (freed); then the records the panel counts that changed hands. */
  function figures(from, to) {
    var regions = o.regions.map(function (region, k) {
      var gained = 0, lost = 0, taken = 0, freed = 0;
      regionAreas(k).forEach(function (e) {
        var before = occupied(e[0], from), after = occupied(e[0], to);
        if (after && !before) { gained += e[1]; } else if (before && !after) { lost += e[1]; }
      });
      region.records.forEach(function (m) {
        var before = recordOccupied(m, from), after = recordOccupied(m, to);
        if (after && !before) { taken += 1; } else if (before && !after) { freed += 1; }
      });
      return {id: region.id, name: region.name, focus: region.focus, gained: gained / 1e6, lost: lost / 1e6,
              taken: taken, freed: freed};
    });
    var records = [];
    o.records.forEach(function (m) {
      if (recordOccupied(m, from) === recordOccupied(m, to)) { return; }
      var d = r.markers[m].resourceData;  /* its title is the plain name (its name is HTML, for the tooltip) */
      records.push({id: d.id, name: d.title, taken: recordOccupied(m, to),
                    from: o.labels[codes[m].charAt(from)], to: o.labels[codes[m].charAt(to)]});
    });
    return {from: dates[from], to: dates[to], regions: regions, records: records};
  }

  function number(x) {  /* one decimal, with the language's separator and mark */
    var parts = Math.abs(x).toFixed(1).split('.');
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, o.marks[0]) + o.marks[1] + parts[1];
  }
  function fill(template, values) {  /* one pass: what a value holds is never read as a placeholder */
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }
  var panel = document.getElementById(r.id + '_panel');
  var legend = document.querySelector('#' + r.id + '_legend .legend-slider');
  var box = document.createElement('div');
  box.className = 'panel-changes';
  box.hidden = true;
  var counts = panel.querySelector('.panel-counts');
  counts.parentNode.insertBefore(box, counts.nextSibling);
  function line(parent, tag, className, textValue) {
    var el = document.createElement(tag);
    el.className = className;
    el.textContent = textValue;
    parent.appendChild(el);
    return el;
  }
  function setChanges() {
    box.hidden = since < 0;
    box.textContent = '';
    if (since < 0) { return; }
    var f = figures(since, current);
    line(box, 'b', 'panel-changes-title', fill(words.changes_title, {from: f.from, to: f.to}));
    f.regions.forEach(function (g) {
      var shown = number(g.gained) !== number(0) || number(g.lost) !== number(0) || g.taken || g.freed;
      if (!g.focus && !shown) { return; }
      var net = g.gained - g.lost, sign = number(net) === number(0) ? '' : (net > 0 ? '+' : '\u2212');
      line(box, 'div', 'panel-changes-region', fill(words.changes_region, {
        name: g.name, gained: number(g.gained), lost: number(g.lost), net: sign + number(net),
        taken: g.taken, freed: g.freed}));
    });
    line(box, 'div', 'panel-changes-records-title', f.records.length ? words.changes_records : words.changes_records_none);
    if (f.records.length) {
      var list = line(box, 'ul', 'panel-changes-records', '');
      f.records.forEach(function (d) { line(list, 'li', '', fill(words.changes_record, {name: d.name, from: d.from, to: d.to})); });
    }
    line(box, 'small', 'panel-changes-note', words.changes_note);
  }
  function setPanel(i) {
    var p = o.panel[i];
    panel.querySelector('.panel-when').textContent = p.when;
    panel.querySelectorAll('.panel-focus').forEach(function (el, k) { el.textContent = p.focus[k] || ''; });
    counts.textContent = p.counts;
    setChanges();
  }

  function render() {
    var i = current, now = i === last, from = since < 0 ? i : since, to = since < 0 ? last : i;
    past.clearLayers();
    if (from !== to) {
      ['freed', 'taken'].forEach(function (kind) { var shape = changed(kind, from, to); if (shape) { past.addLayer(shape); } });
    }
    if (!now) { past.addLayer(then(i)); }
    if (past.getLayers().length) { if (!map.hasLayer(past)) { past.addTo(map); } } else { map.removeLayer(past); }
    if (legend) {
      legend.style.display = now && since < 0 ? 'none' : '';
      legend.querySelector('.legend-vs-now').hidden = since >= 0;
      legend.querySelector('.legend-since').hidden = since < 0;
    }
    r.markers.forEach(function (m, k) {
      var c = outline[codes[k].charAt(i)];
      m.outline = {stroke: c[0], sw: c[1], dash: c[2] || ''};
      m.setIcon(r.icon(L.extend({}, m.resourceData, m.outline)));
      m.options.control = c[3];
    });
    Object.keys(r.groups).forEach(function (key) {
      var g = r.groups[key];
      if (g.refreshClusters && map.hasLayer(g)) { g.refreshClusters(); }
    });
    label.textContent = dates[i] + (now ? words.now : words.past);
    setPanel(i);
    r.sliderDate = dates[i];
    input.value = i;
    check.setAttribute('aria-pressed', since >= 0 ? 'true' : 'false');
    select.hidden = since < 0;
    if (since >= 0) { select.value = dates[since]; }
    document.dispatchEvent(new CustomEvent('resource:state'));
  }
  function show(i) { current = i; render(); }
  function setSince(k) { since = k; render(); }

  var timer = null, PACE_MS = 1000;
  var motion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : null;
  function reduced() { return Boolean(motion && motion.matches); }
  function setButton() {
    var playing = timer !== null;
    var symbol = reduced() ? '\u23ed' : (playing ? '\u23f8' : '\u25b6');
    var full = reduced() ? words.step_label : (playing ? words.pause_label : words.play_label);
    button.textContent = '';
    var icon = document.createElement('span');
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = symbol + ' ';
    button.appendChild(icon);
    button.appendChild(document.createTextNode(reduced() ? words.step : (playing ? words.pause : words.play)));
    button.setAttribute('aria-label', full);
    button.title = full;
  }
  function pause() {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
    setButton();
  }
  function play() {
    if (last === 0) { return; }  /* one date: nothing to step through */
    if (reduced()) { show(current === last ? 0 : current + 1); return; }  /* no automatic stepping: one date */
    if (timer !== null) { return; }
    if (current === last) { show(0); }
    timer = window.setInterval(function () {
      show(current + 1);
      if (current === last) { pause(); }
    }, PACE_MS);
    setButton();
  }
  if (motion && motion.addEventListener) {
    motion.addEventListener('change', function () { if (reduced()) { pause(); } else { setButton(); } });
  }

  /* The slider as other parts of the page see it (the permalink, the table view): its dates, the date shown, and
     a way to show one; the earlier date of the "changes since" mode (null when it is off) and a way to set it;
     the figures of the changes shown; play and pause. Every change of a date or of the mode is announced on the
     document as 'resource:state'. */
  r.slider = {
    dates: dates.slice(),
    date: function () { return r.sliderDate || dates[last]; },
    setDate: function (d) { var i = dates.indexOf(d); if (i < 0) { return false; } show(i); return true; },
    from: function () { return since < 0 ? null : dates[since]; },
    setFrom: function (d) {
      if (d === null) { setSince(-1); return true; }
      var k = dates.indexOf(d);
      if (k < 0) { return false; }
      setSince(k);
      return true;
    },
    changes: function () { return since < 0 ? null : figures(since, current); },
    play: play,
    pause: pause,
    playing: function () { return timer !== null; }
  };
  var Slider = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar map-slider');
      var title = L.DomUtil.create('div', 'map-slider-title', div);
      title.textContent = words.title;
      input = L.DomUtil.create('input', '', div);
      input.type = 'range'; input.min = 0; input.max = last; input.step = 1; input.value = last;
      input.setAttribute('aria-label', words.label);
      label = L.DomUtil.create('div', 'map-slider-date', div);
      label.textContent = dates[last] + words.now;
      var tools = L.DomUtil.create('div', 'map-slider-tools', div);
      button = L.DomUtil.create('button', 'map-slider-play', tools);
      button.type = 'button';
      check = L.DomUtil.create('button', 'map-slider-since', tools);  /* a toggle: .map-slider input is the range */
      check.type = 'button';
      check.textContent = words.since;
      check.setAttribute('aria-pressed', 'false');
      select = L.DomUtil.create('select', 'map-slider-from', tools);
      select.setAttribute('aria-label', words.from_label);
      select.hidden = true;
      dates.forEach(function (d) { var opt = document.createElement('option'); opt.value = d; opt.textContent = d; select.appendChild(opt); });
      select.value = dates[Math.max(0, last - 1)];
      setButton();
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(input, 'input', function () { pause(); show(parseInt(input.value, 10)); });
      L.DomEvent.on(button, 'click', function () { if (timer !== null) { pause(); } else { play(); } });
      L.DomEvent.on(check, 'click', function () {
        if (since < 0) {
          /* until the reader picks one, the earlier date is the step before the slider's */
          setSince(select.dataset.chosen ? dates.indexOf(select.value) : Math.max(0, current - 1));
        } else { setSince(-1); }
      });
      L.DomEvent.on(select, 'change', function () { select.dataset.chosen = '1'; setSince(dates.indexOf(select.value)); });
      return div;
    }
  });
  new Slider().addTo(map);
}
