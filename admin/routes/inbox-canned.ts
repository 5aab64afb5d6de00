/**
 * Canned responses: prepared answers an agent inserts by typing "/" and a
 * shortcut in the reply box. Shared ones (ownerId null) are managed by
 * supervisors and admins; everyone manages their own personal ones.
 *
 *   GET  /inbox/canned               the page: shared and personal, create / edit / delete
 *   GET  /api/inbox/canned           {responses}: what the reply box offers this user
 *   POST /inbox/canned               create {shortcut, title, text, scope: personal|shared}
 *   POST /inbox/canned/:id           edit
 *   POST /inbox/canned/:id/delete    delete
 */
import type { Request, Response, Router } from 'express';
import { DuplicateError, type CannedResponse, type User } from '../../bot/store/types.js';
import { wantsJson } from '../access.js';
import { field } from '../context.js';
import type { Flash } from '../render.js';
import { hasRole } from '../roles.js';
import { type InboxContext, sendFailure, userOf } from './inbox-common.js';

export const SHORTCUT = /^[a-z0-9][a-z0-9_-]{0,29}$/u;
const MAX_TITLE = 80;
const MAX_TEXT = 2000;

const NOTICES: Record<string, Flash> = {
  dibuat: { kind: 'ok', text: 'Jawaban cepat disimpan. Ketik / di kotak balasan untuk memakainya.' },
  diubah: { kind: 'ok', text: 'Jawaban cepat diperbarui.' },
  dihapus: { kind: 'ok', text: 'Jawaban cepat dihapus.' },
};

interface Form {
  shortcut: string;
  title: string;
  text: string;
  scope: 'personal' | 'shared';
}

function readForm(req: Request): Form | { error: string; form: Form } {
  const form: Form = {
    shortcut: field(req, 'shortcut').trim().replace(/^\/+/u, '').toLowerCase(),
    title: field(req, 'title').trim(),
    text: field(req, 'text').replace(/\r\n?/gu, '\n').trim(),
    scope: field(req, 'scope') === 'shared' ? 'shared' : 'personal',
  };
  if (!SHORTCUT.test(form.shortcut)) return { error: 'Pintasan: satu kata, 1–30 huruf kecil, angka, - atau _ (mis. syarat-ktp).', form };
  if (!form.title || form.title.length > MAX_TITLE) return { error: `Judul wajib diisi, paling banyak ${MAX_TITLE} karakter.`, form };
  if (!form.text || form.text.length > MAX_TEXT) return { error: `Isi jawaban wajib diisi, paling banyak ${MAX_TEXT} karakter.`, form };
  return form;
}

const mayManage = (user: User, response: CannedResponse) => (response.ownerId === null ? hasRole(user.role, 'supervisor') : response.ownerId === user.id);

