/**
 * The knowledge base as the engine sees it: the published entries from the
 * store, the office profile, and the NLU built from them. The store is the
 * source of truth; every instance checks its revision and rebuilds when an
 * admin publishes, so an edit is live everywhere without a restart.
 */
import type { Language } from '../knowledge/load.js';
import type { EventBus } from './bus.js';
import type { Entry, OfficeProfile } from '../knowledge/schema.js';
import { Understander } from './nlu/understand.js';
import type { Store } from './store/types.js';

export const OFFICE_SETTING = 'office';

export interface KnowledgeSnapshot {
  /** Knowledge revision and office-profile revision: changes when either is edited. */
  revision: string;
  entries: Map<string, Entry>;
  office: OfficeProfile;
  understander: Understander;
}

export class KnowledgeBase {
  private snapshot: KnowledgeSnapshot | undefined;
  private checkedAt = 0;
  private loading: Promise<KnowledgeSnapshot> | undefined;

  /**
   * @param maxAgeMs how long a snapshot is used before the store's revision is checked again
   */
  constructor(
    private readonly store: Store,
    private readonly language: Language,
    private readonly maxAgeMs = 2000,
  ) {}

  /** The current snapshot; re-checks the store's revision at most every `maxAgeMs`. */
  async current(now = Date.now()): Promise<KnowledgeSnapshot> {
    if (this.snapshot && now - this.checkedAt < this.maxAgeMs) return this.snapshot;
    this.loading ??= this.refresh().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Forces the next `current()` to look at the store (after a local publish). */
  invalidate(): void {
    this.checkedAt = 0;
  }

  /** Reloads as soon as any instance publishes (the revision check every `maxAgeMs` remains the fallback). */
  follow(events: EventBus): this {
    events.on('knowledge', () => this.invalidate());
    return this;
  }

  /**
   * The NLU as it would be with `entry` published (replacing the entry with
   * its id, or added): the admin area's "try a question" compares the two.
   */
  async trial(entry: Entry): Promise<Understander> {
    const { entries, office } = await this.current();
    const changed = new Map(entries).set(entry.id, entry);
    return new Understander({ language: this.language, entries: [...changed.values()], office });
  }

  private async refresh(): Promise<KnowledgeSnapshot> {
    const revision = await this.store.knowledge.revision();
    const officeRevision = await this.store.settings.get<number>(`${OFFICE_SETTING}.revision`);
    const key = `${revision}:${officeRevision ?? 0}`;
    if (!this.snapshot || this.snapshot.revision !== key) {
      const [entries, office] = await Promise.all([this.store.knowledge.published(), this.store.settings.get<OfficeProfile>(OFFICE_SETTING)]);
      if (!office) throw new Error('Profil kantor belum ada di penyimpanan: jalankan seedKnowledge() saat start.');
      this.snapshot = {
        revision: key,
        entries: new Map(entries.map((entry) => [entry.id, entry])),
        office,
        understander: new Understander({ language: this.language, entries, office }),
      };
    }
    this.checkedAt = Date.now();
    return this.snapshot;
  }
}

/**
 * First start: copies the shipped entries and office profile into the store.
 * Entries already in the store are left alone (admins may have edited them).
 */
export async function seedKnowledge(store: Store, entries: Entry[], office: OfficeProfile): Promise<{ seeded: number }> {
  const existing = new Set((await store.knowledge.published()).map((entry) => entry.id));
  let seeded = 0;
  for (const entry of entries) {
    if (existing.has(entry.id)) continue;
    await store.knowledge.publish(entry, 'seed', 'Data awal dari repositori');
    seeded++;
  }
  if (!(await store.settings.get(OFFICE_SETTING))) {
    await store.settings.put(OFFICE_SETTING, office);
    await store.settings.put(`${OFFICE_SETTING}.revision`, 1);
  }
  return { seeded };
}
