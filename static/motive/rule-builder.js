/* The rule builder: condition rows and groups kept in sync with the definition's JSON.
 *
 * The JSON textarea (the "JSON" tab) is the form field and the single source of truth
 * that is submitted; this script renders it as rows, and writes it back on every change.
 * Without JavaScript the textarea alone works. After each change the script fires a
 * `rule-change` event on <body>, which the preview panel (htmx) listens to.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-rule-builder]");
  if (!root) return;
  var textarea = document.getElementById(root.getAttribute("data-target"));
  var vocab = JSON.parse(document.getElementById("builder-vocabulary").textContent);
  var segmentOptions = JSON.parse(document.getElementById("builder-segments").textContent);
  var rowsEl = root.querySelector("[data-rows]");
  var statusEl = root.querySelector("[data-status]");
  var tabs = document.querySelectorAll("[data-tab]");
  var MAX_DEPTH = 3;
  var model = null;
  var uid = 0;

  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function select(label, options, value, onchange, extra) {
    var s = el("select", Object.assign({ "aria-label": label, onchange: onchange }, extra || {}));
    options.forEach(function (opt) {
      var o = el("option", { value: opt[0], text: opt[1] });
      if (String(opt[0]) === String(value)) o.selected = true;
      s.appendChild(o);
    });
    return s;
  }

  function input(label, value, oninput, extra) {
    var i = el("input", Object.assign({ type: "text", "aria-label": label, oninput: oninput }, extra || {}));
    i.value = value === undefined || value === null ? "" : value;
    return i;
  }

  /* --- values: typed like JSON (5 is not "5"), shown as a person types them ---------- */

  function typedOne(text) {
    var t = text.trim();
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
    if (t === "true") return true;
    if (t === "false") return false;
    if (t.length > 1 && t[0] === '"' && t[t.length - 1] === '"') {
      try { return JSON.parse(t); } catch (e) { return t; }
    }
    return t;
  }

  function typedValue(text, op) {
    if (op === "in") {
      var t = text.trim();
      if (t[0] === "[") { try { return JSON.parse(t); } catch (e) { return t; } }
      return t === "" ? [] : t.split(",").map(typedOne);
    }
    return typedOne(text);
  }

  function shownOne(value) {
    if (typeof value === "string") {
      return typedOne(value) === value && value.trim() === value ? value : JSON.stringify(value);
    }
    return value === undefined ? "" : JSON.stringify(value);
  }

  function shownValue(value) {
    if (Array.isArray(value)) return value.map(shownOne).join(", ");
    return shownOne(value);
  }

  function numberOrText(text) {
    var t = String(text).trim();
    if (t === "") return null;
    var n = Number(t);
    return isFinite(n) ? n : t;
  }

  /* --- JSON <-> model ----------------------------------------------------------------- */

  function toModel(node, negate) {
    if (!node || typeof node !== "object" || Array.isArray(node)) throw new Error("not an object");
    if ("not" in node) return toModel(node.not, !negate);
    if (Array.isArray(node.all) || Array.isArray(node.any)) {
      var mode = Array.isArray(node.all) ? "all" : "any";
      return { type: "group", mode: mode, negate: !!negate, children: node[mode].map(function (c) { return toModel(c, false); }) };
    }
    if ("event" in node) {
      var value = node.value || { gte: 1 };
      var cmp = Object.keys(value)[0] || "gte";
      var operand = value[cmp];
      return {
        type: "event", negate: !!negate, name: node.event, agg: node.agg || "count",
        property: node.property || "", cmp: cmp,
        v1: cmp === "between" ? (operand || [])[0] : operand,
        v2: cmp === "between" ? (operand || [])[1] : "",
        within: node.within_days === undefined ? "" : node.within_days,
        by: node.by === "account",
        where: (node.where || []).map(function (f) {
          return { property: f.property || "", op: f.op || "eq", value: shownValue(f.value) };
        })
      };
    }
    if ("trait" in node || "account_trait" in node) {
      var type = "trait" in node ? "trait" : "account_trait";
      return { type: type, negate: !!negate, key: node[type], op: node.op || "eq", value: shownValue(node.value) };
    }
    if ("segment" in node) return { type: "segment", negate: !!negate, id: node.segment };
    throw new Error("unknown condition");
  }

  function toJson(m) {
    var out;
    if (m.type === "group") {
      out = {};
      out[m.mode] = m.children.map(toJson);
    } else if (m.type === "event") {
      out = { event: m.name };
      if (m.agg !== "count") out.agg = m.agg;
      if (vocab.property_aggregates.indexOf(m.agg) >= 0) out.property = m.property;
      var v1 = numberOrText(m.v1);
      if (m.cmp === "between") out.value = { between: [v1, numberOrText(m.v2)] };
      else if (!(m.cmp === "gte" && v1 === 1)) { out.value = {}; out.value[m.cmp] = v1; }
      var within = numberOrText(m.within);
      if (within !== null) out.within_days = within;
      if (m.where.length) {
        out.where = m.where.map(function (f) {
          var filter = { property: f.property, op: f.op };
          if (vocab.valueless_ops.indexOf(f.op) < 0) filter.value = typedValue(f.value, f.op);
          return filter;
        });
      }
      if (m.by) out.by = "account";
    } else if (m.type === "segment") {
      out = { segment: Number(m.id) };
    } else {
      out = {};
      out[m.type] = m.key;
      out.op = m.op;
      if (vocab.valueless_ops.indexOf(m.op) < 0) out.value = typedValue(m.value, m.op);
    }
    return m.negate ? { not: out } : out;
  }

  function blank(type) {
    if (type === "event") return { type: "event", negate: false, name: "", agg: "count", property: "", cmp: "gte", v1: 1, v2: "", within: "", by: false, where: [] };
    if (type === "segment") return { type: "segment", negate: false, id: segmentOptions.length ? segmentOptions[0].id : "" };
    if (type === "group") return { type: "group", mode: "any", negate: false, children: [blank("event")] };
    return { type: type, negate: false, key: "", op: "eq", value: "" };
  }

  /* --- sync ------------------------------------------------------------------------- */

  function changed() {
    textarea.value = JSON.stringify(toJson(model), null, 2);
    document.body.dispatchEvent(new CustomEvent("rule-change"));
  }

  function rerender() { render(); changed(); }

  function setter(obj, key, rebuild) {
    return function (event) {
      var target = event.target;
      obj[key] = target.type === "checkbox" ? target.checked : target.value;
      if (rebuild) rerender(); else changed();
    };
  }

  /* --- rendering -------------------------------------------------------------------- */

  function notToggle(m, label) {
    var id = nextId("not");
    return el("label", { class: "rule-not", for: id }, [
      el("input", { type: "checkbox", id: id, checked: m.negate, onchange: setter(m, "negate", m.type === "group") }),
      document.createTextNode(label)
    ]);
  }

  function removeButton(list, index, label) {
    return el("button", {
      type: "button", class: "button button-small rule-remove", "aria-label": label, text: "Remove",
      onclick: function () { list.splice(index, 1); rerender(); }
    });
  }

  function labelled(text, control, cls) {
    var id = nextId("f");
    control.id = id;
    control.removeAttribute("aria-label");
    return el("div", { class: "rule-field" + (cls ? " " + cls : "") }, [el("label", { for: id, text: text }), control]);
  }

  function eventFields(m) {
    var needsProperty = vocab.property_aggregates.indexOf(m.agg) >= 0;
    var fields = el("div", { class: "rule-fields" }, [
      labelled("Event name", input("Event name", m.name, setter(m, "name"), { list: "event-names", autocomplete: "off", placeholder: "Pricing Page Viewed" }), "rule-field-wide"),
      labelled("Measure", select("Measure", vocab.aggregates, m.agg, setter(m, "agg", true))),
      needsProperty ? labelled("Property", input("Property", m.property, setter(m, "property"), { list: "property-keys", autocomplete: "off", placeholder: "amount" })) : null,
      labelled("Comparator", select("Comparator", vocab.comparators, m.cmp, setter(m, "cmp", true))),
      labelled(m.cmp === "between" ? "From" : "Value", input("Value", m.v1, setter(m, "v1"), { inputmode: "decimal", class: "rule-number" })),
      m.cmp === "between" ? labelled("To", input("To", m.v2, setter(m, "v2"), { inputmode: "decimal", class: "rule-number" })) : null,
      labelled("In the last (days)", input("Within days", m.within, setter(m, "within"), { inputmode: "numeric", class: "rule-number", placeholder: "all time" }))
    ]);
    var byId = nextId("by");
    var extras = el("div", { class: "rule-extras" }, [
      el("label", { class: "rule-check", for: byId }, [
        el("input", { type: "checkbox", id: byId, checked: m.by, onchange: setter(m, "by") }),
        document.createTextNode("Count anyone in their account")
      ])
    ]);
    var filters = el("ol", { class: "rule-filters", "aria-label": "Filters" });
    m.where.forEach(function (f, index) {
      var valueless = vocab.valueless_ops.indexOf(f.op) >= 0;
      filters.appendChild(el("li", { class: "rule-filter" }, [
        el("span", { class: "muted", text: index === 0 ? "where" : "and" }),
        input("Filter property", f.property, setter(f, "property"), { list: "property-keys", autocomplete: "off", placeholder: "plan or $hour" }),
        select("Filter operator", vocab.ops, f.op, setter(f, "op", true)),
        valueless ? null : input("Filter value", f.value, setter(f, "value"), { placeholder: f.op === "in" ? "a, b, c" : "value" }),
        removeButton(m.where, index, "Remove filter " + (index + 1))
      ]));
    });
    var addFilter = el("button", {
      type: "button", class: "button button-small", text: "Add filter",
      onclick: function () { m.where.push({ property: "", op: "eq", value: "" }); rerender(); }
    });
    return [fields, filters, el("div", { class: "rule-extras" }, [addFilter]), extras];
  }

  function traitFields(m) {
    var valueless = vocab.valueless_ops.indexOf(m.op) >= 0;
    var account = m.type === "account_trait";
    return [el("div", { class: "rule-fields" }, [
      labelled(account ? "Account trait" : "Trait", input(account ? "Account trait" : "Trait", m.key, setter(m, "key"), { list: account ? "account-trait-keys" : "trait-keys", autocomplete: "off", placeholder: account ? "employees" : "plan" }), "rule-field-wide"),
      labelled("Operator", select("Operator", vocab.ops, m.op, setter(m, "op", true))),
      valueless ? null : labelled("Value", input("Trait value", m.value, setter(m, "value"), { placeholder: m.op === "in" ? "a, b, c" : "value" }), "rule-field-wide")
    ])];
  }

  function segmentFields(m) {
    if (!segmentOptions.length) return [el("p", { class: "muted", text: "No other segments to refer to yet." })];
    return [el("div", { class: "rule-fields" }, [
      labelled("Segment", select("Segment", segmentOptions.map(function (s) { return [s.id, s.name]; }), m.id, setter(m, "id")), "rule-field-wide")
    ])];
  }

  var TYPES = [["event", "Did an event"], ["trait", "Has a trait"], ["account_trait", "Account has a trait"], ["segment", "Is in a segment"]];

  function conditionRow(list, index, path) {
    var m = list[index];
    var head = el("div", { class: "rule-row-head" }, [
      el("span", { class: "rule-number-label", text: String(index + 1) + "." }),
      notToggle(m, "Not"),
      select("Condition type", TYPES, m.type, function (event) {
        var fresh = blank(event.target.value);
        fresh.negate = m.negate;
        list[index] = fresh;
        rerender();
      }),
      removeButton(list, index, "Remove condition " + (index + 1))
    ]);
    var body = m.type === "event" ? eventFields(m) : m.type === "segment" ? segmentFields(m) : traitFields(m);
    return el("li", { class: "rule-row", "data-path": path }, [head].concat(body));
  }

  function groupBlock(m, path, depth, list, index) {
    // Paths as the server's errors spell them: a negated group's children sit under "not".
    var inner = m.negate ? (path ? path + ".not" : "not") : path;
    var childPath = function (i) { return (inner ? inner + "." : "") + m.mode + "[" + i + "]"; };
    var legend = el("legend", { class: "rule-legend" }, [
      document.createTextNode(depth === 0 ? "People who match " : "Group: match "),
      select(depth === 0 ? "Match all or any" : "Group matches all or any", [["all", "all"], ["any", "any"]], m.mode, setter(m, "mode", true)),
      document.createTextNode(" of these")
    ]);
    var items = el("ol", { class: "rule-list" });
    m.children.forEach(function (child, i) {
      if (child.type === "group") items.appendChild(el("li", { class: "rule-row rule-row-group", "data-path": childPath(i) }, [groupBlock(child, childPath(i), depth + 1, m.children, i)]));
      else items.appendChild(conditionRow(m.children, i, childPath(i)));
    });
    if (!m.children.length) items.appendChild(el("li", { class: "rule-empty muted", text: "No conditions yet: add one below." }));
    var actions = el("div", { class: "rule-actions" }, [
      el("button", { type: "button", class: "button button-small", text: "Add condition", onclick: function () { m.children.push(blank("event")); rerender(); } }),
      depth + 1 < MAX_DEPTH ? el("button", { type: "button", class: "button button-small", text: "Add group", onclick: function () { m.children.push(blank("group")); rerender(); } }) : null
    ]);
    var headExtras = el("div", { class: "rule-group-head" }, [
      depth === 0 ? notToggle(m, "Exclude everyone who matches (NOT)") : notToggle(m, "Not"),
      list ? removeButton(list, index, "Remove group") : null
    ]);
    return el("fieldset", { class: "rule-group" + (depth ? " rule-group-nested" : "") }, [legend, headExtras, items, actions]);
  }

  function render() {
    rowsEl.textContent = "";
    rowsEl.appendChild(groupBlock(model, "", 0, null, 0));
  }

  /* --- loading, tabs and errors ---------------------------------------------------- */

  function load() {
    var parsed;
    try { parsed = JSON.parse(textarea.value || '{"all": []}'); } catch (e) {
      statusEl.textContent = "The JSON has a syntax error; fix it on the JSON tab to use the builder.";
      return false;
    }
    try {
      var m = toModel(parsed, false);
      model = m.type === "group" ? m : { type: "group", mode: "all", negate: false, children: [m] };
    } catch (e) {
      statusEl.textContent = "This definition cannot be shown as rows; edit it on the JSON tab.";
      return false;
    }
    statusEl.textContent = "";
    render();
    return true;
  }

  function show(which) {
    if (which === "builder" && !load()) which = "json";
    tabs.forEach(function (tab) {
      var active = tab.getAttribute("data-tab") === which;
      tab.setAttribute("aria-selected", active ? "true" : "false");
      tab.tabIndex = active ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !active;
    });
  }

  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { show(tab.getAttribute("data-tab")); });
  });
  textarea.addEventListener("input", function () {
    document.body.dispatchEvent(new CustomEvent("rule-change"));
  });

  // Mark the row a validation error points into (the longest data-path that prefixes it).
  document.body.addEventListener("htmx:afterSwap", function () {
    var marker = document.querySelector("[data-error-path]");
    var path = marker ? marker.getAttribute("data-error-path") : "";
    var best = null;
    root.querySelectorAll(".rule-row").forEach(function (row) {
      row.classList.remove("rule-row-invalid");
      row.removeAttribute("aria-invalid");
      var p = row.getAttribute("data-path");
      if (path && (path === p || path.indexOf(p + ".") === 0 || path.indexOf(p + "[") === 0)) {
        if (!best || p.length > best.getAttribute("data-path").length) best = row;
      }
    });
    if (best) { best.classList.add("rule-row-invalid"); best.setAttribute("aria-invalid", "true"); }
  });

  // "No 'Session Started' events — did you mean Session Start?": a click puts that name
  // wherever the rule used the one never received.
  function renamed(node, from, to) {
    if (Array.isArray(node)) return node.map(function (child) { return renamed(child, from, to); });
    if (!node || typeof node !== "object") return node;
    var out = {};
    Object.keys(node).forEach(function (key) {
      var named = key === "event" || key === "trait" || key === "account_trait";
      out[key] = named && node[key] === from ? to : renamed(node[key], from, to);
    });
    return out;
  }
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-replace-name]") : null;
    if (!button) return;
    var parsed;
    try { parsed = JSON.parse(textarea.value); } catch (e) { return; }
    var next = renamed(parsed, button.getAttribute("data-replace-name"), button.getAttribute("data-with"));
    textarea.value = JSON.stringify(next, null, 2);
    if (load()) changed();
    else document.body.dispatchEvent(new CustomEvent("rule-change"));
  });

  document.querySelectorAll("[data-js-only]").forEach(function (node) { node.hidden = false; });
  show("builder");
})();
