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