export function cannedRoutes(router: Router, ctx: InboxContext): void {
  const { base, store, render, access, log } = ctx;
  const agent = access.requireRole('agent');

  async function show(req: Request, res: Response, extra: { status?: number; error?: string; form?: Form; editId?: string } = {}) {
    const user = userOf(res);
    const all = await store.cannedResponses.listFor(user.id);
    const item = (response: CannedResponse) => ({ ...response, editable: mayManage(user, response), open: extra.editId === response.id });
    const code = typeof req.query.pesan === 'string' ? req.query.pesan : '';
    render.page(
      res,
      'inbox-canned',
      {
        title: 'Jawaban cepat',
        nav: 'inbox',
        bodyClass: 'page-inbox',
        styles: ['inbox.css'],
        flash: Object.hasOwn(NOTICES, code) ? NOTICES[code] : null,
        shared: all.filter((r) => r.ownerId === null).map(item),
        personal: all.filter((r) => r.ownerId === user.id).map(item),
        supervisor: hasRole(user.role, 'supervisor'),
        error: extra.editId ? '' : (extra.error ?? ''),
        editError: extra.editId ? { id: extra.editId, text: extra.error ?? '' } : null,
        form: extra.editId ? { shortcut: '', title: '', text: '', scope: 'personal' } : (extra.form ?? { shortcut: '', title: '', text: '', scope: 'personal' }),
        editForm: extra.editId ? extra.form : null,
      },
      extra.status ?? 200,
    );
  }

  const refuse = (req: Request, res: Response, status: number, message: string, extra: { form?: Form; editId?: string } = {}) =>
    wantsJson(req) ? sendFailure(ctx, req, res, status, message) : show(req, res, { status, error: message, ...extra });

  router.get('/inbox/canned', agent, (req, res) => show(req, res));

  router.get('/api/inbox/canned', agent, async (_req, res) => {
    const user = userOf(res);
    const responses = await store.cannedResponses.listFor(user.id);
    res.json({ responses: responses.map((r) => ({ id: r.id, shortcut: r.shortcut, title: r.title, text: r.text, shared: r.ownerId === null })) });
  });

  router.post('/inbox/canned', agent, async (req, res) => {
    const user = userOf(res);
    const form = readForm(req);
    if ('error' in form) return refuse(req, res, 400, form.error, { form: form.form });
    if (form.scope === 'shared' && !hasRole(user.role, 'supervisor')) return refuse(req, res, 403, 'Jawaban cepat bersama hanya bisa dibuat supervisor. Simpan sebagai jawaban pribadi.', { form });
    try {
      const created = await store.cannedResponses.create({ shortcut: form.shortcut, title: form.title, text: form.text, ownerId: form.scope === 'shared' ? null : user.id });
      log.info({ canned: created.id, shared: created.ownerId === null, by: user.id }, 'inbox: canned response created');
      if (wantsJson(req)) return void res.status(201).json({ ok: true, id: created.id });
      res.redirect(303, `${base}/inbox/canned?pesan=dibuat`);
    } catch (error) {
      if (error instanceof DuplicateError) return refuse(req, res, 409, `Pintasan /${form.shortcut} sudah dipakai${form.scope === 'shared' ? ' di jawaban bersama' : ' di jawaban pribadi Anda'}. Pilih pintasan lain.`, { form });
      throw error;
    }
  });

  router.post('/inbox/canned/:id', agent, async (req, res) => {
    const user = userOf(res);
    const existing = await store.cannedResponses.get(String(req.params.id));
    if (!existing) return sendFailure(ctx, req, res, 404, 'Jawaban cepat tidak ditemukan.');
    if (!mayManage(user, existing)) return sendFailure(ctx, req, res, 403, existing.ownerId === null ? 'Jawaban bersama hanya bisa diubah supervisor.' : 'Ini jawaban pribadi petugas lain.');
    const form = readForm(req);
    if ('error' in form) return refuse(req, res, 400, form.error, { form: { ...form.form, scope: existing.ownerId === null ? 'shared' : 'personal' }, editId: existing.id });
    try {
      await store.cannedResponses.update(existing.id, { shortcut: form.shortcut, title: form.title, text: form.text });
      if (wantsJson(req)) return void res.json({ ok: true });
      res.redirect(303, `${base}/inbox/canned?pesan=diubah`);
    } catch (error) {
      if (error instanceof DuplicateError) return refuse(req, res, 409, `Pintasan /${form.shortcut} sudah dipakai. Pilih pintasan lain.`, { form, editId: existing.id });
      throw error;
    }
  });

  router.post('/inbox/canned/:id/delete', agent, async (req, res) => {
    const user = userOf(res);
    const existing = await store.cannedResponses.get(String(req.params.id));
    if (!existing) return sendFailure(ctx, req, res, 404, 'Jawaban cepat tidak ditemukan.');
    if (!mayManage(user, existing)) return sendFailure(ctx, req, res, 403, existing.ownerId === null ? 'Jawaban bersama hanya bisa dihapus supervisor.' : 'Ini jawaban pribadi petugas lain.');
    await store.cannedResponses.delete(existing.id);
    if (wantsJson(req)) return void res.json({ ok: true });
    res.redirect(303, `${base}/inbox/canned?pesan=dihapus`);
  });
}
