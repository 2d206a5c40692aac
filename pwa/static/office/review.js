// The review queue: resolve a flag or a rejected mutation with a note.
import { api, errorText, t, toast } from './office.js';

document.getElementById('review')?.addEventListener('submit', async (event) => {
  const form = event.target.closest('form.resolve');
  if (!form) return;
  event.preventDefault();
  const note = form.note.value.trim();
  if (!note) { toast(t('note_required'), { bad: true }); form.note.focus(); return; }
  const button = form.querySelector('button');
  button.disabled = true;
  const result = await api('POST', form.dataset.url, { note });
  button.disabled = false;
  if (!result.ok) {
    toast(t('failed', { message: errorText(result) }), { bad: true });
    return;
  }
  const row = form.closest('tr');
  row.classList.add('done');
  form.replaceWith(document.createTextNode(`${t('resolved')}: ${note}`));
  const count = document.querySelector('h1 .count');
  if (count) count.textContent = String(Math.max(0, Number(count.textContent) - 1));
  toast(t('resolved'));
});
