// The job: who and what, "On my way" and "Arrived" (time, optional location), the arrival
// checklist from the catalog, the diagnosis (codes searched offline) and photos.
import {
  applianceText, mapLink, notice, phoneLink, scheduleText, section, slaBadge, urgencyBadge, warrantyBadge,
} from '../components.js';
import { formatTime, language, t } from '../i18n.js';
import {
  checklistAnswers, checklistFor, currentVisit, diagnosisFor, lastVisit, localName, workingVisit,
} from '../model.js';
import { compressPhoto } from '../photo.js';
import { searchCodes } from '../search.js';
import * as store from '../store.js';
import { choice, field, fill, h } from '../ui.js';

const LOCATION_PREF = 'fieldsync.arrival_location';

// A position if the phone gives one quickly; arriving never waits for it longer than this,
// and the technician can skip it.
function locate(timeoutMs, skipSignal) {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    skipSignal.addEventListener('abort', () => { clearTimeout(timer); resolve(null); });
    navigator.geolocation.getCurrentPosition(
      (position) => { clearTimeout(timer); resolve({ lat: position.coords.latitude, lng: position.coords.longitude }); },
      () => { clearTimeout(timer); resolve(null); },
      { timeout: timeoutMs, maximumAge: 120_000, enableHighAccuracy: false },
    );
  });
}

function codeOptions(select, codes, selected, lang) {
  const keep = selected && !codes.some((c) => c.code === selected)
    ? [{ code: selected, description: selected }] : [];
  fill(select,
    h('option', { value: '' }, t('diagnosis.choose')),
    [...keep, ...codes].map((c) => h('option', { value: c.code }, `${c.code} · ${localName(c, lang, 'description')}`)));
  select.value = selected ?? '';
}

