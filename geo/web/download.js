/* resource-control-mapper: the download control (geo/webmap.py DownloadControl writes its JSON data block).
   The records' CSV is deposits.csv as the build wrote it (geo/tables.py, the one home of its escaping), deflated: a
   download is its header and the lines of the markers shown (layer on, in the map's view, with a known site). */
'use strict';

function resourceDownload(id) {
  var r = window.resourceMap, map = r.map, o = JSON.parse(document.getElementById(id + '_data').textContent);
  var words = o.words, loaded = null, menu, count, status;
  function split(text, sep) {  /* at `sep` outside quoted fields */
    var out = [], start = 0, quoted = false;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (c === '"') { quoted = !quoted; } else if (c === sep && !quoted) { out.push(text.slice(start, i)); start = i + 1; }
    }
    out.push(text.slice(start));
    return out;
  }
  function unquote(cell) { return cell.charAt(0) === '"' ? cell.slice(1, -1).replace(/""/g, '"') : cell; }
  function load() {  /* deposits.csv, unpacked once: header, then one line per record in the markers' order */
    if (!loaded) {
      var bytes = Uint8Array.from(atob(o.csv), function (ch) { return ch.charCodeAt(0); });
      loaded = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).text()
        .then(function (text) {
          var lines = split(text.replace(/\n$/, ''), '\n'), names = split(lines[0], ',');
          var at = [names.indexOf(o.point[0]), names.indexOf(o.point[1])];
          return {header: lines[0], names: names, rows: lines.slice(1).map(function (line) {
            var cells = split(line, ',');
            return {line: line, cells: cells, at: at.map(function (i) { return unquote(cells[i]); })};
          })};
        });
    }
    return loaded;
  }
  function shown(table) {
    var bounds = map.getBounds();
    return table.rows.filter(function (row, k) {
      var m = r.markers[k];
      return row.at[0] !== '' && row.at[1] !== '' && map.hasLayer(r.groups[m.resourceData.group]) &&
        bounds.contains(m.getLatLng());
    });
  }
  function unguard(v) {  /* a text cell as it was before the CSV's formula guard: GeoJSON goes to no spreadsheet */
    var rest = v.slice(1), bare = rest.replace(/^\s+/, '');
    var guarded = v.charAt(0) === "'" && o.formula.some(function (s) { return rest.indexOf(s) === 0 || bare.indexOf(s) === 0; });
    return guarded ? rest : v;
  }
  function geojson(table, rows) {  /* the same cells; numbers as numbers (o.kinds: n, b True/False, s text) */
    return JSON.stringify({type: 'FeatureCollection', features: rows.map(function (row) {
      var props = {};
      row.cells.forEach(function (cell, i) {
        var v = unquote(cell), kind = o.kinds.charAt(i);
        props[table.names[i]] = v === '' ? null : kind === 'n' ? Number(v) : kind === 'b' ? v === 'True' : unguard(v);
      });
      return {type: 'Feature', geometry: {type: 'Point', coordinates: row.at.map(Number)}, properties: props};
    })}) + '\n';
  }
  function csvCell(text) {  /* as our CSVs write a text cell: formula starts (o.formula) neutralised, quoted if needed */
    var v = text.replace(/[ \t\r\n]+/g, ' ').trim();
    if (o.formula.some(function (s) { return v.indexOf(s) === 0; })) { v = "'" + v; }
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function tables() {
    var panel = document.getElementById(r.id + '_panel');
    return Array.prototype.filter.call(panel.querySelectorAll('table'), function (t) { return !t.closest('[hidden]'); });
  }
  function panelCsv() {  /* each table shown in the panel, a blank line between two */
    return tables().map(function (t) {
      return Array.prototype.map.call(t.rows, function (tr) {
        return Array.prototype.map.call(tr.cells, function (c) { return csvCell(c.textContent); }).join(',') + '\n';
      }).join('');
    }).join('\n');
  }
  function save(text, type, file) {
    var url = URL.createObjectURL(new Blob([text], {type: type})), a = document.createElement('a');
    a.href = url;
    a.download = file;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
  }
  function failed() { status.textContent = words.failed; }
  function recount() {
    if (!menu.hidden) { load().then(function (t) { count.textContent = words.records.replace('{n}', shown(t).length); }, failed); }
  }
  function item(label, act) {
    var b = L.DomUtil.create('button', 'map-download-item', menu);
    b.type = 'button';
    b.textContent = label;
    L.DomEvent.on(b, 'click', function () { status.textContent = ''; act(); });
  }
  var Control = L.Control.extend({options: {position: 'topright'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'leaflet-bar map-download');
    var toggle = L.DomUtil.create('button', 'map-download-toggle', div);
    toggle.type = 'button';
    toggle.title = words.button;
    toggle.setAttribute('aria-label', words.button);
    toggle.setAttribute('aria-expanded', 'false');
    toggle.setAttribute('aria-controls', id + '_menu');
    toggle.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">' +
      '<path d="M8 1v9M4 6l4 4 4-4M2 12v3h12v-3" fill="none" stroke="currentColor" stroke-width="2"/></svg>';
    menu = L.DomUtil.create('div', 'map-download-menu', div);
    menu.id = id + '_menu';
    menu.hidden = true;
    menu.setAttribute('role', 'group');
    menu.setAttribute('aria-label', words.button);
    count = L.DomUtil.create('p', 'map-download-what', menu);
    count.textContent = words.records.replace('{n}', '…');
    var file = o.name + '-deposits-visible';
    item(words.csv, function () {
      load().then(function (t) {
        var lines = shown(t).map(function (row) { return row.line + '\n'; });
        save(t.header + '\n' + lines.join(''), 'text/csv;charset=utf-8', file + '.csv');
      }, failed);
    });
    item(words.geojson, function () {
      load().then(function (t) { save(geojson(t, shown(t)), 'application/geo+json', file + '.geojson'); }, failed);
    });
    if (tables().length) {
      item(words.panel, function () { save(panelCsv(), 'text/csv;charset=utf-8', o.name + '-panel.csv'); });
    }
    L.DomUtil.create('p', 'map-download-note', menu).textContent = words.note.replace('{date}', o.date);
    status = L.DomUtil.create('p', 'map-download-status', menu);
    status.setAttribute('role', 'status');
    function setOpen(open) {
      menu.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      recount();
    }
    L.DomEvent.on(toggle, 'click', function () { setOpen(menu.hidden); });
    L.DomEvent.on(div, 'keydown', function (ev) {
      if (ev.key === 'Escape' && !menu.hidden) { setOpen(false); toggle.focus(); }
    });
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  new Control().addTo(map);
  map.on('moveend overlayadd overlayremove', recount);
  document.addEventListener('resource:state', recount);
}
