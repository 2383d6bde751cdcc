// Why this file exists: the person's iCloud Photos connection in Settings —
// where a scheduled sync that waits at Apple's sign-in gets its code (the
// same /api/icloud routes a script or icloud-photos-sync habit would use),
// what the last sync did, when the next one runs, and when Apple's trust in
// this server ends. Connecting an Apple ID happens on the server
// (`keepsake icloud login`), where the password is typed.

import { get, post, put, ApiError } from './api.js';
import { h, attempt, toast, mount } from './dom.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** The iCloud card's body; it refreshes itself while a sync runs or waits. */
export function icloudPanel() {
  const el = h('div.icloud');
  let timer = null;
  // What is on screen: redrawn only when it changes, so a code being typed
  // is not wiped by the refresh.
  let shown = '';

  async function draw() {
    clearTimeout(timer);
    let s;
    try {
      s = await get('/icloud/state');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        mount(el, h('p.muted', 'No Apple ID is connected. On the server, run ',
          h('code', 'keepsake icloud login --user YOUR-EMAIL --apple-id APPLE-ID'),
          ' once; syncs can then run here on a schedule.'));
        return;
      }
      mount(el, h('p.error', e.message || String(e)));
      return;
    }
    const key = JSON.stringify([s.state, s.progressMsg, s.lastFinishedAt, s.prevError, s.nextSync, s.schedule, s.trustExpiresAt]);
    if (key !== shown) {
      shown = key;
      mount(el, ...view(s));
    }
    if (s.state !== 'ready' && el.isConnected !== false) timer = setTimeout(draw, 2000);
  }

  function view(s) {
    const out = [];
    const rows = [h('dt', 'Apple ID'), h('dd', s.appleId), h('dt', 'State'), h('dd', stateText(s))];
    if (s.lastFinishedAt) rows.push(h('dt', 'Last sync'), h('dd', new Date(s.lastFinishedAt).toLocaleString(),
      s.lastRunId ? h('small.muted', ` · run ${s.lastRunId.slice(0, 8)}`) : null));
    if (s.prevError) rows.push(h('dt', 'Last error'), h('dd.error', s.prevError.message));
    if (s.nextSync && s.state === 'ready') rows.push(h('dt', 'Next sync'), h('dd', new Date(s.nextSync).toLocaleString()));
    if (s.trustExpiresAt) rows.push(h('dt', 'Apple trusts this server until'), h('dd', new Date(s.trustExpiresAt).toLocaleDateString()));
    out.push(h('dl.kv', rows));
    if (s.trustExpiresAt && s.trustExpiresAt - Date.now() < WEEK_MS) {
      out.push(h('p.warning', { role: 'status' }, 'Apple’s trust in this server ends soon: run ',
        h('code', 'keepsake icloud login'), ' again, or the next sync will wait for a code.'));
    }
    if (s.state === 'blocked') out.push(codeForm(s));
    out.push(h('div.actions',
      h('button.primary', { type: 'button', disabled: s.state !== 'ready', onclick: async () => {
        if (await attempt(() => post('/icloud/sync'), 'Sync requested')) draw();
      } }, 'Sync now')));
    out.push(scheduleForm(s));
    return out;
  }

  function codeForm(s) {
    const code = h('input', { type: 'text', name: 'icloudCode', inputmode: 'numeric', autocomplete: 'one-time-code',
      pattern: '[0-9]{6}', maxlength: '6', required: true, 'aria-label': 'Six-digit code', autofocus: true });
    const phones = s.trustedPhoneNumbers || [];
    const resend = (method, id) => async () => {
      const q = id === undefined ? `method=${method}` : `method=${method}&phoneNumberId=${id}`;
      const r = await attempt(() => post('/icloud/resend_mfa?' + q));
      if (r) toast(r.message);
    };
    return h('form.narrow.icloud-code', {
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await attempt(() => post('/icloud/mfa?code=' + encodeURIComponent(code.value.trim())));
        if (r) {
          toast(r.message);
          code.value = '';
          shown = '';
          draw();
        }
      },
    },
    h('p', { role: 'alert' }, s.progressMsg || 'Apple sent a code to your devices.'),
    h('label.field', h('span', 'Code from Apple'), code),
    h('div.actions',
      h('button.primary', { type: 'submit' }, 'Send code'),
      h('button', { type: 'button', onclick: resend('device') }, 'New code on my devices'),
      ...phones.flatMap((p) => [
        h('button', { type: 'button', onclick: resend('sms', p.id) }, `Text ${p.numberWithDialCode}`),
        h('button', { type: 'button', onclick: resend('voice', p.id) }, `Call ${p.numberWithDialCode}`),
      ])));
  }

  function scheduleForm(s) {
    const schedule = h('input', { type: 'text', name: 'icloudSchedule', value: s.schedule || '', placeholder: '0 2 * * *',
      'aria-describedby': 'icloud-schedule-hint' });
    return h('form.narrow', {
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await attempt(() => put('/icloud/settings', { schedule: schedule.value.trim() }));
        if (r) {
          toast(r.schedule ? 'Schedule saved' : 'Scheduled syncs turned off');
          draw();
        }
      },
    },
    h('label.field', h('span', 'Schedule (cron)'), schedule),
    h('small.muted', { id: 'icloud-schedule-hint' }, 'Minute, hour, day, month, weekday in the server’s time zone; "0 2 * * *" is 2 a.m. daily. Empty: only when asked.'),
    h('div.actions', h('button', { type: 'submit' }, 'Save schedule')));
  }

  draw();
  return el;
}

function stateText(s) {
  if (s.state === 'blocked') return 'waiting for the code Apple sent';
  if (s.state === 'running') return s.progressMsg ? `syncing — ${s.progressMsg}` : 'syncing';
  return 'ready';
}
