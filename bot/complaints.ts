/** Complaint categories, in the order the intake offers them. */
export interface ComplaintCategory {
  id: string;
  label: string;
  /** Reports against staff: only supervisors see them, and the citizen is told they are kept confidential. */
  confidential: boolean;
}

export const COMPLAINT_CATEGORIES: ComplaintCategory[] = [
  { id: 'lambat', label: 'Dokumen belum jadi / proses lambat', confidential: false },
  { id: 'pungli', label: 'Diminta uang (pungutan liar)', confidential: true },
  { id: 'calo', label: 'Calo', confidential: true },
  { id: 'sikap-petugas', label: 'Sikap petugas', confidential: false },
  { id: 'data-salah', label: 'Data atau dokumen salah', confidential: false },
  { id: 'layanan', label: 'Antrian, sistem atau fasilitas', confidential: false },
  { id: 'lainnya', label: 'Lainnya', confidential: false },
];

/** Not offered in the intake: the ticket a handoff becomes when no agent can answer (off hours, no one free). */
export const AGENT_REQUEST: ComplaintCategory = { id: 'permintaan-petugas', label: 'Permintaan bicara dengan petugas', confidential: false };

/** Every ticket category, for labels and filters. */
export const TICKET_CATEGORIES: ComplaintCategory[] = [...COMPLAINT_CATEGORIES, AGENT_REQUEST];

export function complaintCategory(id: string | undefined): ComplaintCategory | undefined {
  return TICKET_CATEGORIES.find((category) => category.id === id);
}
