// Breakeven's page script: live results as you type. The page works without it (a plain GET form);
// with it, edits fetch `?partial=1` for the same query, swap in the results, the messages beside
// fields and the readouts, and keep the address bar a permalink (history.replaceState).
(function () {
  "use strict";

  const form = document.getElementById("scenario-form");
  if (!form || !window.fetch || !window.URLSearchParams) return;

  const DEBOUNCE_MS = 350;
  const status = document.getElementById("live-status");
  let timer = null;
  let controller = null;
  let sequence = 0;
  let catalogPromise = null;
  let shown = null; // the query whose results the page shows
  // Messages wait until a field has been edited, or the form submitted: a page opened empty does
  // not greet the user with "required" on every field. A page opened with a query shows them all.
  const touched = new Set();
  let submitted = window.location.search.length > 1;
  function showsErrorFor(key) {
    if (submitted || touched.has(key)) return true;
    // An option's own message (e.g. "sh.1") once one of its fields has been edited.
    for (const name of touched) if (name.startsWith(key + ".")) return true;
    return false;
  }

  // The query the form stands for: no blanks, no values equal to their default.
  function queryString() {
    const params = new URLSearchParams();
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      const value = el.value;
      if (value.trim() === "") continue;
      if (el.dataset.default !== undefined && value.trim() === el.dataset.default) continue;
      params.append(el.name, value);
    }
    return params.toString();
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(update, delay);
  }

  async function update(force) {
    clearTimeout(timer);
    const query = queryString();
    if (query === shown && force !== true) return;
    shown = query;
    history.replaceState(null, "", query ? "/?" + query : "/");
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = ++sequence;
    const results = document.getElementById("results");
    if (results) results.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/?" + (query ? query + "&" : "") + "partial=1", {
        signal: controller.signal,
        headers: { Accept: "text/html" },
      });
      const html = await response.text();
      if (mine !== sequence) return;
      apply(html);
      // Tell screen readers what changed: the new verdict, or how many fields need attention.
      const verdict = document.getElementById("verdict-text");
      const problems = document.querySelector("#problems h3");
      if (status) status.textContent = verdict ? verdict.textContent : problems ? problems.textContent : "";
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = null;
      const message = document.getElementById("e-form");
      if (message) message.textContent = "Could not update the results; press Compare costs to try again.";
    } finally {
      const current = document.getElementById("results");
      if (mine === sequence && current) current.removeAttribute("aria-busy");
    }
  }

  function apply(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.getElementById("results");
    const results = document.getElementById("results");
    if (fresh && results) results.replaceWith(document.importNode(fresh, true));
    const problems = document.getElementById("problems");
    if (problems) {
      for (const item of problems.querySelectorAll("li[data-key]")) {
        if (!showsErrorFor(item.dataset.key)) item.remove();
      }
      const left = problems.querySelectorAll("li").length;
      const heading = problems.querySelector("h3");
      if (left === 0) {
        problems.remove();
        const empty = document.getElementById("empty-results");
        if (empty) empty.hidden = false;
      }
      else if (heading) heading.textContent = left + (left === 1 ? " field needs" : " fields need") + " attention";
    }

    for (const el of form.querySelectorAll("[data-error]")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
    for (const item of doc.querySelectorAll("[data-error-for]")) {
      const key = item.dataset.errorFor;
      const message = document.getElementById("e-" + key);
      if (!message || !showsErrorFor(key)) continue;
      message.textContent = item.textContent;
      const input = document.getElementById("f-" + key);
      if (input) input.setAttribute("aria-invalid", "true");
      const holder = message.closest(".field, .option, .section, .pricing-switch");
      if (holder) holder.classList.add("has-error");
      const details = message.closest("details");
      if (details) details.open = true;
    }

    for (const el of form.querySelectorAll("[data-readout]")) el.textContent = "";
    for (const item of doc.querySelectorAll("[data-readout-for]")) {
      const target = document.getElementById("ro-" + item.dataset.readoutFor);
      if (target) target.textContent = item.textContent;
    }
    for (const item of doc.querySelectorAll("[data-row-name]")) {
      const legend = document.querySelector('[data-row="' + item.dataset.rowName + '"] > legend');
      const text = item.textContent.trim();
      if (legend && text && legend.lastChild) legend.lastChild.textContent = " " + text;
    }

    const twin = doc.getElementById("live-json-href");
    let link = document.getElementById("json-twin");
    if (twin && twin.dataset.href) {
      if (!link) {
        link = document.createElement("link");
        link.rel = "alternate";
        link.type = "application/json";
        link.id = "json-twin";
        document.head.appendChild(link);
      }
      link.href = twin.dataset.href;
    } else if (link) {
      link.remove();
    }
    for (const preset of document.querySelectorAll("[data-preset]")) preset.removeAttribute("aria-current");
  }

  // Rows: add from the <template>, remove in place; both without a round trip.
  function nextIndex() {
    let max = -1;
    for (const row of form.querySelectorAll("[data-row]")) {
      max = Math.max(max, Number(row.dataset.row.split(".")[1]));
    }
    return max + 1;
  }

  function addRow(kind) {
    const template = document.getElementById("tpl-" + kind);
    const container = form.querySelector('.rows[data-kind="' + kind + '"]');
    if (!template || !container) return;
    const index = String(nextIndex());
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split("__i__").join(index);
    const row = holder.firstElementChild;
    container.appendChild(row);
    const first = row.querySelector("input, select");
    if (first) first.focus();
  }

  form.addEventListener("click", function (event) {
    const button = event.target.closest("button[name]");
    if (!button) return;
    if (button.name === "add") {
      event.preventDefault();
      addRow(button.value);
    } else if (button.name === "remove") {
      event.preventDefault();
      const row = button.closest("[data-row]");
      const section = row && row.closest(".section");
      if (row) row.remove();
      const add = section && section.querySelector("button.add");
      if (add) add.focus();
      schedule(0);
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitted = true;
    update(true);
  });

  form.addEventListener("input", function (event) {
    touched.add(event.target.name);
    if (event.target.matches("input[type=text]")) schedule(DEBOUNCE_MS);
  });

  form.addEventListener("change", function (event) {
    const target = event.target;
    touched.add(target.name);
    if (target.name && target.name.endsWith(".provider")) useProviderList(target);
    if (target.name && target.name.endsWith(".gpu")) filterOffers(target);
    // A catalog model or GPU picked over a custom one from the link replaces it.
    if (target.tagName === "SELECT" && target.value && /\.(model|gpu)$/.test(target.name)) {
      for (const hidden of form.querySelectorAll('input[type=hidden][name^="' + target.name + '."]')) hidden.remove();
    }
    schedule(target.matches("input[type=text]") ? DEBOUNCE_MS : 50);
  });

  // The model box of an API option searches the chosen provider's models (all of them come from
  // /api/v1/catalog/api-models, loaded once, the first time a provider is picked).
  function loadCatalog() {
    if (!catalogPromise) {
      catalogPromise = fetch("/api/v1/catalog/api-models")
        .then(function (response) { return response.json(); })
        .catch(function () { catalogPromise = null; return { items: [] }; });
    }
    return catalogPromise;
  }

  function money(value) {
    return "$" + (value >= 1 ? value.toFixed(2) : String(Number(value.toPrecision(3))));
  }

  async function useProviderList(select) {
    const row = select.closest("[data-row]");
    const model = row && row.querySelector('input[name$=".model"]');
    if (!model) return;
    const provider = select.value;
    const id = "dl-" + (provider || "featured");
    if (!document.getElementById(id)) {
      const catalog = await loadCatalog();
      const list = document.createElement("datalist");
      list.id = id;
      for (const entry of catalog.items || []) {
        if (entry.provider !== provider) continue;
        const option = document.createElement("option");
        option.value = entry.model;
        option.label = entry.provider_name + " · " + entry.name + " · " + money(entry.input_per_mtok) +
          " / " + money(entry.output_per_mtok);
        list.appendChild(option);
      }
      form.appendChild(list);
    }
    model.setAttribute("list", id);
  }

  // A rental offer must be for the chosen GPU: show only that GPU's offers.
  function filterOffers(gpuSelect) {
    const row = gpuSelect.closest("[data-row]");
    const offers = row && row.querySelector('select[name$=".offer"]');
    if (!offers) return;
    for (const group of offers.querySelectorAll("optgroup")) {
      group.hidden = Boolean(gpuSelect.value) && group.dataset.gpu !== gpuSelect.value;
    }
  }

  // On a phone, a page with results shows them first (static/app.css) under "Edit the scenario": the
  // link jumps to the form and puts focus in its first field, so typing can start at once (issue 16).
  const edit = document.getElementById("edit-scenario");
  if (edit) {
    edit.addEventListener("click", function (event) {
      event.preventDefault();
      form.scrollIntoView();
      const first = form.querySelector("input:not([type=hidden]):not([tabindex='-1']), select");
      if (first) first.focus({ preventScroll: true });
    });
  }

  for (const select of form.querySelectorAll('select[name$=".gpu"]')) filterOffers(select);
  shown = queryString();
  document.documentElement.classList.add("js");
})();

// Copy-to-clipboard for the embed snippets (the textarea stays selectable without JS).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => { field.select(); document.execCommand("copy"); done(); });
  } else {
    field.select();
    document.execCommand("copy");
    done();
  }
});
