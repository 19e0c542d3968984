// Draw each chart from its spec (built on the server) with vega-embed: Vega, compiled by
// the server, or Vega-Lite on a server without vl-convert (the page then loads vega-lite).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var mode = /vega-lite/.test(spec.$schema || "") ? "vega-lite" : "vega";
      // Vega replaces the container's role and name (« Vega visualization »): keep ours.
      var role = el.getAttribute("role"), label = el.getAttribute("aria-label");
      vegaEmbed(el, spec, { mode: mode, renderer: "svg", actions: false, tooltip: true })
        .then(function (result) {
          if (role) { el.setAttribute("role", role); }
          if (label) { el.setAttribute("aria-label", label); }
          el.removeAttribute("aria-roledescription");
          el.setAttribute("data-drawn", "1");
          // a tap shows a mark's tooltip too (phones have no hover): Vega only shows it on
          // pointer moves; a school point (href) opens its page instead
          var view = result.view, show = view.tooltip();
          if (show) {
            view.addEventListener("click", function (event, item) {
              var value = item && item.tooltip;
              if (item && item.href) { return; }
              show(view, event, item, value == null ? null : value);
            });
          }
          var svg = el.querySelector("svg");
          if (svg) { svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false"); }
          window.dispatchEvent(new CustomEvent("ardoise:chart", { detail: el.id }));
          return result;
        })
        .catch(function (err) {
          el.setAttribute("data-drawn", "erreur");
          var p = document.createElement("p");
          p.className = "fr-text--sm";
          p.textContent = "Le graphique n'a pas pu être dessiné ; le tableau donne les valeurs.";
          el.appendChild(p);
          if (window.console) { console.warn(err); }
        });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
