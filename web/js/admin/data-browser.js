// The console's Data section (/admin/data…): the four schemas' tables with their row counts, and
// one table at a time as a paged grid (sorted by a column, filtered per column, foreign keys and
// the rows that point back as links, the whole view as CSV). Read-only for admins and analysts alike.
// Every view is a URL (/admin/data/{schema}/{table}?page=…&sort=…&filter=…), so views are
// linkable and the back button works; the server pages, the browser never holds more than a page.
import { api, el, humanize, integer, showError } from "../common.js";

/** Page sizes offered (the api takes at most 200). */
const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 50;
/** What each filter operation is called in the form and the active filters. */
const OP_LABELS = { eq: "equals", contains: "contains", range: "between" };
/** Longer values (JSON mostly) show their start, with the whole value a click away. */
const LONG_VALUE = 120;
const NUMERIC = new Set(["integer", "decimal"]);

/** The view's state as its URL says it: the page, its size, the sort and the filters. */
export function parseQuery(search) {
  const params = new URLSearchParams(search);
  const positive = (name, fallback) => {
    const n = Number(params.get(name));
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const order = params.get("order");
  return {
    page: positive("page", 1),
    pageSize: positive("page_size", DEFAULT_PAGE_SIZE),
    sort: params.get("sort") || null,
    order: order === "asc" || order === "desc" ? order : null,
    // `column:op:value`; the value is everything after the second colon (it may hold colons).
    filters: params.getAll("filter").map((text) => {
      const [column = "", op = "", ...rest] = text.split(":");
      return { column, op, value: rest.join(":") };
    }),
  };
}

/** The query string of a state, as the page's URL and the api both take it. */
export function buildQuery(state) {
  const params = new URLSearchParams();
  if (state.page > 1) params.set("page", String(state.page));
  if (state.pageSize !== DEFAULT_PAGE_SIZE) params.set("page_size", String(state.pageSize));
  if (state.sort) params.set("sort", state.sort);
  if (state.sort && state.order) params.set("order", state.order);
  for (const f of state.filters) params.append("filter", `${f.column}:${f.op}:${f.value}`);
  return params.toString();
}

const tablePath = (schema, table) => `/admin/data/${encodeURIComponent(schema)}/${encodeURIComponent(table)}`;
const apiPath = (schema, table) => `/api/admin/data/${encodeURIComponent(schema)}/${encodeURIComponent(table)}`;
const href = (schema, table, state) => {
  const query = buildQuery(state);
  return `${tablePath(schema, table)}${query ? `?${query}` : ""}`;
};
/**
 * The rows of another table that a reference of `row`'s (`{schema, table, column, also}`, a
 * foreign key's target or a table pointing back) names: that table filtered to `column` equal to
 * `value`, and, for a key over several columns, each pair of `also` ([this table's column, the
 * other's]) equal too. Null when part of the key is null (it names no row).
 */
function rowsWhere(ref, value, row) {
  const pairs = [[null, ref.column], ...(ref.also ?? [])];
  const values = pairs.map(([mine], i) => (i === 0 ? value : row[mine]));
  if (values.some((v) => v == null)) return null;
  return href(ref.schema, ref.table, {
    page: 1,
    pageSize: DEFAULT_PAGE_SIZE,
    sort: null,
    order: null,
    filters: pairs.map(([, theirs], i) => ({ column: theirs, op: "eq", value: valueText(values[i]) })),
  });
}

/** A value as text (JSON for objects and arrays). */
const valueText = (value) => (typeof value === "object" ? JSON.stringify(value) : String(value));

/** A filter as people read it: "var_name equals pid3", "weight between 0.5 and 2". */
function filterText({ column, op, value }) {
  if (op === "range") {
    const [lo = "", hi = ""] = value.split("..");
    if (lo && hi) return `${column} between ${lo} and ${hi}`;
    if (lo) return `${column} at least ${lo}`;
    if (hi) return `${column} at most ${hi}`;
    return `${column} in any range`;
  }
  return `${column} ${OP_LABELS[op] ?? op} ${value === "" ? "the empty text" : value}`;
}

/** The element with `data-focus` to focus once the next view is drawn: the control the keyboard
 *  was on (a sort header, Next…) is drawn anew, and focus stays on it. */
let refocus = null;
/** The last view asked for: an earlier one answering later is dropped. */
let latest = 0;
/** Per table, the column chosen last in the filter form. */
const lastFilterColumn = new Map();
/** Per table, its columns as last read, for the filter form when the rows cannot be read. */
const knownColumns = new Map();

/**
 * Draws the Data view for `path` (/admin/data or /admin/data/{schema}/{table}) and `search` into
 * `view`; errors go to `status` (the console's error display). `go(url)` navigates inside the
 * console. Throws what the console itself handles (an ended session above all).
 */
export async function dataView({ view, status, path, search, go }) {
  // A view is drawn only if it is still the one asked for last, and the page is still on it.
  const asked = ++latest;
  const isCurrent = () =>
    asked === latest && location.pathname.replace(/\/+$/, "") === path && location.search === search;
  const match = path.match(/^\/admin\/data\/([^/]+)\/([^/]+)$/);
  if (match) {
    await tableView({
      view,
      status,
      schema: decodeURIComponent(match[1]),
      table: decodeURIComponent(match[2]),
      state: parseQuery(search),
      go,
      isCurrent,
    });
  } else {
    await schemasView(view, isCurrent);
  }
  if (isCurrent() && refocus) {
    view.querySelector(`[data-focus="${CSS.escape(refocus)}"]`)?.focus();
    refocus = null;
  }
}

async function schemasView(view, isCurrent) {
  const { schemas } = (await api("/api/admin/data")).data;
  if (!isCurrent()) return;
  document.title = "Data — BLW admin";
  view.replaceChildren(
    el(
      "section",
      { class: "panel data-browser", "aria-labelledby": "data-title" },
      el("h2", { id: "data-title" }, "Data"),
      el(
        "p",
        { class: "note" },
        "Every table of the database's four schemas, with its exact number of rows. Read-only: open a table to page through it, sort, filter and follow its links.",
      ),
      el(
        "div",
        { class: "data-schemas" },
        schemas.map((schema) => {
          const titleId = `schema-${schema.name}`;
          return el(
            "section",
            { class: "data-schema", "aria-labelledby": titleId, dataset: { schema: schema.name } },
            el("h3", { id: titleId }, humanize(schema.name), " ", el("code", {}, schema.name)),
            el(
              "table",
              { class: "dense", "aria-labelledby": titleId },
              el(
                "thead",
                {},
                el("tr", {}, el("th", { scope: "col" }, "Table"), el("th", { scope: "col", class: "num" }, "Rows")),
              ),
              el(
                "tbody",
                {},
                schema.tables.map((table) =>
                  el(
                    "tr",
                    { dataset: { table: `${schema.name}.${table.name}` } },
                    el("th", { scope: "row" }, el("a", { href: tablePath(schema.name, table.name) }, table.name)),
                    el("td", { class: "num" }, integer(table.rows)),
                  ),
                ),
              ),
            ),
          );
        }),
      ),
    ),
  );
}

/** A value as the grid shows it: null marked as such, JSON and arrays as compact JSON text, long
 *  values shortened with the whole a click away. */
function valueContent(value, column) {
  if (value == null) return el("span", { class: "null" }, "null");
  const text =
    typeof value === "object" || column.type === "json" || column.type === "array"
      ? JSON.stringify(value)
      : String(value);
  const code = column.type === "json" || column.type === "array";
  if (text.length <= LONG_VALUE) return code ? el("code", {}, text) : text;
  return el(
    "details",
    { class: "long-value" },
    el("summary", {}, `${text.slice(0, 60)}…`, el("span", { class: "visually-hidden" }, " (show all)")),
    code ? el("code", {}, text) : el("span", {}, text),
  );
}

/**
 * The view's CSV: every row it has (not just this page), filtered and sorted as shown, or, for a
 * view larger than the api's maximum, why not and what to do.
 */
function csvDownload(schema, table, state, data) {
  if (data.total > data.csv_max_rows) {
    return el(
      "div",
      { class: "data-export" },
      el(
        "button",
        { type: "button", class: "secondary", id: "data-csv", disabled: true, "aria-describedby": "data-csv-note" },
        "Download CSV",
      ),
      el(
        "p",
        { class: "note", id: "data-csv-note" },
        `A CSV holds at most ${integer(data.csv_max_rows)} rows and this view has ${integer(data.total)}: add a filter to narrow it.`,
      ),
    );
  }
  // The filters and the sort, not the page: the file is the whole view.
  const query = buildQuery({ ...state, page: 1, pageSize: DEFAULT_PAGE_SIZE });
  const rows = data.total === 0 ? "no rows" : data.total === 1 ? "1 row" : `all ${integer(data.total)} rows`;
  return el(
    "div",
    { class: "data-export" },
    el(
      "a",
      {
        class: "button secondary",
        id: "data-csv",
        href: `${apiPath(schema, table)}/csv${query ? `?${query}` : ""}`,
        download: `${schema}-${table}.csv`,
      },
      `Download CSV (${rows})`,
    ),
    el("p", { class: "note", id: "data-csv-note" }, "Every row of this view, filtered and sorted as shown."),
  );
}

async function tableView({ view, status, schema, table, state, go, isCurrent }) {
  const key = `${schema}.${table}`;
  let data;
  let failure = null;
  try {
    // Page and size always go to the api (the CSV takes the rest: it is the whole view).
    const params = new URLSearchParams(buildQuery(state));
    params.set("page", String(state.page));
    params.set("page_size", String(state.pageSize));
    data = (await api(`${apiPath(schema, table)}?${params}`)).data;
  } catch (error) {
    // A bad parameter (an unknown column, a value the column cannot hold) or an unknown table:
    // the view stays, with the error and a way back. Anything else is the console's to handle.
    if (error.status !== 400 && error.status !== 404) throw error;
    failure = error;
  }
  if (!isCurrent()) return;
  document.title = `${key} — Data — BLW admin`;
  const heading = el(
    "div",
    { class: "data-head" },
    el(
      "nav",
      { "aria-label": "Breadcrumb", class: "breadcrumb" },
      el("a", { href: "/admin/data", "data-focus": "crumb-data" }, "Data"),
      el("span", { "aria-hidden": "true" }, " › "),
      el("span", {}, schema),
      el("span", { "aria-hidden": "true" }, " › "),
      el("span", { "aria-current": "page" }, table),
    ),
    el("h2", { id: "data-title" }, el("code", {}, key)),
  );
  const navigate = (next, focus) => {
    refocus = focus ?? null;
    go(href(schema, table, next));
  };
  const activeFilters = filtersList(state, navigate);
  if (failure) {
    view.replaceChildren(
      el(
        "section",
        { class: "panel data-browser", "aria-labelledby": "data-title", dataset: { table: key } },
        heading,
        knownColumns.has(key) ? filterForm(key, knownColumns.get(key), state, navigate) : null,
        activeFilters,
        el(
          "p",
          { class: "actions" },
          buildQuery(state)
            ? el("a", { href: tablePath(schema, table), class: "button secondary" }, "Show the table unfiltered")
            : null,
          el("a", { href: "/admin/data", class: "button secondary" }, "All tables"),
        ),
      ),
    );
    showError(status, failure);
    return;
  }
  knownColumns.set(key, data.columns);
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  const first = data.total === 0 ? 0 : (data.page - 1) * data.page_size + 1;
  const last = Math.min(data.total, first + data.rows.length - 1);
  const shown = data.rows.length
    ? `Rows ${integer(first)}–${integer(last)} of ${integer(data.total)}`
    : data.total
      ? `No rows on page ${integer(data.page)}: there are ${integer(data.total)} (${integer(pages)} pages)`
      : "No rows";
  const sortedBy = data.sort ? `, sorted by ${data.sort} ${data.order === "desc" ? "descending" : "ascending"}` : "";
  // Said to screen readers once the view is drawn (the status area is a polite live region).
  status.append(el("p", { class: "visually-hidden" }, `${shown}${sortedBy}.`));

  // Above the grid and, on a long page, below it too (its controls' ids end in `suffix`).
  const pager = (suffix = "") => {
    const link = (page, label, focus, rel) =>
      page >= 1 && page <= pages && page !== data.page
        ? el(
            "a",
            {
              class: "button small secondary",
              href: href(schema, table, { ...state, page }),
              rel,
              "data-focus": `${focus}${suffix}`,
              onclick: () => {
                refocus = `${focus}${suffix}`;
              },
            },
            label,
          )
        : el("span", { class: "button small secondary disabled", "aria-disabled": "true" }, label);
    const sizeId = `data-page-size${suffix}`;
    return el(
      "nav",
      { class: "pager", "aria-label": suffix ? "Pages (below the table)" : "Pages" },
      link(Math.min(data.page - 1, pages), "← Previous", "previous", "prev"),
      el("span", { class: "page-of" }, `Page ${integer(data.page)} of ${integer(pages)}`),
      link(data.page + 1, "Next →", "next", "next"),
      el(
        "span",
        { class: "page-size" },
        el("label", { for: sizeId }, "Rows per page"),
        el(
          "select",
          {
            id: sizeId,
            "data-focus": sizeId,
            onchange: (event) => navigate({ ...state, page: 1, pageSize: Number(event.target.value) }, sizeId),
          },
          PAGE_SIZES.map((n) => el("option", { value: String(n), selected: n === data.page_size }, String(n))),
        ),
      ),
    );
  };

  view.replaceChildren(
    el(
      "section",
      { class: "panel data-browser", "aria-labelledby": "data-title", dataset: { table: key } },
      heading,
      el(
        "div",
        { class: "data-tools" },
        filterForm(key, data.columns, state, navigate),
        csvDownload(schema, table, state, data),
      ),
      activeFilters,
      el("p", { class: "data-summary", id: "data-summary" }, `${shown}${sortedBy}.`),
      pager(),
      data.rows.length
        ? el(
            "div",
            { class: "table-wrap", role: "region", "aria-labelledby": "data-caption", tabindex: "0" },
            grid(schema, table, data, state),
          )
        : el("p", { class: "empty" }, state.filters.length ? "No rows match these filters." : "This table is empty."),
      data.rows.length > 10 ? pager("-bottom") : null,
    ),
  );
}

/** The grid: a header per column (a link that sorts by it, aria-sort on the sorted one), a row per
 *  row, foreign keys as links to the row they name, and per row links to the rows pointing at it. */
function grid(schema, table, data, state) {
  const rowHeader = data.primary_key?.[0] ?? data.columns[0]?.name;
  const backLinks = data.columns.flatMap((column) =>
    (column.referenced_by ?? []).map((ref) => ({ ...ref, from: column.name })),
  );
  const sortLabel = data.sort ? ` Sorted by ${data.sort}, ${data.order === "desc" ? "descending" : "ascending"}.` : "";
  const header = data.columns.map((column) => {
    const sorted = data.sort === column.name ? (data.order ?? "asc") : null;
    const nextOrder = sorted === "asc" ? "desc" : "asc";
    const focus = `sort-${column.name}`;
    return el(
      "th",
      {
        scope: "col",
        class: NUMERIC.has(column.type) ? "num" : null,
        "aria-sort": sorted ? (sorted === "asc" ? "ascending" : "descending") : null,
        dataset: { column: column.name },
      },
      el(
        "a",
        {
          class: "sort",
          href: href(schema, table, { ...state, page: 1, sort: column.name, order: nextOrder }),
          "data-focus": focus,
          onclick: () => {
            refocus = focus;
          },
        },
        column.name,
        el("span", { class: "sort-mark", "aria-hidden": "true" }, sorted ? (sorted === "asc" ? " ▲" : " ▼") : ""),
        el("span", { class: "visually-hidden" }, `, sort ${nextOrder === "asc" ? "ascending" : "descending"}`),
      ),
      el(
        "span",
        { class: "col-type" },
        column.type,
        column.nullable ? ", nullable" : "",
        data.primary_key?.includes(column.name) ? ", key" : "",
        column.link ? ` → ${column.link.schema}.${column.link.table}` : "",
      ),
    );
  });
  if (backLinks.length) header.push(el("th", { scope: "col" }, "Rows pointing here"));
  const rows = data.rows.map((row) => {
    const cells = data.columns.map((column) => {
      const value = row[column.name];
      const target = column.link ? rowsWhere(column.link, value, row) : null;
      const content = target
        ? el(
            "a",
            { href: target },
            valueContent(value, column),
            el("span", { class: "visually-hidden" }, ` (${column.link.schema}.${column.link.table})`),
          )
        : valueContent(value, column);
      const attributes = {
        class: [`type-${column.type}`, NUMERIC.has(column.type) && value != null ? "num" : null]
          .filter(Boolean)
          .join(" "),
        dataset: { column: column.name },
      };
      return column.name === rowHeader
        ? el("th", { scope: "row", ...attributes }, content)
        : el("td", attributes, content);
    });
    if (backLinks.length) {
      cells.push(
        el(
          "td",
          { class: "back-links" },
          backLinks.map((ref) => {
            const target = rowsWhere(ref, row[ref.from], row);
            return target
              ? el(
                  "a",
                  { href: target, dataset: { refers: `${ref.schema}.${ref.table}.${ref.column}` } },
                  ref.schema === schema ? ref.table : `${ref.schema}.${ref.table}`,
                  el("span", { class: "visually-hidden" }, ` with ${ref.column} ${valueText(row[ref.from])}`),
                )
              : null;
          }),
        ),
      );
    }
    return el("tr", {}, cells);
  });
  return el(
    "table",
    { class: "dense data-grid" },
    el(
      "caption",
      // For screen readers (and the scrolling region's name): the summary above says it to the eye.
      { id: "data-caption", class: "visually-hidden" },
      `${schema}.${table}, page ${integer(data.page)}.${sortLabel} Column headers sort.`,
    ),
    el("thead", {}, el("tr", {}, header)),
    el("tbody", {}, rows),
  );
}

/** The active filters, each removable; nothing when there are none. */
function filtersList(state, navigate) {
  if (!state.filters.length) return null;
  return el(
    "div",
    { class: "active-filters" },
    el("h3", { id: "active-filters-title" }, "Active filters"),
    el(
      "ul",
      { "aria-labelledby": "active-filters-title" },
      state.filters.map((filter, index) =>
        el(
          "li",
          { dataset: { filter: `${filter.column}:${filter.op}:${filter.value}` } },
          el("span", {}, filterText(filter)),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              onclick: () =>
                navigate(
                  { ...state, page: 1, filters: state.filters.filter((_, i) => i !== index) },
                  state.filters.length > 1 ? "remove-filter-0" : "filter-column",
                ),
              "data-focus": `remove-filter-${index}`,
            },
            "Remove",
            el("span", { class: "visually-hidden" }, ` filter: ${filterText(filter)}`),
          ),
        ),
      ),
      state.filters.length > 1
        ? el(
            "li",
            {},
            el(
              "button",
              {
                type: "button",
                class: "small secondary",
                onclick: () => navigate({ ...state, page: 1, filters: [] }, "filter-column"),
              },
              "Remove all filters",
            ),
          )
        : null,
    ),
  );
}

