// Intake: the caller is looked up as the number is typed (customer, appliances, warranty,
// recent repairs); a new customer or appliance is entered inline; then the ticket is
// created and the suggested technicians are offered at once.
import {
  api, el, errorText, offerTechnicians, t, toLocalInput, toast,
} from './office.js';

const form = document.getElementById('intake');
const status = document.getElementById('caller-status');
const candidates = document.getElementById('candidates');
const applianceList = document.getElementById('appliance-list');
const newAppliance = document.getElementById('new-appliance');
const warranty = document.getElementById('warranty');
const warnings = document.getElementById('warnings');
const customerNote = document.getElementById('customer-note');
const tierBadge = document.getElementById('tier-badge');
const CUSTOMER_FIELDS = ['name', 'region', 'address', 'tier'];
const APPLIANCE_FIELDS = ['category', 'brand', 'model', 'serial', 'purchase_date', 'warranty_months'];

let caller = null; // the last lookup's answer
let lookupSeq = 0;

const digits = (value) => value.replace(/[\s-]/g, '');

function addMonths(isoDate, months) {
  const [y, m, d] = isoDate.split('-').map(Number);
  const index = m - 1 + months;
  const year = y + Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

function today() {
  return toLocalInput(new Date().toISOString()).slice(0, 10);
}

function selectedAppliance() {
  const id = Number(form.querySelector('input[name="appliance_id"]:checked')?.value || 0);
  return caller?.appliances.find((a) => a.id === id) || null;
}

function showWarranty() {
  const chosen = selectedAppliance();
  const purchase = chosen ? chosen.purchase_date : form.purchase_date.value;
  const months = chosen ? chosen.warranty_months : Number(form.warranty_months.value || 0);
  warranty.className = 'warranty';
  if (!purchase) { warranty.textContent = t('no_purchase_date'); return; }
  const until = chosen?.warranty_until || addMonths(purchase, months);
  const inside = today() <= until;
  warranty.textContent = inside ? t('in_warranty', { date: until }) : t('out_of_warranty', { date: until });
  warranty.classList.add(inside ? 'ok' : 'warn');
}

function showWarnings() {
  warnings.textContent = '';
  const chosen = selectedAppliance();
  const fault = form.fault_category.value.trim();
  if (chosen && fault) {
    const repeat = chosen.recent_repairs.find((r) => r.fault_category === fault);
    if (repeat) {
      warnings.append(el('p', { class: 'warning strong', id: 'repeat-warning' }, t('repeat_warning', {
        number: repeat.number, date: toLocalInput(repeat.completed_at).slice(0, 10),
        days: caller.repeat_repair_days,
      })));
    }
  }
  if (chosen) {
    for (const open of caller.open_tickets.filter((o) => o.appliance_id === chosen.id)) {
      warnings.append(el('p', { class: 'warning' }, t('open_ticket_warning', { number: open.number })));
    }
  }
}

let prefilled = false; // the customer fields show a found customer, not what was typed

function setCustomer(customer) {
  for (const name of CUSTOMER_FIELDS) {
    const field = form.elements[name];
    // What the dispatcher typed for a new caller stays; a found customer's details go.
    if (customer) field.value = customer[name];
    else if (prefilled) field.value = name === 'tier' ? 'regular' : '';
    // The API keeps a known customer's stored details; say so rather than pretend to edit.
    field.disabled = Boolean(customer);
  }
  prefilled = Boolean(customer);
  tierBadge.textContent = '';
  if (customer?.tier === 'vip') tierBadge.append(el('span', { class: 'badge vip' }, t('vip')));
  customerNote.textContent = customer ? t('existing_customer') : t('no_customer');
}

function applianceOption(a) {
  const until = a.warranty_until;
  const statusText = !a.purchase_date ? t('no_purchase_date')
    : a.in_warranty ? t('in_warranty', { date: until }) : t('out_of_warranty', { date: until });
  return el('label', { class: 'appliance radio' },
    el('input', { type: 'radio', name: 'appliance_id', value: String(a.id) }),
    el('span', {}, el('strong', {}, `${a.brand} ${a.model}`), ` · ${a.category_label || ''}`,
      a.serial ? el('span', { class: 'mono muted' }, ` ${a.serial}`) : null),
    el('span', { class: a.in_warranty ? 'ok small' : 'warn small' }, statusText),
    a.recent_repairs.length
      ? el('span', { class: 'muted small' }, `${t('recent_repairs')}: `,
        a.recent_repairs.map((r) => `${r.number} (${r.fault_category})`).join(', '))
      : null);
}

function showCaller(data) {
  caller = data;
  candidates.textContent = '';
  candidates.hidden = true;
  applianceList.textContent = '';
  const categoryLabels = Object.fromEntries(
    [...form.category.options].map((o) => [o.value, o.textContent]),
  );
  if (data.customer) {
    status.textContent = `${data.customer.name} · ${data.customer.region}`;
    setCustomer(data.customer);
    for (const a of data.appliances) applianceList.append(applianceOption({ ...a, category_label: categoryLabels[a.category] }));
    const first = applianceList.querySelector('input[name="appliance_id"]');
    if (first) first.checked = true;
  } else {
    status.textContent = '';
    setCustomer(null);
    if (data.candidates.length) {
      candidates.hidden = false;
      candidates.append(el('li', { class: 'muted' }, t('candidates')));
      for (const c of data.candidates) {
        candidates.append(el('li', {}, el('button', {
          type: 'button', onclick: () => { form.phone.value = c.phone; lookup(); },
        }, `${c.phone} ${c.name}${c.tier === 'vip' ? ' · VIP' : ''}`)));
      }
    }
    form.querySelector('input[name="appliance_id"][value=""]').checked = true;
  }
  onApplianceChange();
}

async function lookup() {
  const phone = digits(form.phone.value);
  if (phone.length < 5) { showCaller({ customer: null, appliances: [], open_tickets: [], candidates: [] }); return; }
  const seq = ++lookupSeq;
  status.textContent = t('loading');
  const result = await api('GET', `/office/api/callers?phone=${encodeURIComponent(phone)}`);
  if (seq !== lookupSeq) return; // a newer keystroke won
  if (!result.ok) { status.textContent = t('failed', { message: errorText(result) }); return; }
  showCaller(result.data);
}

function onApplianceChange() {
  const chosen = selectedAppliance();
  newAppliance.hidden = Boolean(chosen);
  for (const name of APPLIANCE_FIELDS) form.elements[name].disabled = Boolean(chosen);
  showWarranty();
  showWarnings();
}

let timer = null;
form.phone.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(lookup, 200);
});
form.addEventListener('change', (event) => {
  if (event.target.name === 'appliance_id') onApplianceChange();
  if (['purchase_date', 'warranty_months'].includes(event.target.name)) showWarranty();
});
form.fault_category.addEventListener('input', showWarnings);
form.purchase_date.addEventListener('input', showWarranty);

