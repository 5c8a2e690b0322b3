// Draws BPMN diagrams with the bpmn-js navigated viewer (served from node_modules) and
// marks them: completed, current and overdue steps on a case; median waits and waiting
// counts on the dashboard's heatmap. The data comes from JSON blocks next to each canvas.
(function () {
  'use strict';

  function json(figure, selector) {
    var node = figure.querySelector(selector);
    return node ? JSON.parse(node.textContent) : null;
  }

  function exists(registry, id) {
    return Boolean(registry.get(id));
  }

  function badge(className, text, title) {
    var span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    if (title) {
      span.title = title;
    }
    return span;
  }

  function markCase(viewer, markers) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    (markers.completed || []).forEach(function (id) {
      if (exists(registry, id)) { canvas.addMarker(id, 'vf-completed'); }
    });
    (markers.current || []).forEach(function (id) {
      if (exists(registry, id)) { canvas.addMarker(id, 'vf-current'); }
    });
    (markers.waiting || []).forEach(function (id) {
      if (exists(registry, id)) { canvas.addMarker(id, 'vf-waiting'); }
    });
    (markers.overdue || []).forEach(function (id) {
      if (exists(registry, id)) {
        canvas.addMarker(id, 'vf-overdue');
        overlays.add(id, 'vf-overdue', { position: { bottom: 6, left: -6 }, html: badge('overdue-flag', 'Te laat') });
      }
    });
    Object.keys(markers.counts || {}).forEach(function (id) {
      var count = markers.counts[id];
      if (count > 1 && exists(registry, id)) {
        overlays.add(id, 'vf-count', {
          position: { top: -10, right: 12 },
          html: badge('loopbadge', count + '×', count + ' keer doorlopen')
        });
      }
    });
  }

  function markHeat(viewer, cells) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    Object.keys(cells).forEach(function (id) {
      var cell = cells[id];
      if (!exists(registry, id)) {
        return;
      }
      canvas.addMarker(id, 'vf-heat-' + cell.level);
      var title = (cell.title || id) + ': mediaan ' + String(cell.median).replace('.', ',') + ' dagen, p90 ' +
        String(cell.p90).replace('.', ',') + ' dagen, nu ' + cell.waiting_now + ' wachtend';
      if (cell.waiting_now > 0) {
        overlays.add(id, 'vf-heat', {
          position: { top: -12, right: 14 },
          html: badge('heatbadge heatbadge--' + cell.level, String(cell.waiting_now), title)
        });
      }
      var gfx = registry.getGraphics(id);
      if (gfx) {
        var svgTitle = document.createElementNS('http://www.w3.org/2000/svg', 'title');
        svgTitle.textContent = title;
        gfx.appendChild(svgTitle);
      }
    });
  }

  // Wide processes drawn to fit are unreadable: show the interesting part at a readable
  // zoom instead (the buttons and keys give the whole).
  var READABLE = 0.75;
  var MIN_ZOOM = 0.5;

  function focusOn(canvas, registry, ids, readable) {
    canvas.zoom('fit-viewport', 'auto');
    var fit = canvas.zoom();
    var shapes = ids.map(function (id) { return registry.get(id); }).filter(Boolean);
    if (fit >= MIN_ZOOM || !shapes.length) {
      return;
    }
    var box = shapes.reduce(function (acc, s) {
      return {
        x1: Math.min(acc.x1, s.x), y1: Math.min(acc.y1, s.y),
        x2: Math.max(acc.x2, s.x + s.width), y2: Math.max(acc.y2, s.y + s.height)
      };
    }, { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity });
    var size = canvas.getSize();
    var inner = canvas.viewbox().inner;
    var zoom = Math.min(readable || READABLE, size.width / (box.x2 - box.x1 + 240), size.height / (box.y2 - box.y1 + 200));
    zoom = Math.max(zoom, MIN_ZOOM);
    var width = size.width / zoom;
    var height = size.height / zoom;
    canvas.viewbox({
      x: clamp((box.x1 + box.x2) / 2 - width / 2, inner.x - 30, inner.x + inner.width + 30 - width),
      y: clamp((box.y1 + box.y2) / 2 - height / 2, inner.y - 30, inner.y + inner.height + 30 - height),
      width: width, height: height
    });
  }

  // Keep the diagram in view; when it is smaller than the view, centre it.
  function clamp(value, low, high) {
    return high < low ? (low + high) / 2 : Math.min(Math.max(value, low), high);
  }

  function heatFocus(cells) {
    return Object.keys(cells).sort(function (a, b) {
      return (cells[b].waiting_now - cells[a].waiting_now) || ((cells[b].median || 0) - (cells[a].median || 0));
    }).slice(0, 1);
  }

  function bindTools(figure, canvas, container) {
    figure.querySelectorAll('[data-zoom]').forEach(function (button) {
      button.addEventListener('click', function () {
        var how = button.getAttribute('data-zoom');
        if (how === 'fit') {
          canvas.zoom('fit-viewport', 'auto');
        } else {
          canvas.zoom(canvas.zoom() * (how === 'in' ? 1.25 : 0.8));
        }
      });
    });
    // Arrow keys pan, + and - zoom, 0 fits: the diagram works without a mouse.
    container.addEventListener('keydown', function (event) {
      var step = 60;
      var moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) {
        canvas.scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
      } else if (event.key === '+' || event.key === '=') {
        canvas.zoom(canvas.zoom() * 1.25);
      } else if (event.key === '-') {
        canvas.zoom(canvas.zoom() * 0.8);
      } else if (event.key === '0') {
        canvas.zoom('fit-viewport', 'auto');
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function draw(figure) {
    var container = figure.querySelector('[data-bpmn-viewer]');
    var fallback = container.querySelector('.diagram__fallback');
    if (typeof window.BpmnJS !== 'function') {
      fallback.textContent = 'Het processchema kan niet worden getoond: bpmn-js is niet geïnstalleerd (make install).';
      container.setAttribute('data-state', 'failed');
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(json(figure, '[data-bpmn-xml]')).then(function () {
      fallback.remove();
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      var markers = json(figure, '[data-bpmn-markers]');
      var heat = json(figure, '[data-bpmn-heat]');
      if (markers) {
        markCase(viewer, markers);
        var here = (markers.overdue || []).concat(markers.current || []);
        focusOn(canvas, registry, here.length ? here : (markers.completed || []).slice(-1));
      } else if (heat) {
        markHeat(viewer, heat);
        focusOn(canvas, registry, heatFocus(heat), 0.65);
      } else {
        canvas.zoom('fit-viewport', 'auto');
      }
      bindTools(figure, canvas, container);
      container.setAttribute('data-state', 'ready');
    }).catch(function (error) {
      fallback.textContent = 'Het processchema kon niet worden getekend: ' + error.message;
      container.setAttribute('data-state', 'failed');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('figure.diagram').forEach(draw);
  });
})();