export default async function job({ route }) {
  const ticketId = route.id;
  let row = await store.ticketRow(ticketId);
  if (!row) {
    const node = h('div', { class: 'screen' }, h('h1', null, t('job.not_found')), notice('warn', t('job.not_found_text')));
    return { node, title: t('job.not_found') };
  }
  const catalog = await store.catalog();
  const lang = language();

  const facts = h('section', { class: 'card facts' });
  const visitCard = h('div');
  const checklistCard = h('div');
  const photosList = h('div', { class: 'photos' });
  const diagnosisSaved = h('div', { class: 'saved' });
  const status = h('p', { class: 'form-message', role: 'status' });

  // --- visit: on my way, arrived ---
  const useLocation = h('input', { type: 'checkbox', id: 'arrival-location',
    checked: localStorage.getItem(LOCATION_PREF) === '1' });
  useLocation.addEventListener('change', () => localStorage.setItem(LOCATION_PREF, useLocation.checked ? '1' : '0'));

  async function depart() {
    const visitId = currentVisit(row.view)?.id ?? store.newId();
    await store.act('visit.depart', ticketId, { visit_id: visitId });
  }

  async function arrive() {
    const at = new Date();
    const visitId = currentVisit(row.view)?.id ?? store.newId();
    let position = null;
    if (useLocation.checked) {
      const skip = new AbortController();
      const skipButton = h('button', { type: 'button', class: 'secondary small', onClick: () => skip.abort() }, t('visit.skip_location'));
      fill(status, t('visit.locating'), ' ', skipButton);
      position = await locate(5000, skip.signal);
      fill(status, '');
    }
    await store.act('visit.arrive', ticketId, { visit_id: visitId, lat: position?.lat ?? null, lng: position?.lng ?? null }, { at });
  }

  function paintVisit() {
    const visit = currentVisit(row.view);
    const last = lastVisit(row.view);
    const closed = row.view.status === 'completed' || row.view.status === 'cancelled';
    const done = !visit && last?.completed_at ? last : null;
    const departed = visit?.departed_at;
    const arrived = visit?.arrived_at;
    const buttons = done && closed ? null : h('div', { class: 'button-row' },
      h('button', { type: 'button', id: 'visit-depart', class: departed ? 'secondary' : 'primary', onClick: depart,
        disabled: Boolean(departed || arrived) }, departed ? t('visit.departed_at', { time: formatTime(departed).slice(11) }) : t('visit.depart')),
      h('button', { type: 'button', id: 'visit-arrive', class: arrived ? 'secondary' : 'primary', onClick: arrive,
        disabled: Boolean(arrived) }, arrived ? t('visit.arrived_at', { time: formatTime(arrived).slice(11) }) : t('visit.arrive')));
    fill(visitCard, section(t('visit.title'),
      done ? notice('ok', t('complete.done', { resolution: t(`resolution.${done.resolution}`), time: formatTime(done.completed_at) }),
        { id: 'visit-done' }) : null,
      done && !closed ? h('p', { class: 'note' }, t('visit.next')) : null,
      buttons,
      arrived && visit.lat !== null && visit.lat !== undefined
        ? h('p', { class: 'note' }, t('visit.location', { lat: visit.lat.toFixed(5), lng: visit.lng.toFixed(5) })) : null,
      arrived || (done && closed) ? null : h('label', { class: 'choice' }, useLocation, h('span', null, t('visit.add_location'))),
      status));
  }

  // --- arrival checklist ---
  function paintChecklist() {
    const visit = workingVisit(row.view);
    const template = checklistFor(catalog, 'arrival', row.view.appliance?.category);
    if (!template) {
      fill(checklistCard);
      return;
    }
    const answers = visit ? checklistAnswers(row.view, visit.id) : new Map();
    const items = template.items.map((item) => {
      const box = choice('checkbox', {
        name: `arrival-${item.item_code}`, checked: answers.get(item.item_code) === true,
        label: localName(item, lang, 'label'),
        onChange: (event) => store.act('checklist.answer', ticketId, {
          visit_id: visit.id, item_code: item.item_code, value: event.target.checked }),
      });
      const input = box.querySelector('input');
      input.id = `arrival-${item.item_code}`;
      input.disabled = !visit;
      return box;
    });
    fill(checklistCard, section(t('checklist.arrival'),
      visit ? null : notice('info', t('visit.start_first')),
      h('fieldset', { class: 'choices' }, h('legend', { class: 'visually-hidden' }, t('checklist.arrival')), items)));
  }

  // --- diagnosis: built once (the technician may be typing), the saved one repainted ---
  const category = row.view.appliance?.category;
  const codes = catalog.fault_codes ?? [];
  const existing = () => { const v = workingVisit(row.view); return v ? diagnosisFor(row.view, v.id) : null; };
  const first = existing();
  const search = h('input', { type: 'search', id: 'diagnosis-search', autocomplete: 'off', enterkeyhint: 'search' });
  const selects = {
    fault: h('select', { id: 'diagnosis-fault', name: 'fault_code' }),
    cause: h('select', { id: 'diagnosis-cause', name: 'cause_code' }),
    handling: h('select', { id: 'diagnosis-handling', name: 'handling_code' }),
  };
  const initial = {
    fault: first?.fault_code ?? (codes.some((c) => c.code === row.view.fault?.category) ? row.view.fault.category : ''),
    cause: first?.cause_code ?? '',
    handling: first?.handling_code ?? '',
  };
  const filterCodes = () => {
    for (const kind of Object.keys(selects)) {
      const chosen = selects[kind].value || initial[kind];
      codeOptions(selects[kind], searchCodes(codes, kind, search.value, { category }), chosen, lang);
    }
  };
  search.addEventListener('input', () => {
    for (const kind of Object.keys(selects)) initial[kind] = selects[kind].value;
    filterCodes();
  });
  filterCodes();
  const notes = h('textarea', { id: 'diagnosis-notes', rows: 3, maxlength: 4000, value: first?.notes ?? '' });
  const saveDiagnosis = h('button', { type: 'submit', class: 'primary', id: 'diagnosis-save' }, t('diagnosis.save'));
  const diagnosisForm = h('form', { class: 'stack', onSubmit: async (event) => {
    event.preventDefault();
    const visit = workingVisit(row.view);
    if (!visit) { fill(diagnosisSaved, notice('warn', t('visit.start_first'))); return; }
    if (!selects.fault.value) { fill(diagnosisSaved, notice('warn', t('diagnosis.fault_required'))); selects.fault.focus(); return; }
    await store.act('diagnosis.record', ticketId, {
      visit_id: visit.id, fault_code: selects.fault.value, cause_code: selects.cause.value || null,
      handling_code: selects.handling.value || null, notes: notes.value.trim() || null });
  } },
  field(t('diagnosis.search'), search, t('diagnosis.search_hint')),
  field(t('diagnosis.fault'), selects.fault),
  field(t('diagnosis.cause'), selects.cause),
  field(t('diagnosis.handling'), selects.handling),
  field(t('diagnosis.notes'), notes),
  saveDiagnosis, diagnosisSaved);

  function paintDiagnosis() {
    const saved = existing();
    fill(diagnosisSaved, saved ? notice('ok', t('diagnosis.saved', {
      codes: [saved.fault_code, saved.cause_code, saved.handling_code].filter(Boolean).join(' / '),
      time: formatTime(saved.at).slice(11) })) : null);
  }

  // --- photos ---
  const photoInput = h('input', { type: 'file', id: 'photo-input', accept: 'image/*', capture: 'environment', class: 'file-input' });
  const caption = h('input', { id: 'photo-caption', maxlength: 500 });
  const photoStatus = h('p', { class: 'form-message', role: 'status' });
  photoInput.addEventListener('change', async () => {
    const file = photoInput.files?.[0];
    if (!file) return;
    fill(photoStatus, t('photo.compressing'));
    try {
      const image = await compressPhoto(file);
      const blob = await store.imageBlob(image);
      await store.act('photo.attach', ticketId, { blob: blob.sha256, caption: caption.value.trim() || null }, { blobs: [blob] });
      fill(photoStatus, t('photo.saved', { size: Math.round(image.bytes.byteLength / 1024) }));
      caption.value = '';
    } catch (error) {
      console.error(error);
      fill(photoStatus, t('photo.failed'));
    }
    photoInput.value = '';
  });

  async function paintPhotos() {
    const photos = row.view.photos ?? [];
    const thumbs = await Promise.all(photos.map(async (photo) => {
      const blob = await store.getBlob(photo.blob);
      if (!blob) return h('li', { class: 'photo-missing' }, photo.caption || t('photo.on_server'));
      const url = URL.createObjectURL(new Blob([blob.bytes], { type: blob.type }));
      return h('li', null, h('img', { src: url, alt: photo.caption || t('photo.alt'), onLoad: () => URL.revokeObjectURL(url) }));
    }));
    fill(photosList, thumbs.length ? h('ul', { class: 'thumbs' }, thumbs) : h('p', { class: 'note' }, t('photo.none')));
  }

  function paintFacts() {
    const ticket = row.view;
    const customer = ticket.customer ?? {};
    fill(facts,
      row.removed ? notice('warn', t('ticket.removed')) : null,
      h('p', { class: 'when' }, scheduleText(ticket), ' ', slaBadge(ticket, new Date())),
      h('p', { class: 'badges' }, urgencyBadge(ticket.urgency), warrantyBadge(ticket.appliance),
        h('span', { class: 'badge muted' }, t(`status.${ticket.status}`))),
      h('dl', { class: 'facts-list' },
        h('dt', null, t('ticket.appliance')), h('dd', null, applianceText(ticket.appliance),
          ticket.appliance?.serial ? h('small', { class: 'note' }, `SN ${ticket.appliance.serial}`) : null),
        h('dt', null, t('ticket.fault')), h('dd', null, ticket.fault?.description || ticket.fault?.category || ''),
        h('dt', null, t('ticket.address')), h('dd', null, customer.address ? mapLink(customer.address) : ''),
        h('dt', null, t('ticket.phone')), h('dd', null, customer.phone ? phoneLink(customer.phone) : ''),
        h('dt', null, t('ticket.number')), h('dd', null, ticket.number ?? String(ticket.id))));
  }

  async function paint() {
    paintFacts();
    paintVisit();
    paintChecklist();
    paintDiagnosis();
    await paintPhotos();
  }

  // Opening read the ticket above; a later change reads it again.
  async function refresh() {
    row = (await store.ticketRow(ticketId)) ?? row;
    await paint();
  }
  await paint();

  const title = row.view.customer?.name ?? row.view.number;
  const node = h('div', { class: 'screen job' },
    h('h1', null, title),
    facts, visitCard, checklistCard,
    section(t('diagnosis.title'), diagnosisForm),
    section(t('photo.title'), h('div', { class: 'stack' },
      field(t('photo.caption'), caption),
      h('div', { class: 'field' }, photoInput, h('label', { for: 'photo-input', class: 'button secondary file-button' }, t('photo.take'))),
      photoStatus, photosList)));
  return { node, title, header: row.view.number, refresh };
}
