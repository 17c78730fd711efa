/* Formwork record forms: immediacy only. The page works without this script and the server
 * re-checks everything; this mirrors visible_when / required_when and the form's checks where
 * a small evaluator can read them, shows required / pattern / format messages when a field is
 * left, and adds or removes sub-table rows. Rules it cannot read are left to the server. */
(function () {
  'use strict';

  var form = document.querySelector('form[data-record-form]');
  var rulesEl = document.getElementById('form-rules');
  if (!form || !rulesEl) return;
  var desc;
  try { desc = JSON.parse(rulesEl.textContent); } catch (e) { return; }
  var fields = desc.fields || [];
  var byKey = {};
  fields.forEach(function (f) { byKey[f.key] = f; });

  // ---- a small reader of the expression language ------------------------------------------
  // Supports literals, names (a.b), not / and / or, comparisons, in, is [not] none,
  // + - * / % ~ and parentheses. Anything else (filters, calls) throws: the rule is skipped.
  function Unsupported(msg) { this.message = msg; }

  function tokenize(src) {
    var re = /\s*(?:(\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(==|!=|<=|>=|[<>+\-*\/%~()\[\],.])|([A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*))/gy;
    var out = [], m, pos = 0;
    while (pos < src.length) {
      re.lastIndex = pos;
      if (/^\s*$/.test(src.slice(pos))) break;
      m = re.exec(src);
      if (!m) throw new Unsupported('token at ' + pos);
      pos = re.lastIndex;
      if (m[1] !== undefined) out.push({ t: 'num', v: parseFloat(m[1]) });
      else if (m[2] !== undefined) out.push({ t: 'str', v: m[2].slice(1, -1).replace(/\\(.)/g, '$1') });
      else if (m[3] !== undefined) out.push({ t: 'op', v: m[3] });
      else out.push({ t: 'name', v: m[4] });
    }
    return out;
  }

  function parse(src) {
    var toks = tokenize(src), i = 0;
    function peek(v) { var k = toks[i]; return k && (v === undefined || k.v === v) && (k.t === 'op' || k.t === 'name') ? k : null; }
    function take(v) { if (peek(v)) return toks[i++]; return null; }
    function expect(v) { if (!take(v)) throw new Unsupported('expected ' + v); }
    function orExpr() {
      var l = andExpr();
      while (take('or')) { var r = andExpr(); l = (function (a, b) { return function (s) { return truthy(a(s)) ? a(s) : b(s); }; })(l, r); }
      return l;
    }
    function andExpr() {
      var l = notExpr();
      while (take('and')) { var r = notExpr(); l = (function (a, b) { return function (s) { return truthy(a(s)) ? b(s) : a(s); }; })(l, r); }
      return l;
    }
    function notExpr() {
      if (take('not')) { var e = notExpr(); return function (s) { return !truthy(e(s)); }; }
      return cmp();
    }
    function cmp() {
      var l = add();
      var k = toks[i];
      if (!k) return l;
      if (k.t === 'name' && k.v === 'is') {
        i++;
        var neg = !!take('not');
        var test = toks[i++];
        if (!test || (test.v !== 'none' && test.v !== 'None' && test.v !== 'defined' && test.v !== 'undefined')) throw new Unsupported('is ' + (test && test.v));
        return function (s) {
          var v = l(s), r;
          if (test.v === 'none' || test.v === 'None') r = v === null || v === undefined;
          else if (test.v === 'defined') r = v !== undefined;
          else r = v === undefined;
          return neg ? !r : r;
        };
      }
      var op = null;
      if (k.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].indexOf(k.v) >= 0) { op = k.v; i++; }
      else if (k.t === 'name' && k.v === 'in') { op = 'in'; i++; }
      else if (k.t === 'name' && k.v === 'not' && toks[i + 1] && toks[i + 1].v === 'in') { op = 'not in'; i += 2; }
      if (!op) return l;
      var r = add();
      return function (s) { return compare(op, l(s), r(s)); };
    }
    function add() {
      var l = mul();
      for (;;) {
        var k = peek();
        if (!k || k.t !== 'op' || ['+', '-', '~'].indexOf(k.v) < 0) return l;
        i++;
        l = (function (a, b, o) { return function (s) { return arith(o, a(s), b(s)); }; })(l, mul(), k.v);
      }
    }
    function mul() {
      var l = unary();
      for (;;) {
        var k = peek();
        if (!k || k.t !== 'op' || ['*', '/', '%'].indexOf(k.v) < 0) return l;
        i++;
        l = (function (a, b, o) { return function (s) { return arith(o, a(s), b(s)); }; })(l, unary(), k.v);
      }
    }
    function unary() {
      if (take('-')) { var e = unary(); return function (s) { return arith('-', 0, e(s)); }; }
      return primary();
    }
    function primary() {
      var k = toks[i++];
      if (!k) throw new Unsupported('end');
      if (k.t === 'num' || k.t === 'str') return function () { return k.v; };
      if (k.t === 'op' && k.v === '(') { var e = orExpr(); expect(')'); return e; }
      if (k.t === 'op' && k.v === '[') {
        var items = [];
        if (!take(']')) { do { items.push(orExpr()); } while (take(',')); expect(']'); }
        return function (s) { return items.map(function (f) { return f(s); }); };
      }
      if (k.t === 'name') {
        if (k.v === 'true' || k.v === 'True') return function () { return true; };
        if (k.v === 'false' || k.v === 'False') return function () { return false; };
        if (k.v === 'none' || k.v === 'None') return function () { return null; };
        var path = [k.v];
        while (peek('.')) { i++; var n = toks[i++]; if (!n || n.t !== 'name') throw new Unsupported('attr'); path.push(n.v); }
        if (peek('(') || peek('[')) throw new Unsupported('call');
        return function (s) {
          var v = s;
          for (var j = 0; j < path.length; j++) { if (v === null || v === undefined || typeof v !== 'object' || !(path[j] in v)) throw new Unsupported('unknown ' + path.join('.')); v = v[path[j]]; }
          return v;
        };
      }
      throw new Unsupported('unexpected ' + k.v);
    }
    var e = orExpr();
    if (i !== toks.length) throw new Unsupported('trailing');
    return e;
  }

  function truthy(v) {
    if (Array.isArray(v)) return v.length > 0;
    return !(v === null || v === undefined || v === false || v === 0 || v === '');
  }
  function compare(op, a, b) {
    if (op === 'in' || op === 'not in') {
      var r = Array.isArray(b) ? b.indexOf(a) >= 0 : (typeof b === 'string' && typeof a === 'string' ? b.indexOf(a) >= 0 : null);
      if (r === null) throw new Unsupported('in');
      return op === 'in' ? r : !r;
    }
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    if (a === null || b === null || a === undefined || b === undefined || typeof a !== typeof b) throw new Unsupported('order of unlike values');
    if (op === '<') return a < b;
    if (op === '<=') return a <= b;
    if (op === '>') return a > b;
    return a >= b;
  }
  function arith(op, a, b) {
    if (op === '~') return String(a === null ? '' : a) + String(b === null ? '' : b);
    if (typeof a !== 'number' || typeof b !== 'number') throw new Unsupported('arithmetic');
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return a / b;
      default: return a % b;
    }
  }

  var compiled = {};
  function evaluate(src, scope) {
    if (!(src in compiled)) {
      try { compiled[src] = parse(src); } catch (e) { compiled[src] = null; }
    }
    var f = compiled[src];
    if (!f) return undefined;
    try { return f(scope); } catch (e) { return undefined; }
  }
  // For tests in a browser: what the script makes of an expression (undefined: left to the server).
  window.formworkEvaluate = evaluate;

  // ---- values as the rules see them ------------------------------------------------------
  function wrapOf(key) { return form.querySelector('[data-field="' + cssEscape(key) + '"]'); }
  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&'); }
  function inputsNamed(name) { return Array.prototype.slice.call(form.querySelectorAll('[name="' + cssEscape(name) + '"]')); }
  function cleanMoney(s) { return s.replace(/[,，¥￥\s\u3000]/g, ''); }

  function typed(f, text) {
    if (text === null || text === undefined || String(text).trim() === '') return null;
    if (f.kind === 'money') { var m = cleanMoney(text); return /^-?\d+(\.\d+)?$/.test(m) ? parseFloat(m) : null; }
    if (f.kind === 'integer' || f.kind === 'decimal' || f.kind === 'percent') { var n = Number(String(text).replace(/[,，]/g, '')); return isNaN(n) ? null : n; }
    return text;
  }

  function valueOf(f) {
    if (f.server_set) return null;
    if (f.kind === 'sub_table') {
      var table = form.querySelector('table[data-table="' + cssEscape(f.key) + '"]');
      if (!table) return [];
      return Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
        var row = {};
        (f.columns || []).forEach(function (c) {
          var el = tr.querySelector('[name$="[' + cssEscape(c.key) + ']"]');
          row[c.key] = el ? typed(c, el.value) : null;
        });
        return row;
      });
    }
    var els = inputsNamed(f.key);
    if (f.kind === 'checkbox') return els.some(function (e) { return e.type === 'checkbox' && e.checked; });
    if (f.kind === 'attachments') {
      var n = form.querySelectorAll('[name="__keep.' + cssEscape(f.key) + '"]:checked').length;
      els.forEach(function (e) { if (e.files) n += e.files.length; });
      return n ? new Array(n).fill('file') : null;
    }
    var boxes = els.filter(function (e) { return e.type === 'checkbox' || e.type === 'radio'; });
    if (boxes.length) {
      var chosen = boxes.filter(function (e) { return e.checked; }).map(function (e) { return e.value; });
      if (els[0].type === 'radio') return chosen.length ? chosen[0] : null;
      return chosen;
    }
    return els.length ? typed(f, els[0].value) : null;
  }

  function scope() {
    var s = {};
    (desc.system_keys || []).forEach(function (k) { s[k] = null; });
    fields.forEach(function (f) { s[f.key] = valueOf(f); });
    return s;
  }

  // ---- visibility and required markers -----------------------------------------------------
  function requiredNow(f, s) {
    if (f.required) return true;
    var src = f.rules && f.rules.required_when;
    return src ? evaluate(src, s) === true : false;
  }

  function applyRules() {
    var s = scope();
    fields.forEach(function (f) {
      var wrap = wrapOf(f.key);
      if (!wrap) return;
      var vis = f.rules && f.rules.visible_when;
      if (vis) {
        var shown = evaluate(vis, s);
        wrap.hidden = shown === false || (shown !== undefined && !truthy(shown));
      }
      if (f.rules && f.rules.required_when) {
        var req = requiredNow(f, s);
        var marker = wrap.querySelector('label > .req, legend > .req');
        if (marker) marker.hidden = !req;
        wrap.querySelectorAll('input, select, textarea').forEach(function (el) {
          if (el.type === 'hidden' || el.type === 'file') return;
          if (req) el.setAttribute('aria-required', 'true'); else el.removeAttribute('aria-required');
        });
      }
    });
  }

  // ---- inline messages --------------------------------------------------------------------
  function showError(id, message, controls) {
    var el = document.getElementById(id + '-error');
    if (!el) return;
    el.textContent = message || '';
    el.hidden = !message;
    var holder = el.closest('.cell') || el.closest('.field');
    if (holder) holder.classList.toggle('has-error', !!message);
    (controls || []).forEach(function (c) {
      if (message) c.setAttribute('aria-invalid', 'true'); else c.removeAttribute('aria-invalid');
    });
  }

  function lengthOf(s) { return Array.from(s).length; }

  /** The first problem with one value, as the field's own message; '' when none. */
  function problemOf(f, raw, required) {
    var msgs = f.messages || {}, lim = f.limits || {};
    var text = raw === null || raw === undefined ? '' : String(raw);
    if (text.trim() === '') return required ? (msgs.required || '') : '';
    if (f.kind === 'money') {
      var m = cleanMoney(text);
      if (!/^-?\d+(\.\d{1,2})?$/.test(m)) return msgs.pattern || msgs.type || '';
      var amount = parseFloat(m);
      if (lim.minimum !== undefined && amount < parseFloat(lim.minimum)) return msgs.minimum || '';
      if (lim.exclusiveMinimum !== undefined && amount <= parseFloat(lim.exclusiveMinimum)) return msgs.exclusive_minimum || '';
      if (lim.maximum !== undefined && amount > parseFloat(lim.maximum)) return msgs.maximum || '';
      if (lim.exclusiveMaximum !== undefined && amount >= parseFloat(lim.exclusiveMaximum)) return msgs.exclusive_maximum || '';
      return '';
    }
    if (f.kind === 'integer' || f.kind === 'decimal' || f.kind === 'percent') {
      var n = Number(text.replace(/[,，]/g, ''));
      if (isNaN(n) || (f.kind === 'integer' && !Number.isInteger(n))) return msgs.type || '';
      if (lim.minimum !== undefined && n < lim.minimum) return msgs.minimum || '';
      if (lim.maximum !== undefined && n > lim.maximum) return msgs.maximum || '';
      return '';
    }
    var t = text.trim();
    if (lim.pattern) {
      try { if (!new RegExp(lim.pattern, 'u').test(t)) return msgs.pattern || ''; } catch (e) { /* the server decides */ }
    }
    if (lim.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t)) return msgs.format || '';
    if (lim.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(t)) return msgs.format || '';
    if (lim.minLength !== undefined && lengthOf(text) < lim.minLength) return msgs.min_length || '';
    if (lim.maxLength !== undefined && lengthOf(text) > lim.maxLength) return msgs.max_length || '';
    return '';
  }

  var touched = {};

  function checkField(f) {
    var wrap = wrapOf(f.key);
    if (!wrap || wrap.hidden || f.server_set || f.kind === 'sub_table' || f.kind === 'attachments') return;
    var id = 'f-' + f.key.replace(/[^\w\-\u00C0-\uffff]/g, '_');
    var controls = Array.prototype.slice.call(wrap.querySelectorAll('input:not([type=hidden]), select, textarea'));
    var s = scope();
    var v = valueOf(f);
    var raw;
    if (Array.isArray(v)) raw = v.length ? v.join(',') : '';
    else if (typeof v === 'boolean') raw = v ? 'true' : '';
    else {
      var el = controls[0];
      raw = el && el.type !== 'checkbox' && el.type !== 'radio' ? el.value : (v === null ? '' : String(v));
    }
    var message = problemOf(f, raw, requiredNow(f, s));
    if (!message) message = failedCheck(f.key, s);
    if (message || touched[id]) showError(id, message, controls);
  }

  function checkCell(input) {
    var m = /^(.+)\[(\d+)\]\[(.+)\]$/.exec(input.name || '');
    if (!m) return;
    var table = byKey[m[1]];
    var col = table && (table.columns || []).filter(function (c) { return c.key === m[3]; })[0];
    if (!col) return;
    var message = problemOf(col, input.value, col.required && rowFilled(input));
    if (message || touched[input.id]) showError(input.id, message, [input]);
  }

  function rowFilled(input) {
    var tr = input.closest('tr');
    return !!tr && Array.prototype.some.call(tr.querySelectorAll('input, select, textarea'), function (e) {
      return e !== input && e.type !== 'hidden' && e.value.trim() !== '';
    });
  }

  /** The message of the first of the form's checks on `/key` that fails with every value it
   * reads filled in (the server skips checks while a value is missing). */
  function failedCheck(key, s) {
    var checks = (desc.checks || []).filter(function (c) { return c.path === '/' + key; });
    for (var j = 0; j < checks.length; j++) {
      var c = checks[j];
      var filled = (c.variables || []).every(function (v) { return s[v] !== null && s[v] !== undefined && s[v] !== ''; });
      if (!filled) continue;
      if (evaluate(c.check, s) === false) return c.message || '';
    }
    return '';
  }

  function fieldOfElement(el) {
    var wrap = el.closest('[data-field]');
    return wrap ? byKey[wrap.getAttribute('data-field')] : null;
  }

  form.addEventListener('input', function (ev) {
    if (ev.target.id) touched[ev.target.id] = true;
    var f = fieldOfElement(ev.target);
    if (f) touched['f-' + f.key.replace(/[^\w\-\u00C0-\uffff]/g, '_')] = true;
  });
  form.addEventListener('change', function (ev) {
    applyRules();
    var f = fieldOfElement(ev.target);
    if (f && (ev.target.type === 'checkbox' || ev.target.type === 'radio' || ev.target.tagName === 'SELECT')) checkField(f);
  });
  form.addEventListener('focusout', function (ev) {
    var el = ev.target;
    if (!el.name || el.type === 'hidden' || el.type === 'file') return;
    applyRules();
    if (el.closest('table[data-table]')) { checkCell(el); return; }
    var f = fieldOfElement(el);
    if (!f) return;
    checkField(f);
    // A check on another field may depend on this one (end date after start date).
    (desc.checks || []).forEach(function (c) {
      if ((c.variables || []).indexOf(f.key) < 0) return;
      var other = byKey[(c.path || '').replace(/^\//, '')];
      if (other && other !== f) {
        var id = 'f-' + other.key.replace(/[^\w\-\u00C0-\uffff]/g, '_');
        if (touched[id] || document.getElementById(id + '-error') && !document.getElementById(id + '-error').hidden) checkField(other);
      }
    });
  });

  // ---- sub-table rows -------------------------------------------------------------------------
  function rowEmpty(tr) {
    return !tr.querySelector('.has-error') && Array.prototype.every.call(tr.querySelectorAll('input, select, textarea'), function (e) {
      if (e.type === 'hidden' || e.type === 'button') return true;
      if (e.type === 'checkbox' || e.type === 'radio') return !e.checked;
      return e.value.trim() === '';
    });
  }

  function renumber(table) {
    var tpl = document.getElementById(table.id + '-template');
    var label = tpl && tpl.content.querySelector('[data-remove-row]');
    var pattern = label ? label.getAttribute('aria-label') : null;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr, i) {
      var num = tr.querySelector('[data-rownum]');
      if (num) num.textContent = String(i + 1);
      var btn = tr.querySelector('[data-remove-row]');
      if (btn && pattern) { var l = pattern.replace('__N__', String(i + 1)); btn.setAttribute('aria-label', l); btn.title = l; }
    });
    var field = table.closest('.field');
    var empty = field && field.querySelector('[data-table-empty]');
    if (empty) empty.hidden = table.tBodies[0].rows.length > 0;
    table.hidden = table.tBodies[0].rows.length === 0;
  }

  function addRow(table) {
    var tpl = document.getElementById(table.id + '-template');
    if (!tpl) return;
    var next = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      next = Math.max(next, parseInt(tr.getAttribute('data-row'), 10) + 1 || 0);
    });
    var html = tpl.innerHTML.replace(/__INDEX__/g, String(next)).replace(/__N__/g, String(table.tBodies[0].rows.length + 1));
    var holder = document.createElement('tbody');
    holder.innerHTML = html;
    var tr = holder.querySelector('tr');
    if (!tr) return;
    tr.querySelectorAll('[data-remove-row]').forEach(function (b) { b.hidden = false; });
    table.tBodies[0].appendChild(tr);
    renumber(table);
    var first = tr.querySelector('input:not([type=hidden]), select, textarea');
    if (first) first.focus();
  }

  form.querySelectorAll('table[data-table]').forEach(function (table) {
    var field = table.closest('.field');
    Array.prototype.slice.call(table.tBodies[0].rows).forEach(function (tr) {
      if (rowEmpty(tr)) tr.remove();
    });
    table.querySelectorAll('[data-remove-row]').forEach(function (b) { b.hidden = false; });
    if (field) {
      field.querySelectorAll('[data-add-row]').forEach(function (b) { b.hidden = false; });
      field.querySelectorAll('[data-nojs-hint]').forEach(function (p) { p.hidden = true; });
    }
    renumber(table);
  });

  form.addEventListener('click', function (ev) {
    var add = ev.target.closest('[data-add-row]');
    if (add) {
      var table = form.querySelector('table[data-table="' + cssEscape(add.getAttribute('data-add-row')) + '"]');
      if (table) addRow(table);
      return;
    }
    var remove = ev.target.closest('[data-remove-row]');
    if (remove) {
      var tr = remove.closest('tr');
      var t = remove.closest('table');
      if (!tr || !t) return;
      tr.remove();
      renumber(t);
      applyRules();
      var again = t.closest('.field').querySelector('[data-add-row]');
      if (again) again.focus();
    }
  });

  // ---- submitting ----------------------------------------------------------------------------
  form.addEventListener('submit', function (ev) {
    var buttons = form.querySelectorAll('button[type=submit]');
    // After the submission has started, so the browser still sends the form; not when a
    // confirmation (驳回, 撤回 on a task page) was declined and the page stays.
    setTimeout(function () {
      if (ev.defaultPrevented) return;
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  applyRules();
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
})();

// ---- money: thousands separators while typing, and the amount in capitals (大写) beside ------
(function () {
  var DIGITS = '零壹贰叁肆伍陆柒捌玖';
  var SMALL = ['', '拾', '佰', '仟'];
  var BIG = ['', '万', '亿', '万亿'];

  // ¥120,000.50 → 壹拾贰万元伍角; '' when the text is not an amount this can say.
  function capitals(text) {
    var m = /^(-?)(\d{1,16})(?:\.(\d{1,2}))?$/.exec(text);
    if (!m) return '';
    var whole = m[2].replace(/^0+(?=\d)/, '');
    var cents = (m[3] || '').padEnd(2, '0');
    var out = '';
    var groups = [];
    for (var end = whole.length; end > 0; end -= 4) groups.unshift(whole.slice(Math.max(0, end - 4), end));
    var zero = false;
    groups.forEach(function (g, gi) {
      var part = '';
      for (var i = 0; i < g.length; i++) {
        var d = +g[i];
        var pos = g.length - 1 - i;
        if (d === 0) { zero = part !== '' || out !== ''; continue; }
        if (zero) { part += '零'; zero = false; }
        part += DIGITS[d] + SMALL[pos];
      }
      if (part) out += part + BIG[groups.length - 1 - gi];
      else if (out) zero = true;
    });
    var jiao = +cents[0], fen = +cents[1];
    if (!jiao && !fen) return (m[1] ? '负' : '') + (out || '零') + '元整';
    if (out) out += '元';
    if (jiao) out += DIGITS[jiao] + '角'; else if (fen && out) out += '零';
    if (fen) out += DIGITS[fen] + '分';
    return (m[1] ? '负' : '') + out;
  }

  // 1234567.5 → 1,234,567.5, keeping what the person typed after the point.
  function grouped(clean) {
    var m = /^(-?)(\d+)(\.\d*)?$/.exec(clean);
    if (!m) return null;
    return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '');
  }

  function refresh(input, keepCaret) {
    var raw = input.value;
    var clean = raw.replace(/[,，¥￥\s\u3000]/g, '');
    var words = input.closest('.affix-input').parentNode.querySelector('.money-words');
    if (words) words.textContent = clean ? capitals(clean) : '';
    var nice = grouped(clean);
    if (nice === null || nice === raw) return;
    // Keep the caret after the same number of digits.
    var caret = keepCaret ? input.selectionStart : raw.length;
    var digitsBefore = raw.slice(0, caret).replace(/[^\d.]/g, '').length;
    input.value = nice;
    if (!keepCaret) return;
    var pos = 0;
    for (var seen = 0; pos < nice.length && seen < digitsBefore; pos++) {
      if (/[\d.]/.test(nice[pos])) seen++;
    }
    input.setSelectionRange(pos, pos);
  }

  document.querySelectorAll('.affix-input input[inputmode="decimal"]').forEach(function (input) {
    var words = document.createElement('p');
    words.className = 'money-words small muted';
    words.setAttribute('aria-live', 'polite');
    input.closest('.affix-input').insertAdjacentElement('afterend', words);
    refresh(input, false);
    input.addEventListener('input', function () { refresh(input, true); });
  });
})();
