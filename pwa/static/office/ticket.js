// The ticket page: countdown, and the same assign/schedule/cancel drawer as the board.
import { api, dispatchDrawer, errorText, startCountdowns, toast } from './office.js';

startCountdowns();
const page = document.querySelector('.ticket-page');
const drawerNode = document.getElementById('drawer');
if (page && drawerNode) {
  const drawer = dispatchDrawer(drawerNode, { onDone: () => window.location.reload() });
  document.getElementById('open-dispatch')?.addEventListener('click', () => drawer.open({
    id: Number(page.dataset.ticket), number: page.dataset.number,
    start: page.dataset.start || null, end: page.dataset.end || null,
  }));
}

// "Customer contacted": meets the contact SLA and leaves the note in the timeline.
document.getElementById('contact-form')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const note = event.target.note.value.trim();
  const result = await api('POST', `/api/tickets/${page.dataset.ticket}/contact`, { note });
  if (result.ok) window.location.reload();
  else toast(errorText(result), { bad: true });
});
