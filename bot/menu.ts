/**
 * The numbered menu for people who would rather tap or type "1" than write
 * a question: at most 9 items, at most 2 levels, "0" goes back.
 */
import type { ReplyOption } from './types.js';
import { NUMBER_WORDS } from './texts.js';

/** What choosing a menu item does. */
export type MenuAction =
  | { type: 'entry'; entry: string }
  | { type: 'submenu'; menu: string }
  | { type: 'complaint' }
  | { type: 'status' }
  | { type: 'handoff' };

export interface MenuItem {
  label: string;
  action: MenuAction;
}

export interface Menu {
  id: string;
  title: string;
  items: MenuItem[];
}

const entry = (label: string, id: string): MenuItem => ({ label, action: { type: 'entry', entry: id } });
const submenu = (label: string, id: string): MenuItem => ({ label, action: { type: 'submenu', menu: id } });

export const MAIN_MENU = 'main';

export const MENUS: Record<string, Menu> = {
  main: {
    id: 'main',
    title: 'Menu utama',
    items: [
      submenu('KTP-el', 'ktp'),
      submenu('Kartu Keluarga (KK)', 'kk'),
      submenu('Akta kelahiran & KIA', 'lahir'),
      entry('Akta kematian', 'akta-kematian'),
      submenu('Pindah domisili', 'pindah'),
      submenu('Perkawinan, perceraian & perubahan akta', 'akta'),
      submenu('Jam layanan, antrian & biaya', 'kantor'),
      submenu('Pengaduan & cek status', 'pengaduan'),
      { label: 'Bicara dengan petugas', action: { type: 'handoff' } },
    ],
  },
  ktp: {
    id: 'ktp',
    title: 'KTP-el',
    items: [entry('KTP-el baru (rekam)', 'ktp-baru'), entry('KTP-el hilang atau rusak', 'ktp-hilang-rusak'), entry('Ubah data KTP-el', 'ktp-perubahan'), entry('KTP digital (IKD)', 'ikd')],
  },
  kk: {
    id: 'kk',
    title: 'Kartu Keluarga (KK)',
    items: [entry('KK baru / pisah KK', 'kk-baru'), entry('Tambah/kurang anggota, ubah data KK', 'kk-perubahan'), entry('KK hilang atau rusak', 'kk-hilang-rusak')],
  },
  lahir: {
    id: 'lahir',
    title: 'Akta kelahiran & KIA',
    items: [entry('Akta kelahiran', 'akta-kelahiran'), entry('Kartu Identitas Anak (KIA)', 'kia'), entry('Pengakuan anak', 'pengakuan-anak'), entry('Pengesahan anak', 'pengesahan-anak')],
  },
  pindah: {
    id: 'pindah',
    title: 'Pindah domisili',
    items: [entry('Pindah ke luar kota', 'pindah-keluar'), entry('Datang dari luar kota', 'pindah-datang'), entry('Pindah dalam kota', 'pindah-dalam-kota')],
  },
  akta: {
    id: 'akta',
    title: 'Perkawinan, perceraian & perubahan akta',
    items: [
      entry('Akta perkawinan', 'akta-perkawinan'),
      entry('Akta perceraian', 'akta-perceraian'),
      entry('Ganti nama', 'perubahan-nama'),
      entry('Pembetulan akta (salah ketik)', 'pembetulan-akta'),
      entry('Legalisir dokumen', 'legalisir'),
    ],
  },
  kantor: {
    id: 'kantor',
    title: 'Jam layanan, antrian & biaya',
    items: [entry('Jam layanan & lokasi', 'jam-layanan'), entry('Nomor antrian online', 'antrian'), entry('Biaya (gratis)', 'biaya'), entry('Lama proses', 'waktu-proses')],
  },
  pengaduan: {
    id: 'pengaduan',
    title: 'Pengaduan & cek status',
    items: [
      { label: 'Buat pengaduan', action: { type: 'complaint' } },
      { label: 'Cek status pengaduan', action: { type: 'status' } },
    ],
  },
};

export function menuOptions(menu: Menu): ReplyOption[] {
  return menu.items.map((item, index) => ({ label: `${index + 1}. ${item.label}`, value: item.label }));
}

const simplify = (text: string) => text.toLowerCase().replace(/^\s*\d+\s*[.)]\s*/u, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * Reads a menu choice: "2", "dua", "2." or the item's label. Returns the
 * 1-based item number (possibly out of range), `back` for 0, or undefined
 * when the text is not a choice.
 */
export function readChoice(menu: Menu, text: string): number | 'back' | undefined {
  const trimmed = text.trim().toLowerCase().replace(/[.)!]+$/u, '');
  const number = /^\d{1,2}$/u.test(trimmed) ? Number(trimmed) : NUMBER_WORDS[trimmed];
  if (number === 0) return 'back';
  if (number !== undefined) return number;
  const wanted = simplify(text);
  const index = menu.items.findIndex((item) => simplify(item.label) === wanted);
  return index >= 0 ? index + 1 : undefined;
}
