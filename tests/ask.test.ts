/** `npm run -s ask`: the machine interface the answer-quality evaluation uses. */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';

function ask(lines: string[], args: string[] = []): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'ask', '--', ...args], { cwd: new URL('..', import.meta.url).pathname });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ask exited ${code}: ${stderr}`));
      resolve(stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

describe('npm run -s ask', () => {
  it('prints one JSON object per input line, each a fresh conversation', async () => {
    const out = await ask(['ktp sy ilang gmn urusnya', 'syarat bikin paspor', 'mau bicara dengan petugas', 'kalau hilang?']);
    expect(out).toHaveLength(4);
    for (const line of out) expect(Object.keys(line).sort()).toEqual(['confidence', 'entry', 'kind', 'text']);
    expect(out[0]).toMatchObject({ kind: 'answer', entry: 'ktp-hilang-rusak' });
    expect(out[0]!.text).toMatch(/kepolisian/iu);
    expect(out[0]!.confidence).toBeGreaterThanOrEqual(0.5);
    expect(out[1]).toMatchObject({ kind: 'fallback', entry: null });
    expect(out[1]!.text).toMatch(/Imigrasi/u);
    expect(out[2]).toMatchObject({ kind: 'handoff' });
    // Alone, "kalau hilang?" has no document to refer to.
    expect(out[3]!.kind).not.toBe('answer');
  }, 60_000);

  it('keeps one conversation with --session', async () => {
    const out = await ask(['syarat ktp', 'kalau hilang?'], ['--session', 'evaluasi-1']);
    expect(out.map((line) => line.entry)).toEqual(['ktp-baru', 'ktp-hilang-rusak']);
  }, 60_000);
});
