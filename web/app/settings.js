// Why this file exists: the person's own settings — account, change
// password, API keys (create with chosen permissions, shown once; revoke),
// login sessions (list, revoke), the iCloud Photos connection (icloud.js),
// and the map's tile server, which is kept in
// this browser (localStorage) because it is a display choice.

import { get, post, del } from './api.js';
import { h, attempt, toast, modal, confirmDialog, mount } from './dom.js';
import { bytes } from './format.js';
import { DEFAULT_TILE_URL, DEFAULT_ATTRIBUTION, tileSettings } from './map.js';
import { icloudPanel } from './icloud.js';

/** Immich 3.1's `Permission` enum (OpenAPI), less the deprecated/admin-only ones people rarely want. */
export const PERMISSIONS = ['all', 'activity.create', 'activity.read', 'activity.update', 'activity.delete', 'activity.statistics', 'apiKey.create', 'apiKey.read', 'apiKey.update', 'apiKey.delete', 'asset.read', 'asset.update', 'asset.delete', 'asset.statistics', 'asset.share', 'asset.view', 'asset.download', 'asset.upload', 'asset.copy', 'asset.derive', 'asset.edit.get', 'asset.edit.create', 'asset.edit.delete', 'album.create', 'album.read', 'album.update', 'album.delete', 'album.statistics', 'album.share', 'album.download', 'albumAsset.create', 'albumAsset.delete', 'albumUser.create', 'albumUser.update', 'albumUser.delete', 'auth.changePassword', 'authDevice.delete', 'archive.read', 'backup.list', 'backup.download', 'backup.upload', 'backup.delete', 'duplicate.read', 'duplicate.delete', 'face.create', 'face.read', 'face.update', 'face.delete', 'folder.read', 'job.create', 'job.read', 'library.create', 'library.read', 'library.update', 'library.delete', 'library.statistics', 'timeline.read', 'timeline.download', 'maintenance', 'map.read', 'map.search', 'memory.create', 'memory.read', 'memory.update', 'memory.delete', 'memory.statistics', 'memoryAsset.create', 'memoryAsset.delete', 'notification.create', 'notification.read', 'notification.update', 'notification.delete', 'partner.create', 'partner.read', 'partner.update', 'partner.delete', 'person.create', 'person.read', 'person.update', 'person.delete', 'person.statistics', 'person.merge', 'person.reassign', 'pinCode.create', 'pinCode.update', 'pinCode.delete', 'plugin.create', 'plugin.read', 'plugin.update', 'plugin.delete', 'server.about', 'server.apkLinks', 'server.storage', 'server.statistics', 'server.versionCheck', 'serverLicense.read', 'serverLicense.update', 'serverLicense.delete', 'session.create', 'session.read', 'session.update', 'session.delete', 'session.lock', 'sharedLink.create', 'sharedLink.read', 'sharedLink.update', 'sharedLink.delete', 'stack.create', 'stack.read', 'stack.update', 'stack.delete', 'sync.stream', 'syncCheckpoint.read', 'syncCheckpoint.update', 'syncCheckpoint.delete', 'systemConfig.read', 'systemConfig.update', 'systemMetadata.read', 'systemMetadata.update', 'tag.create', 'tag.read', 'tag.update', 'tag.delete', 'tag.asset', 'user.read', 'user.update', 'userLicense.create', 'userLicense.read', 'userLicense.update', 'userLicense.delete', 'userOnboarding.read', 'userOnboarding.update', 'userOnboarding.delete', 'userPreference.read', 'userPreference.update', 'userProfileImage.create', 'userProfileImage.read', 'userProfileImage.update', 'userProfileImage.delete', 'queue.read', 'queue.update', 'queueJob.create', 'queueJob.read', 'queueJob.update', 'queueJob.delete', 'workflow.create', 'workflow.read', 'workflow.update', 'workflow.delete', 'adminUser.create', 'adminUser.read', 'adminUser.update', 'adminUser.delete', 'adminSession.read', 'adminAuth.unlinkAll'];

function section(title, ...body) {
  return h('section.card', h('h2', title), ...body);
}

