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

  function fail(message) {
    container.textContent = '';
    container.appendChild(el('p', { className: 'diagram__fallback', text: message }));
    container.setAttribute('data-state', 'failed');
  }

  function loadVersions() {
    return D.api('GET', config.api.artifact).then(function (result) {
      if (result.status !== 200) {
        throw new Error(D.refusal(result));
      }
      D.showVersions(root.querySelector('[data-versions]'), result.body.versions, false);
      root.querySelector('[data-current-version]').textContent = 'Versie ' + result.body.version + ', uitgerold ' +
        D.moment(result.body.deployed_at) + ' door ' + result.body.deployed_by;
      return result.body;
    });
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
    editor = new D.Editor({
      config: config, root: root, status: root.querySelector('[data-status]'),
      problems: root.querySelector('[data-problems]'),
      validateButton: root.querySelector('[data-action="validate"]'),
      deployButton: root.querySelector('[data-action="deploy"]'),
      downloadButton: root.querySelector('[data-action="download"]'),
      content: function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
      select: function () { return false; },
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
      fail('De beslistabel kan niet worden getoond: dmn-js is niet geïnstalleerd (make install).');
      return;
    }
    start().catch(function (error) { fail('De beslistabel kon niet worden geopend: ' + error.message); });
  });
})();
