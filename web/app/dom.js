// Why this file exists: the app has no framework, so this is its whole view
// toolkit: `h()` to build elements, icons as inline SVG, toasts for results
// and errors, and modal dialogs (confirm, prompt, forms) built on <dialog>,
// which gives focus trapping and Esc for free.

/**
 * h('button.primary', {onclick, type:'button'}, 'Save') — tag with optional
 * .classes and #id; attrs set as properties when they are (on*, value,
 * checked…) and as attributes otherwise; children are nodes, strings or arrays.
 */
export function h(spec, attrs, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const m = spec.match(/^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i);
  const el = document.createElement(m[1] || 'div');
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'class') el.className = v;
    else if (k in el && k !== 'list' && k !== 'form' && typeof v !== 'string') el[k] = v;
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Removes every child of `el` and appends `children`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const ICONS = {
  heart: 'M12 21s-7.5-4.6-9.6-9.1C.9 8.6 3 5 6.5 5c2 0 3.4 1.1 4.2 2.3h2.6C14.1 6.1 15.5 5 17.5 5 21 5 23.1 8.6 21.6 11.9 19.5 16.4 12 21 12 21z',
  heartOutline: 'M12 21s-7.5-4.6-9.6-9.1C.9 8.6 3 5 6.5 5c2 0 3.4 1.1 4.2 2.3h2.6C14.1 6.1 15.5 5 17.5 5 21 5 23.1 8.6 21.6 11.9 19.5 16.4 12 21 12 21zm0-2.4c2.3-1.5 6.3-4.6 7.8-7.5.9-2-.4-4.1-2.3-4.1-1.4 0-2.4 1-3 2.3h-5c-.6-1.3-1.6-2.3-3-2.3-1.9 0-3.2 2.1-2.3 4.1 1.5 2.9 5.5 6 7.8 7.5z',
  archive: 'M3 4h18v4H3zm1 5h16v11H4zm5 3v2h6v-2z',
  trash: 'M9 3h6l1 2h4v2H4V5h4zM5 8h14l-1 13H6zm4 3v8h2v-8zm4 0v8h2v-8z',
  download: 'M11 3h2v10l4-4 1.4 1.4L12 16.8 5.6 10.4 7 9l4 4zM4 19h16v2H4z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  close: 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z',
  left: 'M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z',
  right: 'M8.6 5.4 10 4l8 8-8 8-1.4-1.4 6.6-6.6z',
  info: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 8v7h2v-7zm0-4v2h2V6z',
  zoom: 'M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10zM9 7h2v2h2v2h-2v2H9v-2H7V9h2z',
  upload: 'M11 20h2V9.8l4 4 1.4-1.4L12 6 5.6 12.4 7 13.8l4-4zM4 3h16v2H4z',
  menu: 'M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z',
  photos: 'M4 4h16a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm1 2v10l4-4 3 3 3-4 4 5V6zm3 1.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z',
  album: 'M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v9l4-4 4 4 2-2 4 4V5zm9 1a2 2 0 1 1 0 4 2 2 0 0 1 0-4z',
  search: 'M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z',
  map: 'M9 4 3 6v14l6-2 6 2 6-2V4l-6 2zm0 2.2 6 2v11.6l-6-2zM5 7.4l2-.7v11.6l-2 .7zm12 .8 2-.7v11.1l-2 .7z',
  settings: 'M12 8a4 4 0 1 1 0 8 4 4 0 0 1 0-8zm-1.4-6h2.8l.5 2.6 1.6.7 2.2-1.5 2 2-1.5 2.2.7 1.6 2.6.5v2.8l-2.6.5-.7 1.6 1.5 2.2-2 2-2.2-1.5-1.6.7-.5 2.6h-2.8l-.5-2.6-1.6-.7-2.2 1.5-2-2 1.5-2.2-.7-1.6L2 13.4v-2.8l2.6-.5.7-1.6-1.5-2.2 2-2 2.2 1.5 1.6-.7z',
  admin: 'M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5zm0 4a3 3 0 1 1 0 6 3 3 0 0 1 0-6zm0 8c2.5 0 5 1 5 2.5-1.2 1.9-3 3.2-5 3.9-2-.7-3.8-2-5-3.9C7 15 9.5 14 12 14z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  play: 'M8 5v14l11-7z',
  restore: 'M13 3a9 9 0 1 1-8.5 12h2.1A7 7 0 1 0 6.3 8H9l-4 4-4-4h3.1A9 9 0 0 1 13 3zm-1 5h2v4.6l3.5 2-1 1.7L12 13.7z',
  share: 'M18 16a3 3 0 1 1-2.9 3.7l-6.3-3.4a3 3 0 1 1 0-4.6l6.3-3.4A3 3 0 1 1 16 10l-6.3 3.3.1.7-.1.7 6.3 3.3A3 3 0 0 1 18 16z',
  edit: 'M4 17.2V20h2.8l8.3-8.3-2.8-2.8zM19.7 7a1 1 0 0 0 0-1.4l-1.3-1.3a1 1 0 0 0-1.4 0l-1.3 1.3 2.8 2.8z',
  logout: 'M10 3h10v18H10v-2h8V5h-8zm1 5 1.4 1.4L10.8 11H17v2h-6.2l1.6 1.6L11 16l-4-4z',
  star: 'M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4 6.5 20.3l1-6.2L3 9.7l6.2-.9z',
};

