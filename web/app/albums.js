// Why this file exists: albums — the list with covers and counts, creating
// one, and an album's own page: its photos in the shared grid (filtered by
// albumId on the timeline endpoints), rename, description, adding photos
// with a picker grid, removing them, choosing the cover, sharing with other
// users as editor or viewer, and deleting the album.

import { get, post, put, patch, del, media } from './api.js';
import { h, icon, iconButton, attempt, toast, modal, promptDialog, confirmDialog, mount } from './dom.js';
import { createGrid } from './grid.js';
import { bucketSource } from './timeline.js';
import { setFavorite, download, addToAlbum } from './actions.js';
import { navigate } from './router.js';
import { plural, dateLong } from './format.js';

async function createAlbum() {
  const name = await promptDialog('New album', 'Album name', '', 'Create');
  if (!name) return;
  const al = await attempt(() => post('/albums', { albumName: name }));
  if (al) navigate('/albums/' + al.id, { state: { inApp: true } });
}

export function albumsPage() {
  const list = h('ul.album-grid', { 'aria-label': 'Albums' });
  const status = h('p.muted', 'Loading…');
  const el = h('section.page.albums-page',
    h('header.page-head', h('div.titles', h('h1', 'Albums'), status),
      h('div.tools', h('button.primary', { type: 'button', onclick: createAlbum }, icon('plus', 18), 'Create album'))),
    list);
  attempt(async () => {
    const albums = await get('/albums');
    albums.sort((a, b) => (b.updatedAt || '').localeCompare(a.updatedAt || ''));
    status.textContent = albums.length ? plural(albums.length, 'album') : 'No albums yet. Create one, or select photos and choose “Add to album”.';
    mount(list, ...albums.map(albumCard));
  });
  return { el, title: 'Albums' };
}

function albumCard(al) {
  const shared = al.shared ? h('span.tag', 'Shared') : null;
  return h('li.album-card', h('a', { href: '/albums/' + al.id },
    h('div.cover', al.albumThumbnailAssetId ? h('img', { src: media.thumb(al.albumThumbnailAssetId), alt: '', loading: 'lazy', onerror: (e) => e.target.remove() }) : icon('album', 48)),
    h('h2.album-name', al.albumName),
    h('p.muted', plural(al.assetCount, 'item'), shared ? ' · ' : '', shared)));
}

