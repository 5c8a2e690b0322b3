// A decision table file in dmn-js (from node_modules): edit cells, add or remove rules,
// then validate and deploy through the JSON API, like the BPMN modeler.
(function () {
  'use strict';

  var D = window.VerwijsflowDesigner;
  var el = D.el;
  var config = D.config();
  var root = document.querySelector('[data-designer]');
  var container = root.querySelector('[data-dmn]');
  var tabs = root.querySelector('[data-dmn-tabs]');
  var modeler, editor;

  function loadVersions() {
    return D.loadVersions(root, config.api.artifact, false);
  }

  // Every edit in the open table marks the page as changed.
  function watch() {
    var viewer = modeler.getActiveViewer();
    if (viewer && !viewer.__verwijsflowWatched) {
      viewer.__verwijsflowWatched = true;
      viewer.get('eventBus').on('elements.changed', function () { editor.changed(); });
    }
  }

  function showTabs() {
    var tables = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; });
    tabs.textContent = '';
    tabs.hidden = tables.length < 2;
    tables.forEach(function (view) {
      var button = el('button', { type: 'button', className: 'button button--small button--quiet',
                                  'aria-pressed': String(view === modeler.getActiveView()),
                                  text: view.name || view.element.id });
      button.addEventListener('click', function () { modeler.open(view).then(function () { watch(); showTabs(); }); });
      tabs.appendChild(button);
    });
    var active = modeler.getActiveView();
    if (active) {
      root.querySelector('[data-table-name]').textContent = active.name || active.element.id;
    }
  }

  function start() {
    modeler = new window.DmnJS({ container: container });
    editor = new D.Editor(root, config, {
      content: function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
      deployed: loadVersions
    });
    return loadVersions().then(function (current) {
      return modeler.importXML(current.content);
    }).then(function () {
      var table = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
      if (!table) {
        throw new Error('dit bestand heeft geen beslistabel.');
      }
      return modeler.open(table);
    }).then(function () {
      container.querySelectorAll('.diagram__fallback').forEach(function (n) { n.remove(); });
      watch();
      showTabs();
      container.setAttribute('data-state', 'ready');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (typeof window.DmnJS !== 'function') {
      D.fail(container, 'De beslistabel kan niet worden getoond: dmn-js is niet geïnstalleerd (make install).');
      return;
    }
    start().catch(function (error) { D.fail(container, 'De beslistabel kon niet worden geopend: ' + error.message); });
  });
})();
