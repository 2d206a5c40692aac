// Client-side addresses under /app/. The server answers every one of them with the same
// shell (backend/web/views.py), and so does the service worker offline, so each screen
// has a real URL that survives a reload and can be opened as a deep link.
const ROUTES = [
  ['jobs', /^\/app\/?$/],
  ['login', /^\/app\/login\/?$/],
  ['sync', /^\/app\/sync\/?$/],
  ['earnings', /^\/app\/earnings\/?$/],
  ['job', /^\/app\/job\/(\d+)\/?$/],
  ['parts', /^\/app\/job\/(\d+)\/parts\/?$/],
  ['fees', /^\/app\/job\/(\d+)\/fees\/?$/],
  ['complete', /^\/app\/job\/(\d+)\/complete\/?$/],
  ['receipt', /^\/app\/job\/(\d+)\/receipt\/?$/],
];

export function parseRoute(pathname) {
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(pathname);
    if (match) return match[1] === undefined ? { name } : { name, id: Number(match[1]) };
  }
  return { name: 'not_found' };
}

export function pathFor(name, id) {
  switch (name) {
    case 'jobs': return '/app/';
    case 'login': return '/app/login';
    case 'sync': return '/app/sync';
    case 'earnings': return '/app/earnings';
    case 'job': return `/app/job/${id}`;
    default: return `/app/job/${id}/${name}`;
  }
}
