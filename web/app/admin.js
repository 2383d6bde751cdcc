// Why this file exists: the administrator's page — users (create, storage
// quota, delete), the job queues (counts, pause/resume, run the step for
// assets that miss it or for all, clear failed), and the server's statistics
// and disk usage. Shown only to admins; the server enforces it anyway.

import { get, post, put, del } from './api.js';
import { h, attempt, toast, modal, confirmDialog, mount } from './dom.js';
import { bytes, count } from './format.js';

const QUEUE_TITLES = {
  thumbnailGeneration: 'Thumbnails and previews',
  metadataExtraction: 'Metadata (dates, camera, places)',
  videoConversion: 'Video conversion',
  sidecar: 'Sidecar files',
  backgroundTask: 'Background tasks',
  library: 'Library',
};
/** Queues whose "start" means "process assets" (Missing/All make sense). */
const MEDIA_QUEUES = new Set(['thumbnailGeneration', 'metadataExtraction', 'videoConversion', 'sidecar']);

function card(title, ...body) {
  return h('section.card', h('h2', title), ...body);
}

export function adminPage(session) {
  if (!session.user.isAdmin) {
    return { el: h('section.page', h('h1', 'Administration'), h('p', 'Only administrators can see this page.')) };
  }
  const users = h('div');
  const queues = h('div');
  const stats = h('div');
  const el = h('section.page.admin-page',
    h('header.page-head', h('div.titles', h('h1', 'Administration'))),
    card('Users', users),
    card('Jobs', h('p.muted', '“Missing” runs a step for assets that never had it; “All” runs it again for every asset.'), queues),
    card('Server', stats));

  async function drawUsers() {
    const list = (await attempt(() => get('/admin/users'))) || [];
    mount(users, 
      h('table.table',
        h('thead', h('tr', h('th', 'Name'), h('th', 'Email'), h('th', 'Used'), h('th', 'Quota'), h('th', h('span.sr-only', 'Actions')))),
        h('tbody', list.map((u) => h('tr',
          h('td', u.name, u.isAdmin ? h('span.tag', 'Admin') : null),
          h('td', u.email),
          h('td', bytes(u.quotaUsageInBytes || 0)),
          h('td', u.quotaSizeInBytes ? bytes(u.quotaSizeInBytes) : 'Unlimited'),
          h('td.row-actions',
            h('button', { type: 'button', onclick: () => editQuota(u) }, 'Quota'),
            u.id === session.user.id ? null : h('button.danger', { type: 'button', onclick: () => removeUser(u) }, 'Delete')))))),
      h('button.primary', { type: 'button', onclick: createUser }, 'Create user'));
  }

  async function createUser() {
    const r = await modal('Create user', (close) => {
      const email = h('input', { type: 'email', name: 'email', required: true, autofocus: true });
      const name = h('input', { type: 'text', name: 'name', required: true });
      const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'new-password' });
      const quota = h('input', { type: 'number', name: 'quota', min: '0', step: 'any', placeholder: 'Unlimited' });
      const change = h('input', { type: 'checkbox', name: 'shouldChangePassword', checked: true });
      const admin = h('input', { type: 'checkbox', name: 'isAdmin' });
      return h('form', {
        onsubmit: (e) => {
          e.preventDefault();
          close({
            email: email.value.trim(), name: name.value.trim(), password: password.value,
            quotaSizeInBytes: quota.value ? Math.round(Number(quota.value) * 1024 ** 3) : null,
            shouldChangePassword: change.checked, isAdmin: admin.checked,
          });
        },
      },
      h('label.field', h('span', 'Email'), email),
      h('label.field', h('span', 'Name'), name),
      h('label.field', h('span', 'Password'), password),
      h('label.field', h('span', 'Quota (GiB)'), quota),
      h('label.check', change, ' Must change the password at first login'),
      h('label.check', admin, ' Administrator'),
      h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Create')));
    });
    if (!r) return;
    if (await attempt(() => post('/admin/users', r))) {
      toast(`Created ${r.email}`);
      drawUsers();
    }
  }

  async function editQuota(u) {
    const r = await modal(`Quota of ${u.name}`, (close) => {
      const quota = h('input', { type: 'number', min: '0', step: 'any', placeholder: 'Unlimited', autofocus: true, value: u.quotaSizeInBytes ? String(u.quotaSizeInBytes / 1024 ** 3) : '' });
      return h('form', { onsubmit: (e) => { e.preventDefault(); close({ quota: quota.value }); } },
        h('label.field', h('span', 'Quota in GiB (empty: unlimited)'), quota),
        h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Save')));
    });
    if (!r) return;
    const body = { quotaSizeInBytes: r.quota ? Math.round(Number(r.quota) * 1024 ** 3) : null };
    if (await attempt(() => put('/admin/users/' + u.id, body))) {
      toast('Quota saved');
      drawUsers();
    }
  }

  async function removeUser(u) {
    if (!(await confirmDialog(`Delete ${u.name}?`, `${u.email} will no longer be able to log in, and their photos will be deleted.`, 'Delete user', true))) return;
    if (await attempt(() => del('/admin/users/' + u.id, {}))) {
      toast(`Deleted ${u.email}`);
      drawUsers();
    }
  }

  async function drawQueues() {
    const list = (await attempt(() => get('/queues'))) || [];
    mount(queues, h('ul.queues', list.map((q) => {
      const s = q.statistics;
      const cmd = (command, force) => async () => {
        if (await attempt(() => put('/jobs/' + q.name, { command, force }))) {
          toast(`${QUEUE_TITLES[q.name] || q.name}: ${command}${force ? ' (all)' : ''}`);
          drawQueues();
        }
      };
      return h('li.queue', { 'data-queue': q.name },
        h('div.q-head', h('h3', QUEUE_TITLES[q.name] || q.name), q.isPaused ? h('span.tag', 'Paused') : null),
        h('p.q-counts', `${count(s.active)} active · ${count(s.waiting)} waiting · ${count(s.delayed)} delayed · ${count(s.failed)} failed · ${count(s.completed)} done`),
        h('div.q-actions',
          MEDIA_QUEUES.has(q.name) ? [
            h('button', { type: 'button', onclick: cmd('start', false) }, 'Missing'),
            h('button', { type: 'button', onclick: cmd('start', true) }, 'All'),
          ] : null,
          h('button', { type: 'button', onclick: async () => {
            if (await attempt(() => put('/queues/' + q.name, { isPaused: !q.isPaused }))) drawQueues();
          } }, q.isPaused ? 'Resume' : 'Pause'),
          s.failed ? h('button', { type: 'button', onclick: cmd('clear-failed', false) }, 'Clear failed') : null));
    })), h('button', { type: 'button', onclick: drawQueues }, 'Refresh'));
  }

  async function drawStats() {
    const [st, disk] = await Promise.all([attempt(() => get('/server/statistics')), attempt(() => get('/server/storage'))]);
    mount(stats, 
      st ? h('dl.kv', h('dt', 'Photos'), h('dd', count(st.photos)), h('dt', 'Videos'), h('dd', count(st.videos)), h('dt', 'Library size'), h('dd', bytes(st.usage))) : null,
      disk ? h('div.disk', h('p', `Disk: ${disk.diskUse} used of ${disk.diskSize} (${disk.diskAvailable} free)`),
        h('progress', { max: '100', value: String(disk.diskUsagePercentage), 'aria-label': 'Disk usage' })) : null,
      st && st.usageByUser && st.usageByUser.length ? h('table.table',
        h('thead', h('tr', h('th', 'User'), h('th', 'Photos'), h('th', 'Videos'), h('th', 'Size'))),
        h('tbody', st.usageByUser.map((u) => h('tr', h('td', u.userName), h('td', count(u.photos)), h('td', count(u.videos)), h('td', bytes(u.usage)))))) : null);
  }

  drawUsers();
  drawQueues();
  drawStats();
  return { el, title: 'Administration' };
}