/** An inline SVG icon (decorative: hidden from screen readers). */
export function icon(name, size = 22) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[name] || ICONS.info);
  p.setAttribute('fill', 'currentColor');
  svg.append(p);
  return svg;
}

/** A button with an icon and an accessible name (label shown when `showLabel`). */
export function iconButton(name, label, onclick, opts = {}) {
  return h(
    'button.icon-btn' + (opts.cls ? '.' + opts.cls : ''),
    { type: 'button', title: label, 'aria-label': label, onclick, 'aria-pressed': opts.pressed === undefined ? undefined : String(!!opts.pressed) },
    icon(name, opts.size),
    opts.showLabel ? h('span.label', label) : null,
  );
}

let toastHost;
/** Shows a short message; `kind` is 'info' or 'error'. Announced to screen readers. */
export function toast(message, kind = 'info', ms = 4000) {
  if (!toastHost) {
    toastHost = h('div.toasts', { role: 'status', 'aria-live': 'polite' });
    document.body.append(toastHost);
  }
  const t = h('div.toast.' + kind, message);
  toastHost.append(t);
  setTimeout(() => t.remove(), ms);
}

/** Runs an async action and reports its failure as a toast; returns its value or undefined. */
export async function attempt(fn, done) {
  try {
    const r = await fn();
    if (done) toast(done);
    return r;
  } catch (e) {
    if (e && e.name !== 'AbortError') toast(e.message || String(e), 'error', 6000);
    return undefined;
  }
}

/**
 * A modal dialog. `build(close)` returns the body; resolves with what
 * `close(value)` was given (undefined on Esc or backdrop click).
 */
export function modal(title, build, opts = {}) {
  return new Promise((resolve) => {
    const dlg = h('dialog.modal' + (opts.wide ? '.wide' : ''), { 'aria-label': title });
    let settled = false;
    const close = (v) => {
      if (settled) return;
      settled = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(undefined);
    });
    dlg.addEventListener('click', (e) => {
      if (e.target === dlg) close(undefined);
    });
    dlg.append(h('h2', title), build(close));
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('[autofocus], input, select, textarea, button.primary');
    if (first) first.focus();
  });
}

/** Asks a yes/no question; resolves true on confirmation. */
export function confirmDialog(title, message, okLabel = 'OK', danger = false) {
  return modal(title, (close) =>
    h('div',
      h('p', message),
      h('div.actions',
        h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'),
        h('button.primary' + (danger ? '.danger' : ''), { type: 'button', onclick: () => close(true) }, okLabel)))).then(Boolean);
}

/** Asks for one line of text; resolves with it, or undefined when cancelled. */
export function promptDialog(title, label, value = '', okLabel = 'OK') {
  return modal(title, (close) => {
    const input = h('input', { type: 'text', value, autofocus: true, required: true, 'aria-label': label });
    return h('form', { onsubmit: (e) => { e.preventDefault(); close(input.value.trim()); } },
      h('label', label, input),
      h('div.actions',
        h('button', { type: 'button', onclick: () => close(undefined) }, 'Cancel'),
        h('button.primary', { type: 'submit' }, okLabel)));
  });
}

/** Escapes nothing: a helper to build a labelled form field. */
export function field(label, input, hint) {
  return h('label.field', h('span', label), input, hint ? h('small', hint) : null);
}
