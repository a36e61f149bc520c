/**
 * Where `auto` keeps its measured choices: one JSON file per store directory (VS Code: the extension's global
 * storage; CLI: $TENSORSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/tensorscope, else ~/.cache/tensorscope). Choices are
 * filed under a scope naming this machine, the onnxruntime version and what decides which providers can run
 * (CUDA provider installed, Vulkan driver override), so another machine, an onnxruntime upgrade or a newly
 * installed provider measures again.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProviderName } from './providers';
import { probeCuda } from './providerProbe';

export interface StoredChoice {
  provider: ProviderName;
  /** the median run time of each provider measured, ms */
  times: Partial<Record<ProviderName, number>>;
  reason: string;
  /** providers that could not run the graph when measured */
  failed?: ProviderName[];
  /** ISO time of the measurement */
  at: string;
}

interface StoreFile {
  format: 1;
  scopes: Record<string, Record<string, StoredChoice>>;
}

export const STORE_FILE = 'provider-choice.json';

let storeDir: string | null | undefined;

/** Set where choices are kept (null: in memory only, for this process). */
export function setChoiceStoreDir(dir: string | null): void {
  storeDir = dir;
  memory = null;
}

export function defaultCacheDir(): string {
  if (process.env.TENSORSCOPE_CACHE_DIR) return process.env.TENSORSCOPE_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tensorscope');
}

export function choiceStorePath(): string | null {
  const dir = storeDir === undefined ? defaultCacheDir() : storeDir;
  return dir === null ? null : path.join(dir, STORE_FILE);
}

let ortVersion = 'unknown';

/** The onnxruntime version the choices were measured with (set by session.ts, which loads onnxruntime). */
export function setOrtVersion(v: string): void {
  ortVersion = v;
}

export function choiceScope(): string {
  const cpus = os.cpus();
  const cuda = probeCuda() === null ? 'cuda installed' : 'no cuda';
  const vk = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? 'system vulkan';
  return `onnxruntime ${ortVersion} | ${os.hostname()} | ${cpus[0]?.model.trim() ?? 'cpu'} ×${cpus.length} | ${cuda} | ${vk}`;
}

let memory: Map<string, StoredChoice> | null = null;

function readFile(file: string): StoreFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
    if (parsed && parsed.format === 1 && typeof parsed.scopes === 'object' && parsed.scopes) return parsed;
  } catch { /* missing or unreadable: start afresh */ }
  return { format: 1, scopes: {} };
}

function loaded(): Map<string, StoredChoice> {
  if (memory) return memory;
  const file = choiceStorePath();
  memory = new Map(file ? Object.entries(readFile(file).scopes[choiceScope()] ?? {}) : []);
  return memory;
}

export function storedChoice(key: string): StoredChoice | undefined {
  return loaded().get(key);
}

/** Record a choice, in memory and (merged with what other processes wrote meanwhile) in the store file. */
export function storeChoice(key: string, c: StoredChoice): void {
  loaded().set(key, c);
  const file = choiceStorePath();
  if (!file) return;
  try {
    const data = readFile(file);
    const scope = choiceScope();
    data.scopes[scope] = { ...(data.scopes[scope] ?? {}), [key]: c };
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 1));
    renameSync(tmp, file);
  } catch {
    // a read-only home: the choice still holds for this process
  }
}

/** Forget the choices of this scope (in memory; the file is left). */
export function forgetChoices(): void {
  memory = new Map();
}
