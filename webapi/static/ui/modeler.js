// The BPMN modeler: bpmn-js Modeler (from node_modules) with a small properties panel of our
// own for what the engine reads (docs/modelling.md): names, lanes as roles, forms, iJw
// messages, due norms, start roles, conditions and default flows, timers, called processes
// and decision tables, scripts. Extension properties are `spiffworkflow:*` elements, read and
// written through bpmn-js's moddle with the descriptor in spiffworkflow.json, so the XML
// round-trips. Validating, deploying, versions and migration go through the JSON API.
(function () {
  'use strict';

  var D = window.VerwijsflowDesigner;
  var el = D.el;

  var TYPE_LABELS = {
    'bpmn:UserTask': 'Gebruikerstaak', 'bpmn:ScriptTask': 'Scripttaak', 'bpmn:BusinessRuleTask': 'Beslistaak',
    'bpmn:ServiceTask': 'Servicetaak', 'bpmn:ManualTask': 'Handmatige taak', 'bpmn:Task': 'Taak',
    'bpmn:SendTask': 'Verzendtaak', 'bpmn:ReceiveTask': 'Ontvangsttaak',
    'bpmn:CallActivity': 'Aanroep van een proces', 'bpmn:SubProcess': 'Deelproces',
    'bpmn:StartEvent': 'Start', 'bpmn:EndEvent': 'Einde', 'bpmn:IntermediateCatchEvent': 'Tussengebeurtenis (wacht)',
    'bpmn:IntermediateThrowEvent': 'Tussengebeurtenis (werpt)', 'bpmn:BoundaryEvent': 'Randgebeurtenis',
    'bpmn:ExclusiveGateway': 'Exclusieve gateway (één weg)', 'bpmn:InclusiveGateway': 'Inclusieve gateway',
    'bpmn:ParallelGateway': 'Parallelle gateway', 'bpmn:EventBasedGateway': 'Gebeurtenisgateway',
    'bpmn:SequenceFlow': 'Stroom', 'bpmn:Lane': 'Baan (rol)', 'bpmn:Participant': 'Pool (proces)',
    'bpmn:TextAnnotation': 'Notitie', 'bpmn:DataObjectReference': 'Gegevensobject'
  };
  var TIMER_KINDS = [
    { value: 'timeDate', label: 'Datum of moment (timeDate)' },
    { value: 'timeDuration', label: 'Duur (timeDuration)' },
    { value: 'timeCycle', label: 'Herhaling (timeCycle)' }
  ];
  var CONDITIONAL_SOURCES = ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway', 'bpmn:ComplexGateway'];

  var config = D.config();
  var root = document.querySelector('[data-designer]');
  var container = root.querySelector('[data-modeler]');
  var panel = root.querySelector('[data-props]');
  var modeler, modeling, moddle, registry, selection, canvas;
  var selected = null;
  var catalogue = { forms: [], processes: [], decisions: [] };
  var versions = [];

  // -- the model: spiffworkflow extension elements -------------------------------------

  function extensionValues(bo) {
    return (bo.extensionElements && bo.extensionElements.get('values')) || [];
  }

  function extensionOf(bo, type) {
    return extensionValues(bo).filter(function (v) { return v.$instanceOf(type); })[0] || null;
  }

  function propertyOf(bo, name) {
    var holder = extensionOf(bo, 'spiffworkflow:Properties');
    return holder ? holder.get('values').filter(function (p) { return p.name === name; })[0] || null : null;
  }

  function property(bo, name) {
    var found = propertyOf(bo, name);
    return found ? found.value || '' : '';
  }

  function addExtension(element, value) {
    var bo = element.businessObject;
    if (!bo.extensionElements) {
      var extensions = moddle.create('bpmn:ExtensionElements', { values: [value] });
      value.$parent = extensions;
      modeling.updateProperties(element, { extensionElements: extensions });
      return;
    }
    value.$parent = bo.extensionElements;
    modeling.updateModdleProperties(element, bo.extensionElements, {
      values: bo.extensionElements.get('values').concat([value])
    });
  }

  function removeExtension(element, value) {
    var bo = element.businessObject;
    var rest = extensionValues(bo).filter(function (v) { return v !== value; });
    if (rest.length) {
      modeling.updateModdleProperties(element, bo.extensionElements, { values: rest });
    } else {
      modeling.updateProperties(element, { extensionElements: undefined });
    }
  }

  function setProperty(element, name, value) {
    var bo = element.businessObject;
    var holder = extensionOf(bo, 'spiffworkflow:Properties');
    var found = propertyOf(bo, name);
    if (value) {
      if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else if (holder) {
        var created = moddle.create('spiffworkflow:Property', { name: name, value: value });
        created.$parent = holder;
        modeling.updateModdleProperties(element, holder, { values: holder.get('values').concat([created]) });
      } else {
        var fresh = moddle.create('spiffworkflow:Property', { name: name, value: value });
        var properties = moddle.create('spiffworkflow:Properties', { values: [fresh] });
        fresh.$parent = properties;
        addExtension(element, properties);
      }
    } else if (found) {
      var rest = holder.get('values').filter(function (p) { return p !== found; });
      if (rest.length) {
        modeling.updateModdleProperties(element, holder, { values: rest });
      } else {
        removeExtension(element, holder);
      }
    }
  }

  // calledDecisionId, preScript, postScript: one element with a text body.
  function bodyOf(bo, type) {
    var found = extensionOf(bo, type);
    return found ? found.value || '' : '';
  }

  function setBody(element, type, value) {
    var found = extensionOf(element.businessObject, type);
    if (value) {
      if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else {
        addExtension(element, moddle.create(type, { value: value }));
      }
    } else if (found) {
      removeExtension(element, found);
    }
  }

  function expression(text) {
    return moddle.create('bpmn:FormalExpression', { body: text });
  }

  function timerOf(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === 'bpmn:TimerEventDefinition'; })[0] || null;
  }

  function timerKind(timer) {
    return TIMER_KINDS.map(function (k) { return k.value; }).filter(function (k) { return timer.get(k); })[0] || 'timeDuration';
  }

  function setTimer(element, timer, kind, text) {
    var change = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    if (text) {
      change[kind] = expression(text);
    }
    modeling.updateModdleProperties(element, timer, change);
  }

  // The lane the engine reads: the one whose flowNodeRef lists the element.
  function laneOf(element) {
    var bo = element.businessObject;
    var lanes = registry.filter(function (e) {
      return e.type === 'bpmn:Lane' && (e.businessObject.get('flowNodeRef') || []).indexOf(bo) >= 0;
    });
    return lanes.filter(function (l) { return !l.businessObject.childLaneSet; })[0] || lanes[0] || null;
  }

  // -- the properties panel -------------------------------------------------------------

  var uid = 0;

  function field(labelText, control, hint) {
    var hintNode = null;
    if (hint) {
      hintNode = el('p', { className: 'hint', id: control.id + '-uitleg', text: hint });
      control.setAttribute('aria-describedby', hintNode.id);
    }
    return el('div', { className: 'props__field' }, [el('label', { for: control.id, text: labelText }), control, hintNode]);
  }

  function committer(control, current, commit) {
    var last = current;
    function done() {
      var value = control.value.trim();
      if (value !== last) {
        last = value;
        commit(value);
      }
    }
    control.addEventListener('change', done);
    if (control.tagName === 'INPUT') {
      control.addEventListener('keydown', function (event) {
        if (event.key === 'Enter') {
          event.preventDefault();
          done();
        }
      });
    }
    return control;
  }

  function text(name, value, commit, attrs) {
    var control = el('input', Object.assign({ type: 'text', id: 'prop-' + name, name: name, autocomplete: 'off' }, attrs || {}));
    control.value = value || '';
    return committer(control, value || '', commit);
  }

  function area(name, value, commit, rows) {
    var control = el('textarea', { id: 'prop-' + name, name: name, rows: rows || 3, spellcheck: 'false', className: 'code' });
    control.value = value || '';
    return committer(control, value || '', commit);
  }

  function choice(name, options, value, commit) {
    var control = el('select', { id: 'prop-' + name, name: name });
    var known = false;
    options.forEach(function (option) {
      if (option.group) {
        var group = el('optgroup', { label: option.group });
        option.options.forEach(function (o) {
          known = known || o.value === value;
          group.appendChild(el('option', { value: o.value, text: o.label }));
        });
        control.appendChild(group);
      } else {
        known = known || option.value === value;
        control.appendChild(el('option', { value: option.value, text: option.label }));
      }
    });
    if (value && !known) {
      control.appendChild(el('option', { value: value, text: value + ' (onbekend)' }));
    }
    control.value = value || '';
    return committer(control, value || '', commit);
  }

  function link(href, label) {
    return el('p', { className: 'props__link' }, [el('a', { href: href, text: label })]);
  }

  function group(title, children, open) {
    return el('details', { className: 'props__group', open: open }, [el('summary', { text: title })].concat(children));
  }

  function formOptions() {
    var mine = catalogue.forms.filter(function (f) { return f.indexOf(config.key + '/') === 0; });
    var other = catalogue.forms.filter(function (f) { return f.indexOf(config.key + '/') !== 0; });
    var toOption = function (f) { return { value: f, label: f }; };
    return [{ value: '', label: '(geen formulier)' },
            { group: 'Formulieren van ' + config.key, options: mine.map(toOption) },
            { group: 'Andere formulieren', options: other.map(toOption) }];
  }

  function formFields(element, bo, hint) {
    var current = property(bo, 'formJsonSchemaFilename');
    var nodes = [field('Formulier', choice('formJsonSchemaFilename', formOptions(), current, function (v) {
      setProperty(element, 'formJsonSchemaFilename', v);
    }), hint)];
    if (current) {
      nodes.push(link(config.pages.form.replace('{key}', current), 'Formulier openen'));
    }
    return nodes;
  }

  function scriptFields(element, bo) {
    var pre = bodyOf(bo, 'spiffworkflow:PreScript');
    var post = bodyOf(bo, 'spiffworkflow:PostScript');
    return group('Scripts vooraf en achteraf', [
      field('Vooraf (preScript)', area('preScript', pre, function (v) { setBody(element, 'spiffworkflow:PreScript', v); }),
        'Python; loopt voordat de stap start of de taak opent.'),
      field('Achteraf (postScript)', area('postScript', post, function (v) { setBody(element, 'spiffworkflow:PostScript', v); }),
        'Python; loopt nadat de stap is afgerond.')
    ], Boolean(pre || post));
  }

  function dueFields(element, bo, withFrom) {
    var nodes = [field('Termijn (dueNorm)', text('dueNorm', property(bo, 'dueNorm'), function (v) {
      setProperty(element, 'dueNorm', v);
    }, { placeholder: 'bijv. 10 werkdagen' }), 'Werkdagen, weken of maanden: "10 werkdagen", "6 weken", "3 maanden".')];
    if (withFrom) {
      nodes.push(field('Termijn vanaf (dueFrom)', text('dueFrom', property(bo, 'dueFrom'), function (v) {
        setProperty(element, 'dueFrom', v);
      }, { placeholder: 'veld met de begindatum' }), 'Leeg: vanaf het moment dat de taak opent.'));
    }
    return nodes;
  }

  function userTaskFields(element, bo) {
    var lane = laneOf(element);
    var role = lane ? lane.businessObject.name : '';
    var ijwList = el('datalist', { id: 'ijw-codes' }, Object.keys(config.ijw).concat(['JW301|JW319']).map(function (code) {
      return el('option', { value: code, text: config.ijw[code] || 'toewijzing of antwoord (veld BerichtCode)' });
    }));
    return [
      el('div', { className: 'props__field' }, [
        el('span', { className: 'props__label', text: 'Baan (rol)' }),
        el('p', { className: 'props__value', 'data-lane': role }, [
          role ? el('strong', { text: role }) : el('span', { className: 'bad', text: 'buiten elke baan' }),
          role && config.all_roles[role] ? ' — ' + config.all_roles[role] : ''
        ]),
        el('p', { className: 'hint', text: 'Sleep de taak in het schema naar een andere baan om de rol te wijzigen.' })
      ])
    ].concat(formFields(element, bo, 'Het JSON-formulier dat de taak toont, onder forms/.'), [
      field('iJw-bericht', text('ijwBericht', property(bo, 'ijwBericht'), function (v) {
        setProperty(element, 'ijwBericht', v);
      }, { list: 'ijw-codes', placeholder: '(geen)' }), 'Afronden legt dit bericht vast, bijv. JW315; JW301|JW319: het veld BerichtCode kiest.'),
      ijwList
    ], dueFields(element, bo, true), [scriptFields(element, bo)]);
  }

  function startFields(element, bo) {
    var chosen = property(bo, 'startRoles').split(',').map(function (r) { return r.trim(); }).filter(Boolean);
    var boxes = Object.keys(config.roles).map(function (role) {
      var box = el('input', { type: 'checkbox', value: role, id: 'prop-startRoles-' + role, checked: chosen.indexOf(role) >= 0 });
      box.addEventListener('change', function () {
        var roles = Array.prototype.slice.call(fieldset.querySelectorAll('input:checked')).map(function (b) { return b.value; });
        setProperty(element, 'startRoles', roles.join(','));
      });
      return el('label', { className: 'props__check', for: box.id }, [box, ' ' + config.roles[role]]);
    });
    var fieldset = el('fieldset', { className: 'props__field props__checks' },
      [el('legend', { text: 'Wie mag starten (startRoles)' })].concat(boxes,
        [el('p', { className: 'hint', text: 'Niets aangevinkt: de rol van de baan waarin de start staat.' })]));
    return formFields(element, bo, 'Het startformulier.').concat([fieldset]);
  }

  function timerFields(element, timer) {
    var kind = timerKind(timer);
    var body = timer.get(kind) ? timer.get(kind).body || '' : '';
    var kindSelect = choice('timerKind', TIMER_KINDS, kind, function (v) {
      setTimer(element, timer, v, root.querySelector('#prop-timerExpression').value.trim());
    });
    return [
      field('Soort timer', kindSelect),
      field('Timer', text('timerExpression', body, function (v) {
        setTimer(element, timer, kindSelect.value, v);
      }, { className: 'code' }), 'Python: een ISO 8601-waarde tussen aanhalingstekens ("P10D", "R3/P1W") of een uitdrukking, bijv. plus_maanden(ingangsdatum_maatregel, 3).')
    ].concat(dueFields(element, element.businessObject, false));
  }

  function flowFields(element, bo) {
    var source = element.source;
    var conditional = source && CONDITIONAL_SOURCES.indexOf(source.type) >= 0;
    var isDefault = conditional && source.businessObject.default === bo;
    var condition = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
    var nodes = [el('p', { className: 'props__value small muted',
                           text: 'Van ' + nameOf(source) + ' naar ' + nameOf(element.target) + '.' })];
    if (conditional) {
      var box = el('input', { type: 'checkbox', id: 'prop-default', checked: isDefault });
      box.addEventListener('change', function () {
        if (box.checked && bo.conditionExpression) {
          modeling.updateProperties(element, { conditionExpression: undefined });
        }
        modeling.updateProperties(source, { 'default': box.checked ? bo : undefined });
      });
      nodes.push(el('div', { className: 'props__field' }, [
        el('label', { className: 'props__check', for: 'prop-default' }, [box, ' Standaardstroom (als geen voorwaarde geldt)'])
      ]));
    }
    if (conditional || condition) {
      var control = area('condition', condition, function (v) {
        modeling.updateProperties(element, { conditionExpression: v ? expression(v) : undefined });
      }, 2);
      control.disabled = isDefault;
      nodes.push(field('Voorwaarde', control, isDefault ? 'De standaardstroom heeft geen voorwaarde.'
        : 'Python, bijv. tijdig_beschikbaar == False and gecontracteerd_alternatief == True'));
    } else {
      nodes.push(el('p', { className: 'hint', text: 'Alleen stromen uit een exclusieve of inclusieve gateway hebben een voorwaarde.' }));
    }
    return nodes;
  }

  function gatewayFields(element, bo) {
    var outgoing = element.outgoing || [];
    var options = [{ value: '', label: '(geen standaardstroom)' }].concat(outgoing.map(function (flow) {
      return { value: flow.id, label: (flow.businessObject.name || flow.id) + ' → ' + nameOf(flow.target) };
    }));
    return [field('Standaardstroom', choice('defaultFlow', options, bo.default ? bo.default.id : '', function (v) {
      var flow = registry.get(v);
      if (flow && flow.businessObject.conditionExpression) {
        modeling.updateProperties(flow, { conditionExpression: undefined });
      }
      modeling.updateProperties(element, { 'default': flow ? flow.businessObject : undefined });
    }), 'De weg als geen voorwaarde geldt.')];
  }

  function callFields(element, bo) {
    var options = [{ value: '', label: '(kies een proces)' }].concat(catalogue.processes.map(function (p) {
      return { value: p, label: p };
    }));
    var nodes = [field('Aangeroepen proces (calledElement)', choice('calledElement', options, bo.calledElement || '', function (v) {
      modeling.updateProperties(element, { calledElement: v || undefined });
    }))];
    if (bo.calledElement) {
      nodes.push(link(config.pages.process.replace('{key}', bo.calledElement), 'Aangeroepen proces openen'));
    }
    return nodes.concat([scriptFields(element, bo)]);
  }

  function decisionFields(element, bo) {
    var options = [{ value: '', label: '(kies een beslistabel)' }].concat(catalogue.decisions.map(function (d) {
      return { value: d.id, label: (d.name || d.id) + ' (' + d.file + ')' };
    }));
    return [field('Beslistabel (calledDecisionId)', choice('calledDecisionId', options, bodyOf(bo, 'spiffworkflow:CalledDecisionId'), function (v) {
      setBody(element, 'spiffworkflow:CalledDecisionId', v);
    }), 'De uitkomsten komen onder hun naam in de casusgegevens.'), scriptFields(element, bo)];
  }

  function scriptTaskFields(element, bo) {
    return [field('Script', area('script', bo.script || '', function (v) {
      modeling.updateProperties(element, { script: v || undefined, scriptFormat: bo.scriptFormat || 'python' });
    }, 6), 'Python in de veilige subset: zet velden van de casus, bijv. betalingen = [].'), scriptFields(element, bo)];
  }

  function laneFields(element, bo) {
    var options = Object.keys(config.roles).map(function (role) {
      return { value: role, label: role + ' — ' + config.roles[role] };
    });
    return [field('Rol', choice('laneRole', [{ value: '', label: '(kies een rol)' }].concat(options), bo.name || '', function (v) {
      modeling.updateLabel(element, v || null);
    }), 'De naam van een baan is de rol die haar taken krijgt.')];
  }

  function nameOf(element) {
    return element ? (element.businessObject.name || element.id) : '?';
  }

  function fieldsFor(element) {
    var bo = element.businessObject;
    var type = element.type;
    var timer = bo.eventDefinitions ? timerOf(bo) : null;
    if (type === 'bpmn:Lane') {
      return laneFields(element, bo);
    }
    var nodes = [];
    if (type !== 'label') {
      nodes.push(field(type === 'bpmn:Participant' ? 'Naam van de pool' : 'Naam', text('name', bo.name || '', function (v) {
        modeling.updateLabel(element, v || null);
      })));
    }
    if (type === 'bpmn:UserTask') {
      nodes = nodes.concat(userTaskFields(element, bo));
    } else if (type === 'bpmn:StartEvent' && !timer) {
      nodes = nodes.concat(startFields(element, bo));
    } else if (type === 'bpmn:SequenceFlow') {
      nodes = nodes.concat(flowFields(element, bo));
    } else if (CONDITIONAL_SOURCES.indexOf(type) >= 0) {
      nodes = nodes.concat(gatewayFields(element, bo));
    } else if (type === 'bpmn:CallActivity') {
      nodes = nodes.concat(callFields(element, bo));
    } else if (type === 'bpmn:BusinessRuleTask') {
      nodes = nodes.concat(decisionFields(element, bo));
    } else if (type === 'bpmn:ScriptTask') {
      nodes = nodes.concat(scriptTaskFields(element, bo));
    } else if (/Task$|^bpmn:SubProcess$/.test(type)) {
      nodes.push(scriptFields(element, bo));
    }
    if (timer) {
      nodes = nodes.concat(timerFields(element, timer));
    }
    return nodes;
  }

  function render() {
    var focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.id : null;
    panel.textContent = '';
    panel.removeAttribute('data-element-id');
    var element = selected && registry.get(selected.id);
    if (!element || element.type === 'bpmn:Collaboration' || element.type === 'bpmn:Process') {
      panel.appendChild(el('p', { className: 'muted', text: 'Kies een element in het schema om zijn eigenschappen te zien.' }));
      return;
    }
    if (element.type === 'label') {
      element = element.labelTarget;
    }
    panel.setAttribute('data-element-id', element.id);
    panel.appendChild(el('p', { className: 'props__kind' }, [
      el('span', { text: TYPE_LABELS[element.type] || element.type.replace('bpmn:', '') }),
      el('code', { className: 'props__id', title: 'Element-id (blijft gelijk bij hernoemen)', text: element.id })
    ]));
    fieldsFor(element).forEach(function (node) { panel.appendChild(node); });
    if (focused) {
      var again = document.getElementById(focused);
      if (again) {
        again.focus();
      }
    }
  }

  var pending = null;

  function renderSoon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(render, 0);
  }

  // -- selecting from a problem -----------------------------------------------------------

  function show(id, probe) {
    var element = registry && registry.get(id);
    if (!element) {
      return false;
    }
    if (!probe) {
      selection.select(element);
      centre(element);
      container.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
    return true;
  }

  // Put an element (shape or flow) in the middle of the view at the current zoom.
  function centre(element) {
    var points = element.waypoints || [{ x: element.x, y: element.y },
                                       { x: element.x + element.width, y: element.y + element.height }];
    var xs = points.map(function (p) { return p.x; });
    var ys = points.map(function (p) { return p.y; });
    var box = canvas.viewbox();
    canvas.viewbox({
      x: (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2 - box.width / 2,
      y: (Math.min.apply(null, ys) + Math.max.apply(null, ys)) / 2 - box.height / 2,
      width: box.width, height: box.height
    });
  }

  function showHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (id) {
      show(id);
    }
  }

  // -- versions and migration -------------------------------------------------------------

  var migrationBox = root.querySelector('[data-migration]');
  var fromSelect = migrationBox.querySelector('[data-from]');
  var toSelect = migrationBox.querySelector('[data-to]');
  var dryRunButton = migrationBox.querySelector('[data-action="dry-run"]');
  var migrateButton = migrationBox.querySelector('[data-action="migrate"]');
  var migrationStatus = new D.Status(migrationBox.querySelector('[data-migration-status]'));
  var migrationResult = migrationBox.querySelector('[data-migration-result]');
  // The last dry run that found cases to move: its from/to and the cases it found migratable.
  // Migrating moves exactly those: a case that reached the version since was not reviewed.
  var tried = null;

  function loadVersions() {
    return D.loadVersions(root, config.api.versions, true).then(function (list) {
      versions = list;
      fillMigration(versions.filter(function (v) { return v.current; })[0]);
    });
  }

  function option(value, label) {
    return el('option', { value: String(value), text: label });
  }

  function fillMigration(current) {
    var from = fromSelect.value;
    var to = toSelect.value;
    fromSelect.textContent = '';
    toSelect.textContent = '';
    var running = versions.filter(function (v) { return v.running_cases > 0; });
    running.forEach(function (v) {
      fromSelect.appendChild(option(v.version, 'Versie ' + v.version + ' (' + v.running_cases + ' lopend)'));
    });
    if (!running.length) {
      fromSelect.appendChild(option('', 'Geen lopende casussen'));
    }
    versions.slice().reverse().forEach(function (v) {
      toSelect.appendChild(option(v.version, 'Versie ' + v.version + (v.current ? ' (huidig)' : '')));
    });
    var older = running.filter(function (v) { return !current || v.version !== current.version; });
    fromSelect.value = running.some(function (v) { return String(v.version) === from; }) ? from
      : String((older[0] || running[0] || { version: '' }).version);
    // The target follows the current version unless the designer chose one.
    var chosen = toSelect.getAttribute('data-chosen') === 'true';
    toSelect.value = chosen && versions.some(function (v) { return String(v.version) === to; }) ? to
      : String(current ? current.version : '');
    fromSelect.disabled = dryRunButton.disabled = !running.length;
    forgetDryRun();
  }

  function forgetDryRun() {
    tried = null;
    migrateButton.disabled = true;
  }

  function migrationRequest(dryRun) {
    return { from_version: Number(fromSelect.value), to_version: Number(toSelect.value), dry_run: dryRun };
  }

  function sameVersions(a, b) {
    return a.from_version === b.from_version && a.to_version === b.to_version;
  }

  function caseRows(result, real) {
    var table = el('table', { className: 'table table--compact migration__cases' }, [
      el('caption', { className: 'visually-hidden', text: real ? 'Uitkomst per casus' : 'Proefmigratie per casus' }),
      el('thead', {}, [el('tr', {}, [el('th', { scope: 'col', text: 'Casus' }), el('th', { scope: 'col', text: 'Uitkomst' })])])
    ]);
    var body = el('tbody');
    result.cases.forEach(function (c) {
      var outcome = el('td', { 'data-label': 'Uitkomst' });
      if (c.migrated) {
        outcome.appendChild(el('span', { className: 'badge badge--ok', text: 'Overgezet naar versie ' + result.to_version }));
        var undo = el('button', { type: 'button', className: 'button button--small button--quiet', 'data-undo': c.case_id,
                                  text: 'Ongedaan maken', 'aria-label': 'Migratie van ' + c.reference + ' ongedaan maken' });
        undo.addEventListener('click', function () { undoCase(c, outcome, undo); });
        outcome.appendChild(undo);
      } else if (c.migratable && !real) {
        outcome.appendChild(el('span', { className: 'badge badge--ok', text: 'Kan over' }));
      } else {
        outcome.appendChild(el('span', { className: 'badge badge--bad', text: real ? 'Niet overgezet' : 'Kan niet over' }));
        outcome.appendChild(el('ul', { className: 'reasons' }, (c.reasons || []).map(function (r) { return el('li', { text: r }); })));
      }
      body.appendChild(el('tr', { 'data-case': c.reference }, [el('td', { 'data-label': 'Casus', text: c.reference }), outcome]));
    });
    table.appendChild(body);
    return table;
  }

  function dryRun() {
    var request = migrationRequest(true);
    migrationStatus.show('Proefmigratie…');
    D.api('POST', config.api.migrate, request).then(function (result) {
      migrationResult.textContent = '';
      if (result.status !== 200) {
        forgetDryRun();
        migrationStatus.show(D.refusal(result), 'bad');
        return;
      }
      var body = result.body;
      migrationStatus.show('Proef: ' + body.migratable + ' van ' + body.total + ' casussen kunnen van versie ' +
        body.from_version + ' naar versie ' + body.to_version + '. Er is nog niets veranderd.', body.migratable ? 'ok' : 'bad');
      migrationResult.appendChild(caseRows(body, false));
      var caseIds = body.cases.filter(function (c) { return c.migratable; }).map(function (c) { return c.case_id; });
      tried = caseIds.length ? Object.assign(request, { case_ids: caseIds }) : null;
      migrateButton.disabled = !tried;
    });
  }

  function migrate() {
    var request = migrationRequest(false);
    if (!tried || !sameVersions(tried, request)) {
      return;
    }
    request.case_ids = tried.case_ids;
    migrateButton.disabled = true;
    migrationStatus.show('Migreren…');
    D.api('POST', config.api.migrate, request).then(function (result) {
      migrationResult.textContent = '';
      if (result.status !== 200) {
        migrationStatus.show(D.refusal(result), 'bad');
        return;
      }
      var body = result.body;
      migrationStatus.show(body.migrated + ' van ' + body.total + ' casussen overgezet naar versie ' + body.to_version + '.',
        body.migrated ? 'ok' : 'bad');
      migrationResult.appendChild(caseRows(body, true));
      return loadVersions();
    });
  }

  function undoCase(c, cell, button) {
    button.disabled = true;
    D.api('POST', config.api.undo.replace('{id}', c.case_id)).then(function (result) {
      if (result.status === 200) {
        cell.textContent = '';
        cell.appendChild(el('span', { className: 'badge', text: 'Teruggezet naar versie ' + result.body.version }));
        migrationStatus.show('Migratie van ' + c.reference + ' is ongedaan gemaakt.', 'ok');
        return loadVersions();
      }
      button.disabled = false;
      migrationStatus.show(c.reference + ': ' + D.refusal(result), 'bad');
    });
  }

  fromSelect.addEventListener('change', forgetDryRun);
  toSelect.addEventListener('change', function () {
    toSelect.setAttribute('data-chosen', 'true');
    forgetDryRun();
  });
  dryRunButton.addEventListener('click', dryRun);
  migrateButton.addEventListener('click', migrate);

  // -- what the choices offer: forms, processes, decision tables ----------------------------

  function loadCatalogue() {
    return D.api('GET', config.api.artifacts).then(function (result) {
      var all = result.status === 200 ? result.body : [];
      catalogue.forms = all.filter(function (a) { return a.kind === 'form'; }).map(function (a) { return a.key; }).sort();
      catalogue.processes = all.filter(function (a) { return a.kind === 'bpmn'; }).map(function (a) { return a.key; }).sort();
      var tables = all.filter(function (a) { return a.kind === 'dmn'; });
      return Promise.all(tables.map(function (table) {
        return D.api('GET', config.api.artifacts + '/dmn/' + encodeURIComponent(table.key)).then(function (r) {
          if (r.status !== 200) {
            return [];
          }
          var doc = new DOMParser().parseFromString(r.body.content, 'application/xml');
          return Array.prototype.slice.call(doc.getElementsByTagNameNS('*', 'decision')).map(function (d) {
            return { id: d.getAttribute('id'), name: d.getAttribute('name'), file: table.filename };
          });
        });
      })).then(function (lists) {
        catalogue.decisions = [].concat.apply([], lists);
        renderSoon();
      });
    });
  }

  // -- start ---------------------------------------------------------------------------------

  function start(descriptor) {
    modeler = new window.BpmnJS({ container: container, moddleExtensions: { spiffworkflow: descriptor } });
    modeling = modeler.get('modeling');
    moddle = modeler.get('moddle');
    registry = modeler.get('elementRegistry');
    selection = modeler.get('selection');
    canvas = modeler.get('canvas');
    var editor = new D.Editor(root, config, {
      content: function () { return modeler.saveXML({ format: true }).then(function (r) { return r.xml; }); },
      select: show,
      deployed: loadVersions
    });
    var events = modeler.get('eventBus');
    events.on('selection.changed', function (event) {
      selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
      renderSoon();
    });
    return D.api('GET', config.api.artifact).then(function (result) {
      if (result.status !== 200) {
        throw new Error(D.refusal(result));
      }
      return modeler.importXML(result.body.content);
    }).then(function (imported) {
      // Only edits after the import count as changes.
      events.on('commandStack.changed', function () {
        editor.changed();
        renderSoon();
      });
      showImportWarnings(imported.warnings || []);
      container.querySelectorAll('.diagram__fallback').forEach(function (n) { n.remove(); });
      readableStart();
      var process = (modeler.getDefinitions().rootElements || []).filter(function (e) { return e.id === config.key; })[0];
      if (process && process.name) {
        root.querySelector('[data-process-name]').textContent = process.name;
      }
      container.setAttribute('data-state', 'ready');
      // A link to <page>#<element-id> opens with that element chosen.
      showHash();
      window.addEventListener('hashchange', showHash);
      return Promise.all([loadCatalogue(), loadVersions()]);
    });
  }

  // A wide process drawn to fit is unreadable: start at a readable zoom at its left end,
  // clear of the palette; "fit" is one key (or scroll) away.
  var READABLE = 0.9;
  var PALETTE = 120;

  function readableStart() {
    canvas.zoom('fit-viewport', 'auto');
    if (canvas.zoom() >= READABLE * 0.75) {
      return;
    }
    var size = canvas.getSize();
    var inner = canvas.viewbox().inner;
    var width = size.width / READABLE;
    var height = size.height / READABLE;
    canvas.viewbox({ x: inner.x - PALETTE / READABLE, y: inner.y - 30, width: width, height: height });
  }

  // Anything moddle could not read would be lost on export: say so before anyone deploys.
  function showImportWarnings(warnings) {
    var box = root.querySelector('[data-import-warnings]');
    if (!warnings.length) {
      return;
    }
    box.appendChild(el('p', { text: 'Let op: bij het openen kon de modeler niet alles lezen. Wat hieronder staat gaat verloren als u uitrolt:' }));
    box.appendChild(el('ul', {}, warnings.map(function (w) { return el('li', { text: w.message.split('\n')[0] }); })));
    box.hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (typeof window.BpmnJS !== 'function') {
      D.fail(container, 'De modeler kan niet worden geladen: bpmn-js is niet geïnstalleerd (make install).');
      return;
    }
    fetch(config.moddle, { credentials: 'same-origin' }).then(function (r) { return r.json(); })
      .then(start)
      .catch(function (error) { D.fail(container, 'Het proces kon niet worden geopend: ' + error.message); });
  });
})();
