/* resource-control-mapper: the table view, and the map by keyboard. Inlined by geo/offline.py; its data comes from
   Python as JSON (geo/webmap.py, _table_view), and every value from data is set as text. */
'use strict';

/* The map without the map: its regions with their occupied share, its deposit records with their control (at the
   slider's date, under the scenario shown), as tables in a dialog opened from a button on the map and from the
   skip link. Escape closes it and the focus goes back; a row's button shows its record on the map (clustered or
   in a hidden layer too) and opens its popup. For the keyboard: the page's landmark, the controls before the
   markers in the tab order, a popup opened from the keyboard takes the focus and gives it back to its marker on
   Escape, and the slider says its date. */
function resourceTableView(map, o) {
  var r = window.resourceMap, words = o.words, marks = o.marks, box = map.getContainer();
  var dialog = document.getElementById('table-view'), lang = document.documentElement.lang || undefined;
  if (!r || !dialog) { return; }
  var h1 = document.querySelector('.page-head h1'), corners = box.querySelector('.leaflet-control-container');
  box.setAttribute('role', 'main');
  if (h1) { box.setAttribute('aria-label', h1.textContent); }
  if (corners) { box.insertBefore(corners, box.firstChild); }  /* placed absolutely: only the tab order changes */

  function number(value, decimals) {  /* as geo.i18n.Words.number: marks = [thousands, point, per cent] */
    if (value === null || value === undefined) { return ''; }
    var s = String(Math.abs(value));
    while (s.length <= decimals) { s = '0' + s; }
    var whole = s.slice(0, s.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, marks[0]);
    return (value < 0 ? '-' : '') + whole + (decimals ? marks[1] + s.slice(s.length - decimals) : '');
  }
  function cell(row, tag, value, cls) {
    var el = row.appendChild(document.createElement(tag));
    el.textContent = value;
    if (cls) { el.className = cls; }
    if (tag === 'th') { el.scope = 'row'; }
    return el;
  }
  function tbody(cls) { return dialog.querySelector('.' + cls + ' tbody'); }

  var controls = [], dates = document.getElementById('table-view-date');
  function build() {
    var rows = o.country ? [{name: o.country[0], t: [0].concat(o.country.slice(1))}] : [];
    var entries = r.regions || [];  /* the search's regions (map.js): the first entry of each region has its row */
    entries.forEach(function (e) { if (e.t) { rows.push({name: e.label, t: e.t}); } });
    rows.sort(function (a, b) { return a.t[0] - b.t[0] || a.name.localeCompare(b.name, lang); });
    rows.forEach(function (x) {
      var tr = tbody('table-view-regions').appendChild(document.createElement('tr'));
      cell(tr, 'th', x.name);
      cell(tr, 'td', o.levels[x.t[0]]);
      cell(tr, 'td', x.t[1] === null ? '' : number(x.t[1], 1) + marks[2], 'num');
      cell(tr, 'td', number(x.t[2], 0), 'num');
      cell(tr, 'td', number(x.t[3], 0), 'num');
    });
    var order = r.markers.map(function (m, k) { return k; });
    function title(k) { return r.markers[k].resourceData.title; }
    order.sort(function (a, b) { return title(a).localeCompare(title(b), lang); });
    order.forEach(function (k) {
      var more = o.deposits[k] || [[], []], tr = tbody('table-view-deposits').appendChild(document.createElement('tr'));
      cell(tr, 'th', title(k));
      cell(tr, 'td', more[0].map(function (c) { return o.commodities[c]; }).join(', '));
      cell(tr, 'td', more[1].map(function (e) { return entries[e] ? entries[e].label : ''; }).join(', '));
      controls[k] = cell(tr, 'td', '');
      var button = cell(tr, 'td', '').appendChild(document.createElement('button'));
      button.type = 'button';
      button.textContent = words.show;
      button.setAttribute('aria-label', words.showNamed.replace('{name}', function () { return title(k); }));
      button.addEventListener('click', function () { showRecord(k); });
    });
    if (dates && r.slider) {
      r.slider.dates.forEach(function (d) { cell(dates, 'option', d).value = d; });
      dates.addEventListener('change', function () { r.slider.setDate(dates.value); });
    }
  }

  /* the panel's lines of the date shown, from its date to its counts */
  function panelLines(target) {
    var panel = document.getElementById(r.id + '_panel'), line = '';
    var node = panel && panel.querySelector('.panel-when'), last = panel && panel.querySelector('.panel-counts');
    function put() {
      if (!line.trim()) { return; }
      if (target.firstChild) { target.appendChild(document.createElement('br')); }
      target.appendChild(document.createTextNode(line.trim()));
      line = '';
    }
    target.textContent = '';
    for (; node && last; node = node.nextSibling) {
      if (node.nodeName === 'BR') { put(); } else { line += node.textContent; }
      if (node === last) { break; }
    }
    put();
    target.hidden = !target.firstChild;
  }

  var built = false, opener = null;
  function fill() {
    if (!built) { build(); built = true; }
    r.markers.forEach(function (m, k) { controls[k].textContent = o.control[m.options.control] || ''; });
    var date = r.slider ? r.slider.date() : o.snapshot, then = dialog.querySelector('.table-view-then');
    dialog.querySelectorAll('.table-view-date').forEach(function (el) { el.textContent = date; });
    if (dates) { dates.value = date; }
    if (then) { then.hidden = date === o.snapshot; }
    var scenario = dialog.querySelector('.table-view-scenario'), pick = document.querySelector('.map-scenarios select');
    if (scenario && pick && pick.selectedIndex >= 0) { scenario.textContent = pick.options[pick.selectedIndex].text; }
    panelLines(dialog.querySelector('.table-view-state'));
  }
  function open(from) {
    fill();
    opener = from;
    if (!dialog.open) { dialog.showModal(); }
  }
  dialog.addEventListener('close', function () {  /* Escape (the dialog's own cancel) or the close button */
    if (opener && document.contains(opener)) { opener.focus(); }
    opener = null;
  });
  dialog.querySelector('.table-view-close').addEventListener('click', function () { dialog.close(); });
  document.addEventListener('resource:state', function () { if (dialog.open) { fill(); } });
  document.querySelectorAll('.skip-link').forEach(function (a) {
    a.addEventListener('click', function (ev) { ev.preventDefault(); open(a); });  /* the address keeps its hash */
  });
  var Button = L.Control.extend({options: {position: 'topright'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'leaflet-bar table-view-control'), button = L.DomUtil.create('button', '', div);
    button.type = 'button';
    button.textContent = words.open;
    button.setAttribute('aria-haspopup', 'dialog');
    L.DomEvent.disableClickPropagation(div);
    button.addEventListener('click', function () { open(button); });
    return div;
  }});
  new Button().addTo(map);

  /* a popup opened from the keyboard (Enter or Space on its marker, a row's button) takes the focus; Escape closes
     it and gives the focus back to its marker */
  var fromKeyboard = null, shown = null;
  function showRecord(k) {
    var m = r.markers[k], g = r.groups[m.resourceData.group];
    opener = null;  /* the focus goes to the record's popup */
    dialog.close();
    if (!map.hasLayer(g)) { map.addLayer(g); }
    var done = function () { fromKeyboard = m; m.openPopup(); };
    if (g.zoomToShowLayer) {
      g.zoomToShowLayer(m, done);
    } else {
      map.setView(m.getLatLng(), Math.max(map.getZoom(), 9));
      done();
    }
  }
  function back(m) {
    var icon = m.getElement();
    (icon && document.contains(icon) ? icon : box).focus({preventScroll: true});
  }
  r.markers.forEach(function (m) {
    m.on('popupopen', function (e) {
      var el = e.popup.getElement(), close = el.querySelector('.leaflet-popup-close-button');
      if (close) { close.setAttribute('aria-label', words.closePopup); }
      el.setAttribute('role', 'dialog');
      el.setAttribute('aria-label', m.resourceData.title);
      shown = m;
      if (fromKeyboard === m) { el.tabIndex = -1; el.focus({preventScroll: true}); }
      fromKeyboard = null;
    });
    m.on('popupclose', function (e) {
      var el = e.popup.getElement(), active = document.activeElement;
      if (shown === m) { shown = null; }
      if (el && (el.contains(active) || active === document.body)) { back(m); }
    });
  });
  box.addEventListener('keydown', function (ev) {
    var m = null, popup = shown && shown.getPopup().getElement();
    r.markers.forEach(function (x) { if (x.getElement() === ev.target) { m = x; } });
    if (m && (ev.key === 'Enter' || ev.key === ' ')) {
      fromKeyboard = m;
      if (ev.key === ' ') {  /* a button opens on Space too; Leaflet opens it on Enter */
        ev.preventDefault();
        if (shown === m) { m.closePopup(); } else { m.openPopup(); }
      }
    } else if (ev.key === 'Escape' && shown && (m === shown || (popup && popup.contains(ev.target)))) {
      ev.preventDefault();
      ev.stopPropagation();
      m = shown;
      m.closePopup();
      back(m);
    }
  }, true);

  function sliderText() {  /* the slider's position is read out as its date */
    var input = box.querySelector('.map-slider input[type=range]');
    if (input && r.slider) { input.setAttribute('aria-valuetext', r.slider.date()); }
  }
  document.addEventListener('resource:state', sliderText);
  sliderText();
}
