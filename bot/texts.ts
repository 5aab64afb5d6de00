/**
 * Everything the bot says that does not come from the knowledge base, in one
 * place, in plain Indonesian: short sentences, one question per message,
 * and always a way forward (menu, a human, or the office's contacts).
 * Markup is WhatsApp-style (*bold*, _italic_); channels convert it.
 */
import type { OfficeProfile } from '../knowledge/schema.js';

export const BOT_NAME = 'SIRATU';

const MENU_HINT = 'Ketik *0* untuk menu utama atau *petugas* untuk bicara dengan petugas.';

export const texts = {
  menuHint: MENU_HINT,

  greeting: (office: OfficeProfile) =>
    `Halo! Saya *${BOT_NAME}*, asisten chat ${office.shortName}. ` +
    'Saya bisa memberi tahu syarat mengurus dokumen kependudukan, menerima pengaduan, dan menghubungkan Anda dengan petugas.\n' +
    'Tulis saja pertanyaan Anda (misalnya: _syarat KTP hilang_), atau pilih nomor menu di bawah.',

  /** First contact: what we keep and why (UU 27/2022 Pasal 21 asks us to say so). */
  privacyNotice: (office: OfficeProfile) =>
    `_Percakapan ini disimpan oleh ${office.shortName} untuk melayani pertanyaan dan pengaduan Anda. ` +
    'Jangan kirim NIK atau foto KTP/KK kecuali diminta petugas. ' +
    'Anda berhak meminta salinan atau penghapusan data Anda: ketik *petugas*._',

  mainMenu: 'Silakan pilih layanan, atau tulis pertanyaan Anda:',
  subMenu: (title: string) => `*${title}*\nPilih yang sesuai:`,
  unknownChoice: (max: number) => `Maaf, pilihan itu tidak ada. Ketik angka 1 sampai ${max}, atau 0 untuk menu utama.`,

  thanks: 'Sama-sama! Semoga urusannya lancar. Kalau ada pertanyaan lain, tulis saja di sini. 🙏',

  cancelled: 'Baik, dibatalkan. Ada lagi yang bisa saya bantu?',
  nothingToCancel: 'Tidak ada proses yang sedang berjalan. Silakan pilih layanan:',

  fallback: {
    unknown: 'Maaf, saya belum mengerti pertanyaan Anda. Coba tulis dengan kata lain, misalnya: _syarat akta kelahiran_ atau _KK hilang_.',
    unsure: 'Maaf, saya belum yakin maksud Anda. Apakah salah satu dari ini?',
    empty: 'Maaf, pesan Anda kosong atau tidak bisa saya baca. Silakan tulis pertanyaan Anda dengan huruf.',
    injection: 'Maaf, saya hanya bisa membantu informasi layanan kependudukan dan pengaduan.',
    personalData:
      'Maaf, demi perlindungan data pribadi (UU 27/2022), saya tidak bisa mencari atau memberikan data kependudukan orang lain (NIK, KK, alamat). ' +
      'Data Anda sendiri bisa ditanyakan langsung di kantor dengan membawa KTP-el.',
    outOfScope: (pointer: string) => `Maaf, layanan itu bukan kewenangan Dukcapil. ${pointer}`,
    footer: MENU_HINT,
  },

  handoff: {
    open: (office: OfficeProfile) =>
      `Baik, percakapan ini saya teruskan ke petugas ${office.shortName}. ` +
      `Perkiraan waktu tunggu sekitar ${office.expectedAgentWaitMinutes} menit. ` +
      'Selama menunggu, saya tidak akan membalas; petugas akan membaca semua pesan Anda di sini.\n' +
      `Jam layanan petugas: ${office.hoursText}\n` +
      'Ketik *batal* jika tidak jadi.',
    cancelled: 'Baik, permintaan bicara dengan petugas dibatalkan. Saya siap membantu lagi.',
  },

  complaint: {
    intro: 'Baik, saya bantu mencatat pengaduan Anda. Pengaduan akan diteruskan ke petugas dan Anda mendapat nomor untuk memantau statusnya.',
    askCategory: 'Pengaduan Anda tentang apa? Pilih salah satu:',
    askDescription:
      'Ceritakan singkat apa yang terjadi: dokumen apa, kapan, dan di mana. Anda juga boleh mengirim foto bukti.',
    descriptionTooShort: 'Mohon ceritakan sedikit lebih lengkap (minimal satu kalimat), supaya petugas bisa menindaklanjuti.',
    attachmentSaved: (count: number) => `Lampiran diterima (${count} berkas). Silakan lanjutkan dengan menuliskan ceritanya.`,
    askLocation: 'Di kecamatan atau kelurahan mana Anda tinggal? Ketik namanya, atau *lewati*.',
    locationUnknown: (region: string) =>
      `Nama itu tidak ada di daftar kecamatan/kelurahan ${region}. Coba ketik lagi, pilih dari daftar, atau ketik *lewati*.`,
    askName: 'Siapa nama Anda? (boleh dikosongkan: ketik *lewati*)',
    askPhone:
      'Nomor HP yang bisa dihubungi petugas? Nomor ini juga dipakai untuk memastikan hanya Anda yang bisa melihat status pengaduan. (ketik *lewati* jika tidak mau)',
    phoneInvalid: 'Nomor HP belum benar. Contoh: 081234567890. Ketik lagi, atau *lewati*.',
    confirm: (summary: string) => `Mohon periksa pengaduan Anda:\n${summary}\n\nKetik *ya* untuk mengirim, atau *batal* untuk membatalkan.`,
    confirmAgain: 'Ketik *ya* untuk mengirim pengaduan, atau *batal* untuk membatalkan.',
    filed: (number: string, confidential: boolean) =>
      `Terima kasih, pengaduan Anda sudah kami terima.\nNomor pengaduan: *${number}*\n` +
      'Simpan nomor ini. Untuk cek status, kirim nomor tersebut kapan saja di sini. ' +
      'Petugas akan memverifikasi dan menindaklanjuti paling lambat 3 hari kerja.' +
      (confidential ? '\nLaporan seperti ini dirahasiakan: identitas Anda tidak diberitahukan kepada pihak yang dilaporkan.' : ''),
    skip: 'lewati',
  },

  status: {
    askNumber: 'Silakan ketik nomor pengaduan Anda (contoh: *ADU-2026-000123*).',
    yourTickets: (lines: string) => `Pengaduan Anda yang tercatat:\n${lines}\n\nKetik nomornya untuk melihat rincian.`,
    notYours: (number: string) =>
      `Pengaduan *${number}* tidak tercatat atas nama akun chat ini. ` +
      'Jika Anda melapor dari aplikasi atau nomor lain, ketik nomor HP yang Anda berikan saat melapor.',
    verificationFailed: 'Maaf, data tidak cocok. Demi keamanan, status pengaduan hanya bisa dilihat oleh pelapornya.',
    tooManyAttempts: 'Maaf, sudah terlalu banyak percobaan. Silakan datang ke kantor atau hubungi petugas untuk cek status.',
    codeSent: (maskedPhone: string) =>
      `Untuk memastikan ini Anda, kami mengirim kode 6 angka lewat WhatsApp ke nomor ${maskedPhone}. Ketik kodenya di sini (berlaku 10 menit).`,
    codeMessage: (code: string, number: string) =>
      `Kode verifikasi SIRATU: *${code}*\nKetik kode ini di chat tempat Anda menanyakan pengaduan ${number}. Jangan berikan kode ini kepada siapa pun.`,
    codeWrong: 'Kode tidak cocok. Periksa lagi pesan WhatsApp dari kami, lalu ketik kodenya.',
    codeExpired: 'Kode sudah tidak berlaku. Ketik nomor pengaduan Anda lagi untuk meminta kode baru.',
    changed: (number: string, status: string, note?: string) =>
      `Ada kabar untuk pengaduan Anda *${number}*: statusnya sekarang *${status}*.` + (note ? `\nKeterangan petugas: ${note}` : '') +
      '\nUntuk melihat status kapan saja, kirim nomor pengaduan tersebut di sini.',
    report: (number: string, status: string, updated: string, note?: string) =>
      `Status pengaduan *${number}*: *${status}*\nPembaruan terakhir: ${updated}` + (note ? `\nKeterangan: ${note}` : ''),
  },

  attachmentOutsideFlow:
    'Terima kasih, berkas Anda sudah kami terima. Jika ini bukti pengaduan, ketik *pengaduan* untuk membuat laporan.',

  rating: {
    askConversation: 'Percakapan dengan petugas sudah selesai. Bagaimana penilaian Anda atas pelayanan kami? Pilih 1 (buruk) sampai 5 (sangat baik).',
    askTicket: 'Bagaimana penilaian Anda atas penanganan pengaduan ini? Pilih 1 (buruk) sampai 5 (sangat baik).',
    thanksGood: 'Terima kasih atas penilaian Anda! Semoga urusan Anda lancar.',
    thanksLow: 'Terima kasih atas penilaian Anda. Kami akan memperbaiki pelayanan. Jika ingin menyampaikan keluhan, ketik *pengaduan*.',
  },

  helpdesk: {
    joined: (name: string) => `Anda sekarang dilayani oleh petugas *${name}*. Silakan sampaikan keperluan Anda.`,
    handedBack: 'Petugas sudah selesai membantu. Saya siap menjawab lagi: tulis pertanyaan Anda atau pilih menu.',
    noAgent: (number: string, office: OfficeProfile, when: string) =>
      `Mohon maaf, saat ini belum ada petugas yang bisa membalas. Permintaan Anda kami catat dengan nomor *${number}*, ` +
      `dan petugas ${office.shortName} akan menghubungi Anda ${when}.\nJam layanan petugas: ${office.hoursText}\n` +
      'Sementara itu, saya tetap bisa menjawab pertanyaan syarat dokumen: ketik *batal* lalu tulis pertanyaan Anda.',
    offHoursTicket: (number: string, office: OfficeProfile, when: string) =>
      `Baik, permintaan Anda untuk bicara dengan petugas kami catat dengan nomor *${number}*. ` +
      `Saat ini di luar jam layanan; petugas ${office.shortName} akan membalas di sini ${when}. Pesan Anda tetap tersimpan.\n` +
      `Jam layanan petugas: ${office.hoursText}\nKetik *batal* jika tidak jadi.`,
  },

  /** Messages the engine cannot read (on channels that carry them, e.g. WhatsApp): a polite way forward. */
  unreadable: {
    voice: 'Maaf, pesan suara belum bisa kami proses. Silakan ketik pertanyaan Anda, misalnya: _syarat KTP hilang_.',
    video: 'Maaf, video belum bisa kami proses. Silakan ketik pertanyaan Anda. Untuk bukti pengaduan, kirim foto atau PDF.',
    location: 'Maaf, lokasi yang dibagikan belum bisa kami baca. Silakan ketik nama kecamatan atau kelurahan Anda.',
    sticker: 'Maaf, stiker belum bisa kami baca. Silakan ketik pertanyaan Anda dengan huruf.',
    contact: 'Maaf, kartu kontak belum bisa kami proses. Jika ingin memberi nomor HP, silakan ketik nomornya.',
    fileType: 'Maaf, berkas jenis ini belum bisa kami terima. Silakan kirim foto (JPG/PNG) atau PDF.',
    fileTooLarge: 'Maaf, berkas Anda terlalu besar (maksimal 5 MB). Silakan kirim foto atau PDF yang lebih kecil.',
    downloadFailed: 'Maaf, berkas Anda gagal kami terima. Silakan kirim ulang, atau ketik pertanyaan Anda.',
    other: 'Maaf, pesan jenis ini belum bisa kami proses. Silakan ketik pertanyaan Anda dengan huruf.',
  },

  /**
   * A message that reached us hours late (the channel was disconnected): it is not answered
   * blindly; a human reads it, and the citizen may go back to the bot with "batal".
   */
  late: (office: OfficeProfile, sentAt: string, whenAgents: string) =>
    `Mohon maaf, pesan Anda (dikirim ${sentAt}) baru sampai ke kami sekarang karena layanan chat kami sempat terputus. ` +
    `Supaya tidak salah menjawab, pesan Anda kami teruskan ke petugas ${office.shortName}, yang akan membalas di sini ${whenAgents}.\n` +
    'Jika ingin langsung dijawab otomatis, ketik *batal* lalu tulis lagi pertanyaan Anda.',
  /** Sent once when a citizen goes over RATE_LIMIT_PER_MINUTE (bot/rate-limit.ts); later messages in the window are kept, not answered. */
  rateLimited:
    'Mohon maaf, pesan Anda terlalu banyak dalam waktu singkat. Mohon tunggu sekitar satu menit, lalu kirim lagi pertanyaan Anda. ' +
    'Pesan yang sudah terkirim tetap kami simpan dan bisa dibaca petugas.',
} as const;

/** Number words citizens type for menu choices. */
export const NUMBER_WORDS: Record<string, number> = {
  nol: 0,
  kosong: 0,
  satu: 1,
  pertama: 1,
  dua: 2,
  kedua: 2,
  tiga: 3,
  ketiga: 3,
  empat: 4,
  keempat: 4,
  lima: 5,
  kelima: 5,
  enam: 6,
  keenam: 6,
  tujuh: 7,
  ketujuh: 7,
  delapan: 8,
  kedelapan: 8,
  sembilan: 9,
  kesembilan: 9,
};
