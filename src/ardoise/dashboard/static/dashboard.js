// Ardoise dashboard: filters apply on change (the forms work without JavaScript too),
// and the search box suggests territories and schools from /api/v1/territoires.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () {
      // a new indicator has its own years: let the server show its latest one
      var year = el.name === "indicateur" && el.form.elements.namedItem("annee");
      if (year) { year.disabled = true; }
      el.form.submit();
    });
  });
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (!input || !list) { return; }
  var timer = null;
  var urls = {};
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var text = input.value.trim();
    if (urls[text]) { window.location.href = urls[text]; return; }
    if (text.length < 2) { return; }
    timer = setTimeout(function () {
      fetch("/api/v1/territoires?limit=8&q=" + encodeURIComponent(text))
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          list.textContent = "";
          (data.results || []).forEach(function (r) {
            var opt = document.createElement("option");
            opt.value = r.libelle;
            urls[r.libelle] = r.niveau === "etablissement" ? "/etablissements/" + r.code
              : "/territoires/" + r.niveau + "/" + r.code;
            list.appendChild(opt);
          });
        })
        .catch(function () { /* suggestions are optional: the form still works */ });
    }, 150);
  });
})();
// Sortable tables: each column header becomes a button; aria-sort says the order (the server's
// order without JavaScript). Numbers written in French (« 1 234,5 ») sort as numbers.
(function () {
  "use strict";
  function key(text) {
    var t = text.replace(/[\s\u202f\u00a0]/g, "").replace(",", ".").replace(/[^0-9.\-].*$/, "");
    return t !== "" && !isNaN(Number(t)) ? Number(t) : null;
  }
  document.querySelectorAll(".ar-table table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2 || !table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ar-sort";
      button.textContent = th.textContent;
      button.title = "Trier par cette colonne";
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col] ? a.cells[col].textContent.trim() : "";
          var y = b.cells[col] ? b.cells[col].textContent.trim() : "";
          var nx = key(x), ny = key(y), order;
          if (nx === null && ny === null) { order = x.localeCompare(y, "fr"); }
          else if (nx === null) { return 1; } else if (ny === null) { return -1; }
          else { order = nx - ny; }
          return up ? order : -order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
