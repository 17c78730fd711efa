// Shows how far an import's check or commit is: polls GET /api/v1/imports/{id} once a second
// and moves the progress bar; when the check or the commit ends, reloads the page so the
// server shows the outcome (the commit button, the errors, or the failure and its reason).
// Without JavaScript the page refreshes itself instead (<noscript> meta refresh).
(function () {
  'use strict';
  var box = document.getElementById('import');
  if (!box) return;
  var id = box.getAttribute('data-import');
  var status = box.getAttribute('data-status');
  var running = box.getAttribute('data-running') === '1';
  var bar = document.getElementById('import-bar');
  var count = document.getElementById('import-count');

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) {
      return k in values ? String(values[k]) : m;
    });
  }

  function poll() {
    fetch('/api/v1/imports/' + encodeURIComponent(id), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (i) {
        if (!i) { setTimeout(poll, 3000); return; }
        var p = i.progress;
        if (i.status !== status || (running && !p) || (!running && p)) {
          window.location.reload();
          return;
        }
        if (p && bar && count) {
          var committing = p.phase === 'committing';
          bar.max = p.total || 1;
          bar.value = committing ? p.committed : p.checked;
          count.textContent = committing
            ? fill(box.getAttribute('data-committed-text'), { committed: p.committed, rows: p.total })
            : fill(box.getAttribute('data-checked-text'), { checked: p.checked, rows: p.total });
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