/** The form that adds a filter: a column (those the api can filter), one of that column's
 *  operations, and the value(s) as the column's type takes them. */
function filterForm(key, columns, state, navigate) {
  const filterable = columns.filter((column) => column.filters?.length);
  if (!filterable.length) return el("p", { class: "note" }, "No column of this table can be filtered.");
  const chosen = filterable.find((c) => c.name === lastFilterColumn.get(key)) ?? filterable[0];
  const columnSelect = el(
    "select",
    { id: "filter-column", "data-focus": "filter-column" },
    filterable.map((column) =>
      el("option", { value: column.name, selected: column === chosen }, `${column.name} (${column.type})`),
    ),
  );
  const opSelect = el("select", { id: "filter-op" });
  const values = el("div", { class: "filter-values" });
  const error = el("p", { class: "field-error", id: "filter-error", role: "alert" });
  const column = () => filterable.find((c) => c.name === columnSelect.value);
  const input = (id, label, type) => {
    const attributes = { id, name: id, "aria-describedby": "filter-error", autocomplete: "off" };
    let control;
    if (type === "boolean") {
      control = el(
        "select",
        attributes,
        el("option", { value: "true" }, "true"),
        el("option", { value: "false" }, "false"),
      );
    } else if (NUMERIC.has(type)) {
      control = el("input", {
        ...attributes,
        type: "text",
        inputmode: type === "integer" ? "numeric" : "decimal",
        spellcheck: "false",
      });
    } else {
      control = el("input", {
        ...attributes,
        type: "text",
        spellcheck: "false",
        placeholder: type === "timestamp" ? "2026-11-30T12:00:00Z" : null,
      });
    }
    return el("div", { class: "field" }, el("label", { for: id }, label), control);
  };
  const fillValues = () => {
    const { type } = column();
    error.replaceChildren();
    values.replaceChildren(
      ...(opSelect.value === "range"
        ? [input("filter-lo", "From (included)", type), input("filter-hi", "To (included)", type)]
        : [input("filter-value", opSelect.value === "contains" ? "Text" : "Value", type)]),
    );
  };
  const fillOps = () => {
    const previous = opSelect.value;
    const ops = column().filters;
    opSelect.replaceChildren(
      ...ops.map((op) => el("option", { value: op, selected: op === previous }, OP_LABELS[op] ?? op)),
    );
    fillValues();
  };
  columnSelect.addEventListener("change", () => {
    lastFilterColumn.set(key, columnSelect.value);
    fillOps();
  });
  opSelect.addEventListener("change", fillValues);
  fillOps();
  const form = el(
    "form",
    { class: "filter-form", "aria-labelledby": "filter-title", novalidate: true },
    el("h3", { id: "filter-title" }, "Add a filter"),
    el(
      "div",
      { class: "filter-fields" },
      el("div", { class: "field" }, el("label", { for: "filter-column" }, "Column"), columnSelect),
      el("div", { class: "field" }, el("label", { for: "filter-op" }, "Condition"), opSelect),
      values,
      el("div", { class: "field filter-submit" }, el("button", { type: "submit", class: "secondary" }, "Add filter")),
    ),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const op = opSelect.value;
    const read = (id) => form.querySelector(`#${id}`)?.value.trim() ?? "";
    let value;
    if (op === "range") {
      const lo = read("filter-lo");
      const hi = read("filter-hi");
      if (!lo && !hi) {
        error.textContent = "Give at least one end of the range.";
        form.querySelector("#filter-lo").focus();
        return;
      }
      value = `${lo}..${hi}`;
    } else {
      value = read("filter-value");
      // (Only a text column can equal the empty text.)
      if (!value && !(op === "eq" && column().type === "text")) {
        error.textContent = "Give a value to compare with.";
        form.querySelector("#filter-value").focus();
        return;
      }
    }
    lastFilterColumn.set(key, columnSelect.value);
    navigate(
      { ...state, page: 1, filters: [...state.filters, { column: columnSelect.value, op, value }] },
      "filter-column",
    );
  });
  return form;
}
