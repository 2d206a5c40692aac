// The customer's signature: signature_pad on a canvas sized for devicePixelRatio, kept
// when the canvas is resized (the phone turned), saved as a PNG image plus the vector
// point groups (toData), which fromData can redraw and a PNG cannot.
import SignaturePad from 'signature_pad';
import { h, uid } from './ui.js';

// Pads on screen: the update offer waits while one holds strokes (an update reloads the
// page, and the strokes would be lost).
const mounted = new Set();

export function padsHaveStrokes() {
  return [...mounted].some((field) => !field.isEmpty());
}

// The canvas backing store for a CSS size: device pixels, never below 1:1, or strokes
// blur on phones (signature_pad README, "Handling high DPI screens").
export function backingStoreSize(cssWidth, cssHeight, devicePixelRatio) {
  const ratio = Math.max(devicePixelRatio || 1, 1);
  return { width: Math.round(cssWidth * ratio), height: Math.round(cssHeight * ratio), ratio };
}

// The image to store: PNG bytes. toDataURL encodes at once; Chromium's toBlob waits for
// idle time, which a busy phone may not give for seconds while the customer waits.
export function toPngBytes(canvas) {
  const base64 = canvas.toDataURL('image/png').split(',')[1];
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
}

// A labelled signing field. `label` is visible; `clearLabel` names the button.
// Returns {node, isEmpty(), clear(), toImage() -> {bytes, type, vector}, destroy()}.
export function signatureField({ label, clearLabel, onChange = () => {} }) {
  const id = uid('signature');
  const canvas = h('canvas', { id, class: 'signature-canvas', role: 'img', 'aria-label': label });
  const pad = new SignaturePad(canvas, { penColor: '#111', minWidth: 0.8, maxWidth: 2.6 });

  function resize() {
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const { width, height, ratio } = backingStoreSize(rect.width, rect.height, globalThis.devicePixelRatio);
    if (canvas.width === width && canvas.height === height) return;
    // Resizing clears the canvas: redraw the strokes from their points so that what is
    // shown and isEmpty() agree (signature_pad README, "Handling canvas resize").
    const data = pad.toData();
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d').scale(ratio, ratio);
    pad.fromData(data);
  }
  const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(resize) : null;
  observer?.observe(canvas);
  pad.addEventListener('endStroke', () => onChange());

  const clear = h('button', { type: 'button', class: 'secondary small', onClick: () => { pad.clear(); onChange(); } },
    clearLabel);
  const node = h('div', { class: 'signature' },
    h('p', { class: 'signature-label', id: `${id}-label` }, label),
    h('div', { class: 'signature-frame' }, canvas),
    h('div', { class: 'signature-tools' }, clear));

  const field = {
    node,
    canvas,
    isEmpty: () => pad.isEmpty(),
    clear() {
      pad.clear();
      onChange();
    },
    toImage() {
      return { bytes: toPngBytes(canvas), type: 'image/png', vector: pad.toData() };
    },
    destroy() {
      observer?.disconnect();
      pad.off();
      mounted.delete(field);
    },
  };
  mounted.add(field);
  return field;
}

// Records what the pad holds through `record(image)`, the button disabled meanwhile.
// On failure the strokes stay on the pad, so trying again loses nothing. -> saved?
export async function savePad(pad, button, record) {
  button.disabled = true;
  try {
    await record(pad.toImage());
    pad.clear();
    return true;
  } catch (error) {
    console.error('signature not saved', error);
    return false;
  } finally {
    button.disabled = false;
  }
}

// Forget pads no longer in the document (their screen was left).
export function forgetDetachedPads() {
  for (const field of mounted) {
    if (!field.node.isConnected) field.destroy();
  }
}
