// The SLA page: countdowns tick every 30 s; the lists re-render from the server every 30 s.
import { autoRefresh, startCountdowns } from './office.js';

startCountdowns();
autoRefresh(document.getElementById('sla-root'));
