/*
 * The saestream viewer: a list of latents (#/) and a page per latent (#/latent/<id>), drawn
 * from the data files `saestream interpret` writes (VIEWER-DATA.md). Plain browser JavaScript
 * with no build step and no network.
 *
 * Data arrives as scripts that call window.SAE_VIEWER, because a page opened from disk may not
 * fetch() local files but may load local scripts. Every string from the data (tokens above all)
 * is inserted as text, never as HTML: a token can be `<b>&` or any other text.
 */
(function () {
  'use strict';

  const PAGE_SIZE = 100;
  /** Sortable columns of the list and the direction a first click sorts them in. */
  const SORTABLE = { id: 'ascending', density: 'descending', count: 'descending', mean: 'descending', max: 'descending' };
  const COLUMNS = ['id', 'density', 'count', 'mean', 'max', 'top'];

  /** What the data files have delivered so far. */
  const data = { meta: null, latents: null, details: new Map() };

  /** The list's state, kept while latent pages are visited so "back" finds it unchanged. */
  const list = { query: '', sortKey: 'id', direction: 'ascending', page: 0 };

  window.SAE_VIEWER = {
    meta(obj) { data.meta = obj; },
    latents(obj) { data.latents = rowsOf(obj); },
    latent(obj) { data.details.set(obj.id, obj); },
  };

  // ---- DOM helpers ----------------------------------------------------------------------------

  /**
   * An element with attributes and children; string children become text nodes, so nothing
   * from the data is ever parsed as HTML.
   */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** An SVG element (they need their namespace). */
  function svg(tag, attrs, children) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of [].concat(children === undefined ? [] : children)) {
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  const main = () => document.querySelector('main');

  function showStatus(text) {
    main().replaceChildren(el('p', { class: 'status', 'data-testid': 'loading' }, text));
  }

  function showError(text) {
    main().replaceChildren(el('p', { class: 'error', 'data-testid': 'error', role: 'alert' }, text), el('p', {}, el('a', { href: '#/' }, '← all latents')));
  }

  /** Loads a data script; rejects when it is missing or fails to load. */
  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = el('script', { src });
      script.onload = () => resolve();
      script.onerror = () => {
        script.remove(); // so a later visit tries again
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(script);
    });
  }

  // ---- formatting -----------------------------------------------------------------------------

  /** A number in at most 4 significant digits; exponent form when very large or small. */
  function fmt(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
    if (x === 0) return '0';
    const a = Math.abs(x);
    return a >= 1e5 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
  }

  const fmtCount = (n) => n.toLocaleString('en-US');
  const fmtDensity = (d) => `${fmt(d * 100)}%`;

  /** Makes whitespace that would vanish visible: newlines, tabs, carriage returns. */
  function visibleText(text) {
    return String(text).replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍');
  }

  // ---- header ---------------------------------------------------------------------------------

  function renderHeader(meta) {
    const item = (label, value) => el('span', {}, [`${label} `, el('b', {}, value)]);
    document.querySelector('[data-testid="meta"]').replaceChildren(
      item('model', meta.model ?? 'unknown'),
      item('hook', meta.hook ?? 'unknown'),
      item('SAE', `${meta.dIn} × ${fmtCount(meta.nLatents)}, k=${meta.k}`),
      item('tokens', fmtCount(meta.tokens)),
      item('latents shown', fmtCount(meta.latentsShown)),
      // saestream eval's measures, when the pipeline spliced the SAE into the model
      ...(meta.eval ? [el('span', { 'data-testid': 'header-eval' }, [
        'CE recovered ', el('b', {}, meta.eval.ceRecoveredZero.toFixed(3)),
        '  Δ loss ', el('b', {}, meta.eval.deltaLoss.toFixed(4)),
        '  KL ', el('b', {}, meta.eval.kl.toFixed(4)),
      ])] : []),
    );
    const banner = document.querySelector('[data-testid="banner"]');
    banner.textContent = meta.banner || '';
    banner.hidden = !meta.banner;
    document.title = ['saestream', meta.model, meta.hook].filter(Boolean).join(' · ');
  }

  // ---- the latent list (#/) --------------------------------------------------------------------

  /** data/latents.js's columns and rows as objects, with the snippet lower-cased once for search. */
  function rowsOf(obj) {
    const at = Object.fromEntries(obj.columns.map((name, i) => [name, i]));
    return obj.rows.map((r) => {
      const row = Object.fromEntries(COLUMNS.map((name) => [name, r[at[name]]]));
      row.search = String(row.top || '').toLowerCase();
      return row;
    });
  }

  /** The rows the search matches (an id, or a substring of the snippet), sorted; memoized. */
  const visibleRows = (function () {
    let key = null;
    let rows = [];
    return function () {
      const q = list.query.trim().toLowerCase();
      const nextKey = `${q}\u0000${list.sortKey}\u0000${list.direction}`;
      if (nextKey === key) return rows;
      const sign = list.direction === 'ascending' ? 1 : -1;
      const k = list.sortKey;
      rows = (q ? data.latents.filter((r) => String(r.id) === q || r.search.includes(q)) : data.latents.slice())
        .sort((a, b) => sign * (a[k] - b[k]) || a.id - b.id);
      key = nextKey;
      return rows;
    };
  })();

  function renderList() {
    const search = el('input', { type: 'search', placeholder: 'search by id or text', 'aria-label': 'search latents', 'data-testid': 'search' });
    search.value = list.query;
    search.addEventListener('input', () => {
      list.query = search.value;
      list.page = 0;
      renderListBody();
    });
    const pager = el('div', { class: 'pager' }, [
      el('button', { type: 'button', 'data-testid': 'prev-page' }, '‹ prev'),
      el('span', { 'data-testid': 'page-info' }),
      el('button', { type: 'button', 'data-testid': 'next-page' }, 'next ›'),
    ]);
    pager.querySelector('[data-testid="prev-page"]').addEventListener('click', () => turnPage(-1));
    pager.querySelector('[data-testid="next-page"]').addEventListener('click', () => turnPage(1));

    const head = el('tr', {}, COLUMNS.map((name) => listHeaderCell(name)));
    const body = el('tbody', {});
    // One listener for every row: rows are rebuilt on each page, the listener is not.
    body.addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-latent-id]');
      if (row && !event.target.closest('a')) location.hash = `#/latent/${row.dataset.latentId}`;
    });
    const table = el('table', { class: 'latents', 'data-testid': 'latent-table' }, [el('thead', {}, head), body]);
    main().replaceChildren(
      el('div', { class: 'list-controls' }, [search, el('span', { class: 'muted', 'data-testid': 'match-count' }), pager]),
      table,
    );
    renderListBody();
  }

  /** A column header; a sortable one sorts on click, again to reverse. */
  function listHeaderCell(name) {
    const label = name === 'top' ? 'top example' : name;
    if (!(name in SORTABLE)) return el('th', { class: 'snippet' }, label);
    const th = el('th', { class: 'sortable', 'data-sort-key': name, 'aria-sort': 'none', title: `sort by ${name}` }, label);
    th.addEventListener('click', () => {
      list.direction = list.sortKey === name ? (list.direction === 'ascending' ? 'descending' : 'ascending') : SORTABLE[name];
      list.sortKey = name;
      list.page = 0;
      renderListBody();
    });
    return th;
  }

  function turnPage(delta) {
    list.page += delta;
    renderListBody();
  }

  /** The table's rows for the current page only, so tens of thousands of latents stay fast. */
  function renderListBody() {
    const rows = visibleRows();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    list.page = Math.min(Math.max(list.page, 0), pages - 1);
    const shown = rows.slice(list.page * PAGE_SIZE, (list.page + 1) * PAGE_SIZE);
    document.querySelector('[data-testid="latent-table"] tbody').replaceChildren(...shown.map(listRow));

    for (const th of document.querySelectorAll('th[data-sort-key]')) {
      const active = th.dataset.sortKey === list.sortKey;
      th.setAttribute('aria-sort', active ? list.direction : 'none');
      th.textContent = th.dataset.sortKey + (active ? (list.direction === 'ascending' ? ' ▲' : ' ▼') : '');
    }
    document.querySelector('[data-testid="page-info"]').textContent = `page ${list.page + 1} of ${pages}`;
    document.querySelector('[data-testid="prev-page"]').disabled = list.page === 0;
    document.querySelector('[data-testid="next-page"]').disabled = list.page >= pages - 1;
    const total = data.latents.length;
    document.querySelector('[data-testid="match-count"]').textContent =
      rows.length === total ? `${fmtCount(total)} latents` : `${fmtCount(rows.length)} of ${fmtCount(total)} latents`;
  }

  function listRow(r) {
    return el('tr', { 'data-testid': 'latent-row', 'data-latent-id': r.id }, [
      el('td', {}, el('a', { href: `#/latent/${r.id}` }, String(r.id))),
      el('td', {}, fmtDensity(r.density)),
      el('td', {}, fmtCount(r.count)),
      el('td', {}, fmt(r.mean)),
      el('td', {}, fmt(r.max)),
      el('td', { class: 'snippet' }, visibleText(r.top || '')),
    ]);
  }

  // ---- a latent's page (#/latent/<id>) -----------------------------------------------------------

  /** Loads data/l/<id>.js once, then draws the page unless the reader has moved on meanwhile. */
  async function showLatent(idText, stillWanted) {
    if (!/^\d+$/.test(idText)) return showError(`no latent '${idText}': latent ids are whole numbers`);
    const id = Number(idText);
    showStatus(`loading latent ${id}…`);
    if (!data.details.has(id)) {
      try {
        await loadScript(`data/l/${id}.js`);
      } catch (e) {
        if (stillWanted()) showError(`${e.message}: this run has no data for latent ${id} (it shows ${fmtCount(data.latents.length)} latents; see the list)`);
        return;
      }
    }
    if (!stillWanted()) return;
    const latent = data.details.get(id);
    if (!latent) return showError(`data/l/${id}.js loaded but did not define latent ${id}`);
    main().replaceChildren(renderLatent(latent));
    window.scrollTo(0, 0);
  }

  function renderLatent(l) {
    const stat = (label, value) => el('div', {}, [el('dt', {}, label), el('dd', { 'data-testid': `stat-${label}` }, value)]);
    return el('article', { 'data-testid': 'latent-page', 'data-latent-id': l.id }, [
      el('p', {}, el('a', { href: '#/' }, '← all latents')),
      el('h2', { 'data-testid': 'latent-title' }, `Latent ${l.id}`),
      el('dl', { class: 'stats' }, [stat('density', fmtDensity(l.density)), stat('count', fmtCount(l.count)), stat('mean', fmt(l.mean)), stat('max', fmt(l.max))]),
      el('div', { class: 'panels' }, [
        el('section', {}, [el('h3', {}, 'Non-zero activations'), renderHistogram(l.histogram)]),
        el('section', {}, [el('h3', {}, 'Logit effects'), renderLogits(l.logits)]),
      ]),
      el('section', { 'data-testid': 'top-examples' }, [
        el('h3', {}, `Top ${l.top.length} activations`),
        ...(l.top.length ? l.top.map((ex, i) => renderExample(ex, i, l.max)) : [el('p', { class: 'muted' }, 'none: this latent never fired on these tokens')]),
      ]),
      renderQuantiles(l.quantiles || [], l.max),
    ]);
  }

  /**
   * One context: each token a span coloured by this latent's activation there (alpha =
   * act / the latent's max, none at zero), the example's own position outlined.
   */
  function renderExample(ex, index, latentMax) {
    const tokens = ex.tokens.map((text, i) => tokenSpan(text, ex.acts[i], latentMax, i === ex.pos));
    return el('div', { class: 'example', 'data-testid': 'example', 'data-example-index': index }, [
      el('div', { class: 'example-meta' }, [el('b', {}, fmt(ex.value)), `  ctx ${ex.ctx} · doc ${ex.doc} · offset ${ex.offset} · pos ${ex.pos}`]),
      el('div', { class: 'tokens' }, tokens),
    ]);
  }

  function tokenSpan(text, act, latentMax, isMax) {
    const span = el('span', { class: isMax ? 'tok max' : 'tok', 'data-act': String(act), title: String(act) }, visibleText(text));
    const alpha = latentMax > 0 ? Math.min(1, Math.max(0, act / latentMax)) : 0;
    if (alpha > 0) span.style.backgroundColor = `rgba(234, 88, 12, ${alpha.toFixed(3)})`;
    return span;
  }

  /**
   * The histogram of non-zero values as bars. The edges are log-spaced, so bars of equal width
   * put the axis on a log scale; ticks label the first, middle and last edges. Empty bins at
   * either end are left out: the edges may span a range shared by every latent.
   */
  function renderHistogram(histogram) {
    const h = trimHistogram(histogram);
    if (!h) return el('p', { class: 'muted' }, 'no non-zero activations');
    const W = 380, H = 170, left = 44, right = 8, top = 8, bottom = 34;
    const plotW = W - left - right, plotH = H - top - bottom;
    const maxCount = Math.max(1, ...h.counts);
    const barW = plotW / h.counts.length;
    const bars = h.counts.map((c, i) => {
      const bh = (c / maxCount) * plotH;
      return svg('rect', { class: 'bar', x: left + i * barW + 0.5, y: top + plotH - bh, width: Math.max(barW - 1, 0.5), height: bh, 'data-count': c },
        svg('title', {}, `${fmt(h.edges[i])} – ${fmt(h.edges[i + 1])}: ${fmtCount(c)}`));
    });
    const B = h.counts.length;
    const ticks = [...new Set([0, Math.round(B / 2), B])].map((i) =>
      svg('text', { x: left + i * barW, y: top + plotH + 13, 'text-anchor': i === 0 ? 'start' : i === B ? 'end' : 'middle' }, fmt(h.edges[i])));
    return svg('svg', { class: 'histogram', 'data-testid': 'histogram', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'histogram of non-zero activations' }, [
      ...bars,
      svg('line', { class: 'axis', x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH }),
      svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: top + plotH }),
      ...ticks,
      svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, fmtCount(maxCount)),
      svg('text', { x: left - 4, y: top + plotH, 'text-anchor': 'end' }, '0'),
      svg('text', { x: left + plotW / 2, y: H - 4, 'text-anchor': 'middle' }, 'activation (log scale)'),
      svg('text', { x: 10, y: top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 10 ${top + plotH / 2})` }, 'tokens'),
    ]);
  }

  /** The histogram without its empty bins at either end; null when every bin is empty. */
  function trimHistogram(h) {
    const counts = (h && h.counts) || [];
    const first = counts.findIndex((c) => c > 0);
    if (first < 0) return null;
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    return { counts: counts.slice(first, last + 1), edges: h.edges.slice(first, last + 2) };
  }

  /** The tokens whose logits this latent's decoder direction raises and lowers most. */
  function renderLogits(logits) {
    if (!logits) return el('p', { class: 'muted', 'data-testid': 'logits-none' }, 'not computed for this run');
    const column = (kind, title, items) => el('div', {}, [
      el('h4', {}, title),
      el('ol', { 'data-testid': `logits-${kind}` }, items.map((x) =>
        el('li', {}, [el('span', { class: 'tok' }, visibleText(x.token)), el('span', { class: 'value' }, (x.value > 0 ? '+' : '') + fmt(x.value))]))),
    ]);
    const note = data.meta && data.meta.logitsFoldLnF ? 'ln_f scale folded in' : 'ln_f scale not folded in';
    return el('div', {}, [
      el('div', { class: 'logits' }, [column('positive', 'promoted', logits.positive), column('negative', 'suppressed', logits.negative)]),
      el('p', { class: 'muted' }, note),
    ]);
  }

  /** Examples sampled from bands of the activation's range, to show more than the top. */
  function renderQuantiles(bands, latentMax) {
    if (bands.length === 0) return el('section', {});
    return el('section', { 'data-testid': 'quantiles' }, [
      el('h3', {}, 'Across the range'),
      ...bands.map((band, b) => el('div', { class: 'band', 'data-testid': 'quantile-band', 'data-band-index': b }, [
        el('h4', {}, [band.label, el('span', { class: 'muted' }, `  ${fmt(band.lo)} – ${fmt(band.hi)}`)]),
        ...band.examples.map((ex, i) => renderExample(ex, i, latentMax)),
      ])),
    ]);
  }

  // ---- routing --------------------------------------------------------------------------------

  let navigation = 0;

  /** Draws the page the hash names; a latent page that loads slowly yields to later clicks. */
  function route() {
    const current = ++navigation;
    const m = /^#\/latent\/(.*)$/.exec(location.hash);
    if (m) return showLatent(m[1], () => current === navigation);
    renderList();
  }

  async function start() {
    try {
      await loadScript('data/meta.js');
      await loadScript('data/latents.js');
    } catch (e) {
      return showError(`${e.message}: open the viewer/ folder that saestream interpret wrote (it holds index.html and data/)`);
    }
    if (!data.meta || !data.latents) return showError('data/meta.js or data/latents.js did not call SAE_VIEWER as VIEWER-DATA.md describes');
    renderHeader(data.meta);
    window.addEventListener('hashchange', route);
    route();
  }

  start();
})();