function body() {
  const chosen = selectedAppliance();
  const value = (name) => form.elements[name].value.trim();
  const appliance = chosen
    ? { brand: chosen.brand, category: chosen.category, model: chosen.model, serial: chosen.serial,
        purchase_date: chosen.purchase_date, warranty_months: chosen.warranty_months }
    : { brand: value('brand'), category: value('category'), model: value('model'), serial: value('serial') || null,
        purchase_date: value('purchase_date') || null, warranty_months: Number(value('warranty_months') || 0) };
  return {
    customer: { name: value('name'), phone: digits(form.phone.value), address: value('address'),
      region: value('region'), tier: value('tier') },
    appliance,
    appliance_id: chosen ? chosen.id : null,
    fault: { category: value('fault_category'), description: value('description') },
    urgency: form.querySelector('input[name="urgency"]:checked').value,
    source: value('source'),
  };
}

function showCreated(ticket) {
  const created = document.getElementById('created');
  document.getElementById('created-title').textContent = t('created', { number: ticket.number });
  document.getElementById('created-summary').textContent =
    `${ticket.customer.name} · ${ticket.customer.region} · ${ticket.appliance.brand} ${ticket.appliance.model} · ${ticket.fault.category}`;
  document.getElementById('created-link').href = `/office/tickets/${ticket.id}`;
  created.hidden = false;
  form.hidden = true;
  offerTechnicians(ticket, document.getElementById('suggestions'), document.getElementById('schedule-form'), {
    onAssigned: () => { window.location.href = `/office/tickets/${ticket.id}`; },
  });
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = document.getElementById('form-error');
  error.hidden = true;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  const result = await api('POST', '/office/api/tickets', body());
  button.disabled = false;
  if (!result.ok) {
    error.textContent = t('failed', { message: errorText(result) });
    error.hidden = false;
    return;
  }
  toast(t('created', { number: result.data.number }));
  showCreated(result.data);
});

onApplianceChange();
setCustomer(null);
