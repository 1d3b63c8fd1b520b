// Progressive enhancement only: every page works without this file.
// Cascading region selects: <select data-region="province|city|county" data-region-group="g">.
// Choosing a province loads its cities from /api/regions?parent=CODE, and so on.
(function () {
  "use strict";
  function load(parent, select, placeholder) {
    var url = "/api/regions" + (parent ? "?parent=" + encodeURIComponent(parent) : "");
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      var items;
      try { items = JSON.parse(xhr.responseText); } catch (e) { return; }
      // Keep the page's own first option ("全部" on filters, "请选择市" on forms).
      var first = select.options.length ? select.options[0].textContent : placeholder;
      select.innerHTML = "";
      var empty = document.createElement("option");
      empty.value = "";
      empty.textContent = first;
      select.appendChild(empty);
      items.forEach(function (r) {
        var o = document.createElement("option");
        o.value = r.code;
        o.textContent = r.name;
        select.appendChild(o);
      });
      select.disabled = items.length === 0;
    };
    xhr.send();
  }
  function wire(group) {
    var sel = function (level) {
      return document.querySelector('select[data-region="' + level + '"][data-region-group="' + group + '"]');
    };
    var province = sel("province"), city = sel("city"), county = sel("county");
    if (!province || !city) { return; }
    province.addEventListener("change", function () {
      load(province.value, city, "请选择市");
      if (county) {
        var label = county.options.length ? county.options[0].textContent : "请选择县（区）";
        county.innerHTML = "";
        var o = document.createElement("option");
        o.value = "";
        o.textContent = label;
        county.appendChild(o);
      }
    });
    if (county) {
      city.addEventListener("change", function () { load(city.value, county, "请选择县（区）"); });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var groups = {};
    document.querySelectorAll("select[data-region-group]").forEach(function (s) {
      groups[s.getAttribute("data-region-group")] = true;
    });
    Object.keys(groups).forEach(wire);
    // Forms that submit only to step the region selects on the server are not needed with JS.
    document.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
    // A form shown again with errors: the page already opened at its summary (an anchor);
    // put the cursor in the first faulty field, scrolled into view under the summary.
    // The browser scrolls to the anchor (and resets the focus) while loading: focus after it.
    if (document.getElementById("error-summary")) {
      var focusFirst = function () {
        var first = document.querySelector('[aria-invalid="true"], .has-error input, .has-error select, .has-error textarea');
        if (first && typeof first.focus === "function") {
          first.scrollIntoView({ block: "center" });
          first.focus({ preventScroll: true });
        }
      };
      if (document.readyState === "complete") {
        setTimeout(focusFirst, 0);
      } else {
        window.addEventListener("load", function () { setTimeout(focusFirst, 0); });
      }
    }
    // The resend countdown on the code page: counts down and disappears at zero (without
    // JS the text stays and an early click only shows the same wait again).
    var wait = document.getElementById("resend-wait");
    if (wait) {
      var left = parseInt(wait.getAttribute("data-countdown"), 10) || 0;
      var tick = function () {
        if (left <= 0) { wait.textContent = ""; return; }
        wait.textContent = "（" + left + " 秒后可重新发送）";
        left -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    }
    // A link in the summary puts the cursor in its field, not only the view.
    document.querySelectorAll("#error-summary a[href^='#f-']").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (!target) { return; }
        var input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
        e.preventDefault();
        target.scrollIntoView({ block: "center" });
        if (input) { input.focus({ preventScroll: true }); }
      });
    });
  });
})();
