// A few DOM helpers for the screens: elements are built with h(), never from HTML strings,
// so customer names and server messages can never inject markup.

let nextId = 0;

// A unique id, for <label for> and aria-describedby.
export function uid(prefix = 'f') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('button', {class: 'primary', onClick: fn, 'aria-label': '...'}, 'text', childNode, [more])
// `value`, `checked` and `selected` are set as properties after the children (a <select>'s
// value needs its options first); false, null and undefined attributes are left out.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      late[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  appendChildren(el, children);
  Object.assign(el, late);
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

// A labelled field: label above the control, optional hint below (aria-describedby).
export function field(label, control, hint) {
  const id = control.id || uid('field');
  control.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

// A checkbox or radio with its label as one large touch target.
export function choice(type, { name, value, checked, label, onChange, hint }) {
  const input = h('input', { type, name, value, checked: Boolean(checked), onChange });
  return h('label', { class: 'choice' }, input, h('span', null, label, hint ? h('small', null, hint) : null));
}

// Runs `change` and puts focus and scroll back where they were when the element that
// had focus (found again by id) survived the repaint.
export async function keepingFocus(change) {
  const active = document.activeElement;
  const id = active && active !== document.body ? active.id : null;
  const scroll = window.scrollY;
  await change();
  if (id && document.activeElement !== document.getElementById(id)) {
    document.getElementById(id)?.focus({ preventScroll: true });
  }
  window.scrollTo(0, scroll);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export const ICONS = {
  pin: 'M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z',
  phone: 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z',
};

// A decorative inline icon (no icon font: one less file, and no tofu without emoji fonts).
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
