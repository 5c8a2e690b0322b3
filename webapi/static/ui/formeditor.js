// A form's JSON Schema in a text area, with the fields it defines beside it; validate and
// deploy go through the same API as BPMN and DMN (kind "form").
(function () {
  'use strict';

  var D = window.VerwijsflowDesigner;
  var el = D.el;
  var config = D.config();
  var root = document.querySelector('[data-designer]');
  var area = root.querySelector('[data-form-json]');
  var fieldsBox = root.querySelector('[data-fields]');

  var NEW_FORM = {
    title: 'Titel van de stap',
    description: 'Wat de gebruiker in deze stap doet.',
    type: 'object',
    required: [],
    properties: {}
  };

  function kindOf(field) {
    if (field['x-keuzelijst']) {
      return 'keuzelijst (' + field['x-keuzelijst'] + ')';
    }
    if (field.oneOf || field['enum']) {
      return 'keuze';
    }
    if (field.type === 'string' && field.format === 'date') {
      return 'datum';
    }
    return { boolean: 'ja/nee', string: 'tekst', integer: 'geheel getal', number: 'getal', object: 'groep', array: 'lijst' }[field.type] ||
      (field.type || '?');
  }

  function showFields() {
    fieldsBox.textContent = '';
    var schema;
    try {
      schema = JSON.parse(area.value);
    } catch (error) {
      fieldsBox.appendChild(el('p', { className: 'bad', text: 'Geen geldige JSON: ' + error.message }));
      return;
    }
    var title = root.querySelector('[data-form-title]');
    title.textContent = (schema && schema.title) || config.key;
    var properties = (schema && schema.properties) || {};
    var required = (schema && schema.required) || [];
    var names = Object.keys(properties);
    if (!names.length) {
      fieldsBox.appendChild(el('p', { className: 'empty', text: 'Dit formulier heeft nog geen velden.' }));
      return;
    }
    var body = el('tbody', {}, names.map(function (name) {
      var field = properties[name] || {};
      return el('tr', { 'data-field': name }, [
        el('td', { 'data-label': 'Veld' }, [el('code', { text: name })]),
        el('td', { 'data-label': 'Titel', text: field.title || '' }),
        el('td', { 'data-label': 'Soort', text: kindOf(field) }),
        el('td', { 'data-label': 'Verplicht', text: required.indexOf(name) >= 0 ? 'ja' : '' })
      ]);
    }));
    fieldsBox.appendChild(el('table', { className: 'table table--compact fieldlist' }, [
      el('caption', { className: 'visually-hidden', text: 'Velden van dit formulier' }),
      el('thead', {}, [el('tr', {}, ['Veld', 'Titel', 'Soort', 'Verplicht'].map(function (h) {
        return el('th', { scope: 'col', text: h });
      }))]),
      body
    ]));
  }

  function loadVersions() {
    if (config.new) {
      D.showVersions(root.querySelector('[data-versions]'), [], false);
      return Promise.resolve();
    }
    return D.loadVersions(root, config.api.artifact, false);
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (config.new && !area.value.trim()) {
      area.value = JSON.stringify(NEW_FORM, null, 2) + '\n';
    }
    var editor = new D.Editor(root, config, {
      mime: 'application/json',
      content: function () { return Promise.resolve(area.value); },
      deployed: loadVersions
    });
    area.addEventListener('input', function () {
      editor.changed();
      showFields();
    });
    showFields();
    loadVersions().catch(function (error) { editor.status.show(error.message, 'bad'); });
    area.setAttribute('data-state', 'ready');
  });
})();
