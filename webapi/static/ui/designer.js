// What the designer's pages (modeler, decision table, form) share: calling the JSON API on
// the session (CSRF token in a header), the list of problems, the version history, the
// status line, downloading what is on screen. Plain DOM; every text is built with
// textContent, never from HTML strings.
(function () {
  'use strict';

  var csrf = document.querySelector('meta[name="csrf-token"]');

  function config(id) {
    var node = document.getElementById(id || 'designer-config');
    return node ? JSON.parse(node.textContent) : {};
  }

  // Resolves to {status, body}; only a network failure rejects.
  function api(method, url, body) {
    var headers = { Accept: 'application/json' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      headers['X-CSRF-Token'] = csrf ? csrf.content : '';
    }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, body: data };
      });
    });
  }

  // One message for an API refusal that is not a list of problems.
  function refusal(result) {
    var body = result.body || {};
    var parts = [body.message || ('Fout ' + result.status)];
    var errors = body.errors || {};
    Object.keys(errors).forEach(function (field) {
      [].concat(errors[field]).forEach(function (message) {
        parts.push(typeof message === 'string' ? message : JSON.stringify(message));
      });
    });
    if (result.status === 401) {
      parts.push('Log opnieuw in; uw wijzigingen staan nog in dit venster (download ze eerst).');
    }
    return parts.join(' ');
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') {
        node.textContent = attrs[key];
      } else if (key === 'className') {
        node.className = attrs[key];
      } else if (attrs[key] !== undefined && attrs[key] !== null && attrs[key] !== false) {
        node.setAttribute(key, attrs[key] === true ? '' : attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  var DATE = new Intl.DateTimeFormat('nl-NL', {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Amsterdam'
  });

  function moment(iso) {
    return iso ? DATE.format(new Date(iso)) : '';
  }

  // The status line under the toolbar: what just happened, for eyes and screen readers.
  function Status(node) {
    this.node = node;
  }
  Status.prototype.show = function (text, kind) {
    this.node.textContent = text;
    this.node.className = 'designer-status' + (kind ? ' designer-status--' + kind : '');
  };

  // Problems as the API gives them: {file, message, element_id, line}. `select(id)` returns
  // true when it could show the element; then the problem becomes a button that does so.
  function showProblems(section, problems, heading, select) {
    var list = section.querySelector('[data-problem-list]');
    var title = section.querySelector('[data-problem-title]');
    list.textContent = '';
    if (!problems || !problems.length) {
      section.hidden = true;
      return;
    }
    title.textContent = heading;
    problems.forEach(function (problem) {
      var where = [problem.file, problem.element_id, problem.line ? 'regel ' + problem.line : null]
        .filter(Boolean).join(' · ');
      var item = el('li', { className: 'problem' });
      var text = [el('span', { className: 'problem__message', text: problem.message }),
                  el('span', { className: 'problem__where', text: where })];
      if (problem.element_id && select && select(problem.element_id, true)) {
        var button = el('button', { type: 'button', className: 'problem__link', 'data-element-id': problem.element_id,
                                    title: 'Toon ' + problem.element_id + ' in het schema' }, text);
        button.addEventListener('click', function () { select(problem.element_id); });
        item.appendChild(button);
      } else {
        text.forEach(function (node) { item.appendChild(node); });
      }
      list.appendChild(item);
    });
    section.hidden = false;
    section.focus();
  }

  function summaryText(version) {
    var summary = version.summary || {};
    return summary.text || '';
  }

  // The version history: newest first, with who, when, what changed and running cases.
  function showVersions(container, versions, withCases) {
    container.textContent = '';
    if (!versions.length) {
      container.appendChild(el('p', { className: 'empty', text: 'Nog geen versies.' }));
      return;
    }
    var head = ['Versie', 'Uitgerold', 'Wat veranderde'].concat(withCases ? ['Lopend'] : []);
    var table = el('table', { className: 'table table--compact versions' }, [
      el('caption', { className: 'visually-hidden', text: 'Versies, nieuwste eerst' }),
      el('thead', {}, [el('tr', {}, head.map(function (h) { return el('th', { scope: 'col', text: h }); }))])
    ]);
    var body = el('tbody');
    versions.slice().reverse().forEach(function (v) {
      var row = el('tr', { 'data-version': v.version, className: v.current ? 'is-current' : '' }, [
        el('td', { 'data-label': 'Versie' }, [
          el('strong', { text: String(v.version) }),
          v.current ? el('span', { className: 'badge badge--ok', text: 'huidig' }) : null
        ]),
        el('td', { 'data-label': 'Uitgerold' }, [moment(v.deployed_at), el('span', { className: 'small muted', text: 'door ' + v.deployed_by })]),
        el('td', { 'data-label': 'Wat veranderde', className: 'versions__summary', text: summaryText(v) })
      ]);
      if (withCases) {
        row.appendChild(el('td', { 'data-label': 'Lopend', text: String(v.running_cases || 0) }));
      }
      body.appendChild(row);
    });
    table.appendChild(body);
    container.appendChild(table);
  }

  // What a designer page says about its current version, under its title.
  function versionLine(version) {
    return 'Versie ' + version.version + ', uitgerold ' + moment(version.deployed_at) + ' door ' + version.deployed_by;
  }

  // Load the version history of the page's file and show it, with the current version under
  // the title. `url` gives either a process's version list (each with `current`) or an
  // artifact (the current version, with its `versions`); resolves to what the API gave.
  function loadVersions(root, url, withCases) {
    return api('GET', url).then(function (result) {
      if (result.status !== 200) {
        throw new Error(refusal(result));
      }
      var list = Array.isArray(result.body) ? result.body : result.body.versions;
      var current = Array.isArray(result.body) ? list.filter(function (v) { return v.current; })[0] : result.body;
      showVersions(root.querySelector('[data-versions]'), list, withCases);
      if (current) {
        root.querySelector('[data-current-version]').textContent = versionLine(current);
      }
      return result.body;
    });
  }

  // The editor's place stays, with a message in it, when its library or file cannot be opened.
  function fail(container, message) {
    container.textContent = '';
    container.appendChild(el('p', { className: 'diagram__fallback', text: message }));
    container.setAttribute('data-state', 'failed');
  }

  function download(filename, text, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type || 'application/xml' }));
    var link = el('a', { href: url, download: filename.split('/').pop() });
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // Validate and deploy one file; shared by the three editors. The page's root (data-designer)
  // holds the toolbar (data-action validate, deploy, download), the status line (data-status)
  // and the problem list (data-problems); the page's config says what file it is. Options:
  // `content()` gives a promise of the text; `select(id, probe)` shows an element (default:
  // none); `deployed(version)` refreshes the page's lists; `mime` of the download.
  function Editor(root, config, options) {
    this.options = Object.assign({ select: function () { return false; } }, options, {
      root: root, config: config, problems: root.querySelector('[data-problems]')
    });
    this.status = new Status(root.querySelector('[data-status]'));
    this.busy = false;
    this.dirty = false;
    var self = this;
    var button = function (action) { return root.querySelector('[data-action="' + action + '"]'); };
    button('validate').addEventListener('click', function () { self.validate(); });
    button('deploy').addEventListener('click', function () { self.deploy(); });
    button('download').addEventListener('click', function () {
      self.options.content().then(function (text) { download(config.filename, text, self.options.mime); });
    });
    window.addEventListener('beforeunload', function (event) {
      if (self.dirty) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  Editor.prototype.upload = function (text) {
    var config = this.options.config;
    return { filename: config.filename, content: text, kind: config.kind };
  };

  Editor.prototype.changed = function () {
    this.dirty = true;
    this.status.show('Niet uitgerolde wijzigingen.', 'pending');
  };

  Editor.prototype.run = function (work) {
    var self = this;
    if (self.busy) {
      return;
    }
    self.busy = true;
    self.options.root.setAttribute('aria-busy', 'true');
    work().catch(function (error) {
      self.status.show('Dat lukte niet: ' + (error && error.message ? error.message : error), 'bad');
    }).then(function () {
      self.busy = false;
      self.options.root.removeAttribute('aria-busy');
    });
  };

  Editor.prototype.validate = function () {
    var self = this;
    var o = self.options;
    self.run(function () {
      self.status.show('Controleren…');
      return o.content().then(function (text) {
        return api('POST', o.config.api.validate, self.upload(text));
      }).then(function (result) {
        if (result.status !== 200) {
          showProblems(o.problems, [], '', o.select);
          self.status.show(refusal(result), 'bad');
          return;
        }
        var problems = result.body.problems || [];
        showProblems(o.problems, problems, problems.length + (problems.length === 1 ? ' probleem' : ' problemen') +
          ' gevonden', o.select);
        self.status.show(problems.length ? 'Controle: ' + problems.length + (problems.length === 1 ? ' probleem' : ' problemen') +
          '; uitrollen kan pas als ze zijn opgelost.' : 'Controle: geen problemen gevonden. Dit kan worden uitgerold.',
          problems.length ? 'bad' : 'ok');
      });
    });
  };

  Editor.prototype.deploy = function () {
    var self = this;
    var o = self.options;
    self.run(function () {
      self.status.show('Uitrollen…');
      return o.content().then(function (text) {
        return api('POST', o.config.api.deploy, self.upload(text));
      }).then(function (result) {
        if (result.status === 201 || result.status === 200) {
          showProblems(o.problems, [], '', o.select);
          var mine = function (v) { return v.kind === o.config.kind && v.key === o.config.key; };
          var fresh = (result.body.deployed || []).filter(mine)[0];
          var same = (result.body.unchanged || []).filter(mine)[0];
          self.dirty = false;
          o.config.new = false;
          if (fresh) {
            self.status.show('Versie ' + fresh.version + ' is uitgerold. ' + summaryText(fresh) +
              (o.config.kind === 'bpmn' ? ' Lopende casussen blijven op hun versie tot u ze migreert.' : ''), 'ok');
          } else {
            self.status.show('Niets uitgerold: de inhoud is gelijk aan versie ' + (same ? same.version : '') + '.', 'ok');
          }
          return o.deployed(fresh || same);
        }
        if (result.status === 422 && result.body.problems) {
          var problems = result.body.problems;
          showProblems(o.problems, problems, 'Niet uitgerold: ' + problems.length +
            (problems.length === 1 ? ' probleem' : ' problemen'), o.select);
          self.status.show('Niet uitgerold: los eerst de problemen op. Er is niets veranderd.', 'bad');
          return null;
        }
        self.status.show('Niet uitgerold: ' + refusal(result), 'bad');
        return null;
      });
    });
  };

  window.VerwijsflowDesigner = {
    api: api, config: config, el: el, moment: moment, refusal: refusal, showProblems: showProblems,
    showVersions: showVersions, loadVersions: loadVersions, fail: fail, download: download, Editor: Editor,
    Status: Status
  };
})();