export function albumPage(id, session) {
  let album = null;
  let role = 'viewer';
  const title = h('h1.album-title', '…');
  const desc = h('p.album-desc.muted');
  const meta = h('p.muted');
  const tools = h('div.tools');
  const head = h('header.page-head', h('div.titles', title, meta, desc), tools);
  const canEdit = () => role === 'owner' || role === 'editor';

  const grid = createGrid({
    source: bucketSource({ albumId: id }),
    basePath: '/albums/' + id,
    label: 'Album photos',
    empty: h('div', h('p', 'This album is empty.'), h('p.muted', 'Use “Add photos”, or select photos in the timeline and choose “Add to album”.')),
    actions: [
      { icon: 'heart', label: 'Favourite', when: () => true, run: async (ids, g) => {
        const all = ids.every((x) => g.asset(x) && g.asset(x).isFavorite);
        if (await setFavorite(ids, !all)) g.patchAssets(ids, { isFavorite: !all });
      } },
      { icon: 'album', label: 'Add to album', run: (ids) => addToAlbum(ids) },
      { icon: 'download', label: 'Download', run: (ids) => download(ids) },
      { icon: 'star', label: 'Use as album cover', when: (ids) => ids.length === 1 && canEdit(), run: async (ids, g) => { await setCover(ids[0]); g.clearSelection(); } },
      { icon: 'close', label: 'Remove from album', showLabel: true, when: () => canEdit(), run: async (ids, g) => {
        const r = await attempt(() => del(`/albums/${id}/assets`, { ids }));
        if (r) {
          toast(`Removed ${plural(r.filter((x) => x.success).length, 'photo')} from the album`);
          g.removeAssets(ids);
          load();
        }
      } },
    ],
  });

  async function setCover(assetId) {
    const r = await attempt(() => patch('/albums/' + id, { albumThumbnailAssetId: assetId }));
    if (r) {
      album = r;
      toast('Album cover changed');
    }
  }

  async function load() {
    const al = await attempt(() => get('/albums/' + id));
    if (!al) return;
    album = al;
    const me = al.albumUsers.find((u) => u.user.id === session.user.id);
    role = me ? me.role : 'viewer';
    draw();
  }

  function draw() {
    const al = album;
    title.textContent = al.albumName;
    document.title = al.albumName + ' – Keepsake';
    desc.textContent = al.description || (canEdit() ? '' : '');
    const span = al.startDate ? `${dateLong(Date.parse(al.startDate))}${al.endDate && al.endDate.slice(0, 10) !== al.startDate.slice(0, 10) ? ' – ' + dateLong(Date.parse(al.endDate)) : ''} · ` : '';
    const members = al.albumUsers.length > 1 ? ` · shared with ${al.albumUsers.filter((u) => u.role !== 'owner').map((u) => `${u.user.name} (${u.role})`).join(', ')}` : '';
    meta.textContent = `${span}${plural(al.assetCount, 'item')}${members}`;
    const items = [];
    if (canEdit()) {
      items.push(h('button.primary', { type: 'button', onclick: addPhotos }, icon('plus', 18), 'Add photos'));
      items.push(iconButton('edit', 'Rename and describe', edit, { showLabel: false }));
    }
    if (role === 'owner') {
      items.push(iconButton('share', 'Share', share));
      items.push(iconButton('trash', 'Delete album', remove));
    } else {
      items.push(h('button', { type: 'button', onclick: leave }, 'Leave album'));
    }
    mount(tools, ...items);
  }

  async function edit() {
    const r = await modal('Edit album', (close) => {
      const name = h('input', { type: 'text', value: album.albumName, required: true, autofocus: true });
      const d = h('textarea', { rows: '3', value: album.description || '' });
      return h('form', { onsubmit: (e) => { e.preventDefault(); close({ albumName: name.value.trim(), description: d.value }); } },
        h('label.field', h('span', 'Name'), name),
        h('label.field', h('span', 'Description'), d),
        h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Save')));
    });
    if (!r) return;
    const al = await attempt(() => patch('/albums/' + id, r));
    if (al) {
      album = al;
      draw();
      toast('Album saved');
    }
  }

  async function remove() {
    if (!(await confirmDialog('Delete this album?', `“${album.albumName}” will be deleted. Its photos stay in your library.`, 'Delete album', true))) return;
    if ((await attempt(() => del('/albums/' + id))) !== undefined) navigate('/albums', { replace: true });
  }

  async function leave() {
    if (!(await confirmDialog('Leave this album?', 'You will no longer see it.', 'Leave'))) return;
    if ((await attempt(() => del(`/albums/${id}/user/me`))) !== undefined) navigate('/albums', { replace: true });
  }

  async function share() {
    const users = (await attempt(() => get('/users'))) || [];
    await modal('Share “' + album.albumName + '”', (close) => {
      const body = h('div.share');
      const drawShare = () => {
        const memberIds = new Set(album.albumUsers.map((u) => u.user.id));
        const others = users.filter((u) => !memberIds.has(u.id));
        const who = h('select', { 'aria-label': 'User' }, others.map((u) => h('option', { value: u.id }, `${u.name} <${u.email}>`)));
        const roleSel = h('select', { 'aria-label': 'Role' }, h('option', { value: 'editor' }, 'Can add and remove photos (editor)'), h('option', { value: 'viewer' }, 'Can only look (viewer)'));
        mount(body, 
          h('h3', 'People'),
          h('ul.members', album.albumUsers.map((m) => h('li',
            h('span', `${m.user.name} `, h('small.muted', m.user.email)),
            m.role === 'owner' ? h('span.tag', 'Owner') : [
              h('select', {
                'aria-label': `Role of ${m.user.name}`,
                onchange: (e) => attempt(async () => {
                  await put(`/albums/${id}/user/${m.user.id}`, { role: e.target.value });
                  m.role = e.target.value;
                  toast('Role changed');
                }),
              }, ['editor', 'viewer'].map((r) => h('option', { value: r, selected: m.role === r }, r))),
              iconButton('close', `Remove ${m.user.name}`, () => attempt(async () => {
                await del(`/albums/${id}/user/${m.user.id}`);
                album.albumUsers = album.albumUsers.filter((x) => x !== m);
                drawShare();
              })),
            ]))),
          others.length
            ? h('form.add-member', {
              onsubmit: (e) => {
                e.preventDefault();
                attempt(async () => {
                  album = await put(`/albums/${id}/users`, { albumUsers: [{ userId: who.value, role: roleSel.value }] });
                  toast('Shared');
                  drawShare();
                });
              },
            }, who, roleSel, h('button.primary', { type: 'submit' }, 'Share'))
            : h('p.muted', users.length ? 'Everyone on this server can already see this album.' : 'There are no other users on this server yet.'),
          h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Done')));
      };
      drawShare();
      return body;
    }, { wide: true });
    load();
  }

  /** A picker: the whole timeline in selection mode; "Add" puts the selection in the album. */
  async function addPhotos() {
    let picker;
    const added = await modal('Add photos to “' + album.albumName + '”', (close) => {
      const addBtn = h('button.primary', {
        type: 'button',
        onclick: () => close([...picker.selection]),
      }, 'Add selected');
      picker = createGrid({ source: bucketSource({ visibility: 'timeline' }), basePath: '', label: 'Pick photos', actions: [], selectOnClick: true });
      picker.el.classList.add('picker', 'selecting');
      return h('div.picker-body', h('p.muted', 'Click photos to select them; shift-click selects a range.'), picker.el,
        h('div.actions', h('button', { type: 'button', onclick: () => close() }, 'Cancel'), addBtn));
    }, { wide: true });
    if (picker) picker.destroy();
    if (!added || !added.length) return;
    const r = await attempt(() => put(`/albums/${id}/assets`, { ids: added }));
    if (r) {
      toast(`Added ${plural(r.filter((x) => x.success).length, 'photo')}`);
      await grid.refresh();
      load();
    }
  }

  load();
  const el = h('section.page.grid-host', head, grid.el);
  return {
    el,
    grid,
    album: () => ({ get canEdit() { return canEdit(); }, setCover }),
    onAssetChanged: () => grid.refresh(),
    destroy: () => grid.destroy(),
  };
}
