// Why this file exists: what can be done to photos — favourite, archive, add
// to an album, download, move to trash, restore, delete for good — is the
// same from the grid's selection bar and from the viewer, so it lives here
// once, as functions of asset ids that call the API and report the result.

import { get, post, put, del, media } from './api.js';
import { h, modal, toast, attempt, confirmDialog } from './dom.js';
import { plural } from './format.js';

export async function setFavorite(ids, isFavorite) {
  return attempt(async () => {
    await put('/assets', { ids, isFavorite });
    toast(isFavorite ? `Added ${plural(ids.length, 'photo')} to favourites` : `Removed ${plural(ids.length, 'photo')} from favourites`);
    return true;
  });
}

export async function setArchived(ids, archived) {
  return attempt(async () => {
    await put('/assets', { ids, visibility: archived ? 'archive' : 'timeline' });
    toast(archived ? `Archived ${plural(ids.length, 'photo')}` : `Moved ${plural(ids.length, 'photo')} back to the timeline`);
    return true;
  });
}

export async function moveToTrash(ids) {
  return attempt(async () => {
    await del('/assets', { ids });
    toast(`Moved ${plural(ids.length, 'photo')} to the trash`);
    return true;
  });
}

export async function deleteForever(ids) {
  const ok = await confirmDialog('Delete for good?', `${plural(ids.length, 'photo')} will be deleted permanently. This cannot be undone.`, 'Delete', true);
  if (!ok) return false;
  return attempt(async () => {
    await del('/assets', { ids, force: true });
    toast(`Deleted ${plural(ids.length, 'photo')}`);
    return true;
  });
}

export async function restore(ids) {
  return attempt(async () => {
    await post('/trash/restore/assets', { ids });
    toast(`Restored ${plural(ids.length, 'photo')}`);
    return true;
  });
}

/**
 * Downloads one original as it is, or several as ZIP archives: the server
 * splits the selection into archives of at most 4 GiB (/download/info) and
 * streams each one (/download/archive).
 */
export async function download(ids) {
  if (ids.length === 1) {
    const a = h('a', { href: media.original(ids[0]), download: '' });
    document.body.append(a);
    a.click();
    a.remove();
    return;
  }
  await attempt(async () => {
    const info = await post('/download/info', { assetIds: ids });
    toast(`Preparing ${plural(ids.length, 'photo')} for download…`);
    let n = 0;
    for (const archive of info.archives) {
      n += 1;
      const res = await fetch('/api/download/archive', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ assetIds: archive.assetIds }),
      });
      if (!res.ok) throw new Error(`The download failed (${res.status})`);
      const url = URL.createObjectURL(await res.blob());
      const name = info.archives.length > 1 ? `keepsake-${n}.zip` : 'keepsake.zip';
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }
    return true;
  });
}

/** Asks which album (or a new one) and adds the photos. Resolves with the album id. */
export async function addToAlbum(ids) {
  const albums = await attempt(() => get('/albums'));
  if (!albums) return null;
  albums.sort((a, b) => (b.updatedAt || '').localeCompare(a.updatedAt || ''));
  const choice = await modal('Add to album', (close) => {
    const name = h('input', { type: 'text', placeholder: 'New album name', 'aria-label': 'New album name', name: 'albumName' });
    return h('div.album-picker',
      h('form.new-album', { onsubmit: (e) => { e.preventDefault(); if (name.value.trim()) close({ create: name.value.trim() }); } },
        name, h('button.primary', { type: 'submit' }, 'Create album')),
      albums.length ? h('ul.pick-list', albums.map((al) =>
        h('li', h('button.pick', { type: 'button', onclick: () => close({ id: al.id, name: al.albumName }) },
          al.albumThumbnailAssetId ? h('img', { src: media.thumb(al.albumThumbnailAssetId), alt: '' }) : h('span.noimg'),
          h('span', al.albumName), h('small', plural(al.assetCount, 'item')))))) : h('p.muted', 'No albums yet.'),
      h('div.actions', h('button', { type: 'button', onclick: () => close(undefined) }, 'Cancel')));
  });
  if (!choice) return null;
  return attempt(async () => {
    if (choice.create) {
      const al = await post('/albums', { albumName: choice.create, assetIds: ids });
      toast(`Created “${al.albumName}” with ${plural(ids.length, 'photo')}`);
      return al.id;
    }
    const res = await put(`/albums/${choice.id}/assets`, { ids });
    const added = res.filter((r) => r.success).length;
    const dup = res.filter((r) => r.error === 'duplicate').length;
    toast(`Added ${plural(added, 'photo')} to “${choice.name}”${dup ? ` (${dup} already there)` : ''}`);
    return choice.id;
  });
}

/** The standard selection actions of a grid (timeline, favourites, search…). */
export function standardActions({ archived = false } = {}) {
  return [
    {
      icon: 'heart', label: 'Favourite', run: async (ids, grid) => {
        const all = ids.every((id) => grid.asset(id) && grid.asset(id).isFavorite);
        if (await setFavorite(ids, !all)) grid.patchAssets(ids, { isFavorite: !all });
      },
    },
    {
      icon: 'archive', label: archived ? 'Unarchive' : 'Archive', run: async (ids, grid) => {
        if (await setArchived(ids, !archived)) grid.removeAssets(ids);
      },
    },
    { icon: 'album', label: 'Add to album', run: async (ids, grid) => { if (await addToAlbum(ids)) grid.clearSelection(); } },
    { icon: 'download', label: 'Download', run: (ids) => download(ids) },
    { icon: 'trash', label: 'Delete', run: async (ids, grid) => { if (await moveToTrash(ids)) grid.removeAssets(ids); } },
  ];
}
