// The ticket page: countdown, and the same assign/schedule/cancel drawer as the board.
import { dispatchDrawer, startCountdowns } from './office.js';

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