export function settingsPage(session) {
  const u = session.user;
  const keys = h('div');
  const sessions = h('div');
  const el = h('section.page.settings-page',
    h('header.page-head', h('div.titles', h('h1', 'Settings'))),
    section('Account',
      h('dl.kv', h('dt', 'Name'), h('dd', u.name), h('dt', 'Email'), h('dd', u.email), h('dt', 'Storage used'),
        h('dd', bytes(u.quotaUsageInBytes || 0), u.quotaSizeInBytes ? ` of ${bytes(u.quotaSizeInBytes)}` : ''))),
    section('Change password', passwordForm()),
    section('API keys', h('p.muted', 'Keys let apps and scripts (like the Immich CLI) use your library.'), keys),
    section('Sessions', h('p.muted', 'Devices and browsers logged in to your account.'), sessions),
    section('iCloud Photos', icloudPanel()),
    section('Map', tileForm()));

  async function drawKeys() {
    const list = (await attempt(() => get('/api-keys'))) || [];
    mount(keys, 
      list.length ? h('ul.rows', list.map((k) => h('li',
        h('span', h('strong', k.name), h('small.muted', ` created ${new Date(k.createdAt).toLocaleDateString()} · ${k.permissions.includes('all') ? 'all permissions' : k.permissions.length + ' permissions'}`)),
        h('button.danger', { type: 'button', onclick: async () => {
          if (!(await confirmDialog('Revoke this key?', `Apps using “${k.name}” will stop working.`, 'Revoke', true))) return;
          if ((await attempt(() => del('/api-keys/' + k.id))) !== undefined) drawKeys();
        } }, 'Revoke')))) : h('p', 'No API keys.'),
      h('button.primary', { type: 'button', onclick: createKey }, 'New API key'));
  }

  async function createKey() {
    const r = await modal('New API key', (close) => {
      const name = h('input', { type: 'text', name: 'keyName', required: true, autofocus: true, value: 'API key' });
      const filter = h('input', { type: 'search', placeholder: 'Filter permissions', 'aria-label': 'Filter permissions' });
      const boxes = PERMISSIONS.map((p) => h('label.perm', { 'data-perm': p }, h('input', { type: 'checkbox', value: p, checked: p === 'all' }), ' ', p));
      filter.addEventListener('input', () => {
        const q = filter.value.toLowerCase();
        for (const b of boxes) b.hidden = !b.dataset.perm.toLowerCase().includes(q);
      });
      return h('form', {
        onsubmit: (e) => {
          e.preventDefault();
          const perms = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
          if (!perms.length) return toast('Choose at least one permission', 'error');
          close({ name: name.value.trim(), permissions: perms });
        },
      }, h('label.field', h('span', 'Name'), name), h('fieldset.perms', h('legend', 'Permissions'), filter, h('div.perm-list', boxes)),
      h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Create')));
    }, { wide: true });
    if (!r) return;
    const created = await attempt(() => post('/api-keys', r));
    if (!created) return;
    await modal('Your new API key', (close) => h('div',
      h('p', 'Copy it now: it will not be shown again.'),
      h('input.secret', { type: 'text', readOnly: true, value: created.secret, 'aria-label': 'API key', onfocus: (e) => e.target.select() }),
      h('div.actions',
        h('button', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(created.secret).then(() => toast('Copied')) }, 'Copy'),
        h('button.primary', { type: 'button', onclick: () => close() }, 'Done'))));
    drawKeys();
  }

  async function drawSessions() {
    const list = (await attempt(() => get('/sessions'))) || [];
    mount(sessions, 
      h('ul.rows', list.map((s) => h('li',
        h('span', h('strong', [s.deviceType, s.deviceOS].filter(Boolean).join(' on ') || 'Unknown device'),
          h('small.muted', ` · last used ${new Date(s.updatedAt).toLocaleString()}`), s.current ? h('span.tag', 'This browser') : null),
        s.current ? null : h('button', { type: 'button', onclick: async () => {
          if ((await attempt(() => del('/sessions/' + s.id))) !== undefined) drawSessions();
        } }, 'Log out')))),
      list.filter((s) => !s.current).length > 1 ? h('button.danger', { type: 'button', onclick: async () => {
        if (!(await confirmDialog('Log out everywhere else?', 'Every other device will need to log in again.', 'Log out others', true))) return;
        if ((await attempt(() => del('/sessions'))) !== undefined) drawSessions();
      } }, 'Log out all other sessions') : null);
  }

  drawKeys();
  drawSessions();
  return { el, title: 'Settings' };
}

function passwordForm() {
  const cur = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'newPassword', autocomplete: 'new-password', required: true, minlength: '8' });
  const again = h('input', { type: 'password', name: 'confirmPassword', autocomplete: 'new-password', required: true });
  const others = h('input', { type: 'checkbox', name: 'invalidateSessions' });
  const form = h('form.narrow', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (next.value !== again.value) return toast('The new passwords differ', 'error');
      const ok = await attempt(() => post('/auth/change-password', { password: cur.value, newPassword: next.value, invalidateSessions: others.checked }, { quiet401: true }));
      if (ok) {
        toast('Password changed');
        form.reset();
      }
    },
  },
  h('label.field', h('span', 'Current password'), cur),
  h('label.field', h('span', 'New password'), next),
  h('label.field', h('span', 'New password again'), again),
  h('label.check', others, ' Log out my other devices'),
  h('button.primary', { type: 'submit' }, 'Change password'));
  return form;
}

function tileForm() {
  const s = tileSettings();
  const url = h('input', { type: 'url', name: 'tileUrl', value: s.url, required: true });
  const attr = h('input', { type: 'text', name: 'tileAttribution', value: s.attribution });
  return h('form.narrow', {
    onsubmit: (e) => {
      e.preventDefault();
      localStorage.setItem('keepsake.tileUrl', url.value.trim());
      localStorage.setItem('keepsake.tileAttribution', attr.value.trim());
      toast('Map tiles saved');
    },
  },
  h('p.muted', 'Raster tiles, with {z}, {x} and {y} in the address ({s} for a/b/c subdomains). Without tile access the map still shows your photos on a plain background.'),
  h('label.field', h('span', 'Tile address'), url),
  h('label.field', h('span', 'Attribution'), attr),
  h('div.actions',
    h('button', { type: 'button', onclick: () => { url.value = DEFAULT_TILE_URL; attr.value = DEFAULT_ATTRIBUTION; } }, 'Use OpenStreetMap'),
    h('button.primary', { type: 'submit' }, 'Save')));
}
