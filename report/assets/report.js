(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  var table = document.getElementById("items");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var buttons = Array.prototype.slice.call(document.querySelectorAll(".filters button[data-key]"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty");
  var state = { key: "all", q: "" };

  function apply() {
    var n = 0;
    rows.forEach(function (r, i) {
      var ok = (state.key === "all" || r.getAttribute("data-key") === state.key) &&
        (state.q === "" || texts[i].indexOf(state.q) !== -1);
      r.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = "Showing " + n + " of " + rows.length + (rows.length === 1 ? " item" : " items");
    empty.hidden = n !== 0;
  }

  function choose(key) {
    state.key = key;
    buttons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-key") === key));
    });
    apply();
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { choose(b.getAttribute("data-key")); });
  });
  search.addEventListener("input", function () {
    state.q = search.value.trim().toLowerCase();
    apply();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== search && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      search.focus();
    } else if (e.key === "Escape" && document.activeElement === search) {
      search.value = "";
      state.q = "";
      apply();
    }
  });

  // Sorting: by rank (label or transition order) or by id; each click on a
  // header flips the direction. Ties keep the file's order.
  var original = new Map();
  rows.forEach(function (r, i) { original.set(r, i); });
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-sort]"));
  headers.forEach(function (th) {
    var btn = th.querySelector("button");
    btn.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var sorted = rows.slice().sort(function (a, b) {
        var c = key === "id" ?
          collator.compare(a.getAttribute("data-id"), b.getAttribute("data-id")) :
          Number(a.getAttribute("data-rank")) - Number(b.getAttribute("data-rank"));
        return c !== 0 ? dir * c : original.get(a) - original.get(b);
      });
      var frag = document.createDocumentFragment();
      sorted.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
    });
  });

  var fromHash = "";
  try {
    fromHash = decodeURIComponent(location.hash.replace(/^#/, ""));
  } catch (e) {
    fromHash = ""; // a malformed hash: start unfiltered
  }
  if (buttons.some(function (b) { return b.getAttribute("data-key") === fromHash; })) {
    choose(fromHash);
  } else {
    apply();
  }
})();
