// The dispatch board: click a ticket for suggestions (assign, reschedule, cancel), or drag
// it onto a technician's lane. The board re-renders from the server every 30 s, except
// while the drawer is open or a card is being dragged.
import {
  assign, autoRefresh, dispatchDrawer, startCountdowns, windowOf,
} from './office.js';

const root = document.getElementById('board-root');
let dragging = false;

function ticketOf(card) {
  return {
    id: Number(card.dataset.ticket), number: card.dataset.number,
    start: card.dataset.start || null, end: card.dataset.end || null,
    technician: card.dataset.technician || null,
    summary: card.querySelector('.card-body')?.textContent.trim(),
  };
}

const refresh = autoRefresh(root, {
  paused: () => dragging || drawer.isOpen(),
  onRefresh: applyLaneFilter,
});
const drawer = dispatchDrawer(document.getElementById('drawer'), { onDone: () => refresh() });

function select(card) {
  root.querySelectorAll('.card.selected').forEach((c) => c.classList.remove('selected'));
  card.classList.add('selected');
  drawer.open(ticketOf(card));
}

root.addEventListener('click', (event) => {
  const card = event.target.closest('.card');
  if (!card || event.target.closest('a')) return;
  select(card);
});
root.addEventListener('keydown', (event) => {
  const card = event.target.closest('.card');
  if (card && event.key === 'Enter') select(card);
});

// Drag a card onto a lane: assign (or reassign) to that technician at once.
root.addEventListener('dragstart', (event) => {
  const card = event.target.closest('.card');
  if (!card) return;
  dragging = true;
  event.dataTransfer.setData('text/plain', card.dataset.ticket);
  event.dataTransfer.effectAllowed = 'move';
});
root.addEventListener('dragend', () => {
  dragging = false;
  root.querySelectorAll('.drag-over').forEach((n) => n.classList.remove('drag-over'));
});
root.addEventListener('dragover', (event) => {
  const lane = event.target.closest('.lane');
  if (!lane) return;
  event.preventDefault();
  lane.classList.add('drag-over');
});
root.addEventListener('dragleave', (event) => {
  const lane = event.target.closest('.lane');
  if (lane && !lane.contains(event.relatedTarget)) lane.classList.remove('drag-over');
});
root.addEventListener('drop', async (event) => {
  const lane = event.target.closest('.lane');
  if (!lane) return;
  event.preventDefault();
  dragging = false;
  lane.classList.remove('drag-over');
  const card = root.querySelector(`.card[data-ticket="${event.dataTransfer.getData('text/plain')}"]`);
  if (!card || card.dataset.technician === lane.dataset.drop) return;
  const load = Number(lane.dataset.load);
  const capacity = Number(lane.dataset.capacity);
  const ticket = ticketOf(card);
  const window_ = windowOf(ticket);
  const result = await assign(ticket.id, {
    username: lane.dataset.drop, display_name: lane.dataset.name, load, capacity,
    over_capacity: load + 1 > capacity,
  }, window_);
  if (result?.ok) refresh();
});

// Filter the lanes by name, region or skill as you type.
function applyLaneFilter() {
  const input = document.getElementById('lane-filter');
  const text = (input?.value || '').trim().toLowerCase();
  for (const lane of root.querySelectorAll('.lane')) {
    lane.hidden = Boolean(text) && !lane.dataset.filter.toLowerCase().includes(text);
  }
}
root.addEventListener('input', (event) => { if (event.target.id === 'lane-filter') applyLaneFilter(); });

startCountdowns();
