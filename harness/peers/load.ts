/**
 * Loading the peer libraries (optional dependencies, see package.json): each is imported only by
 * the case that runs it, and a peer that is not installed, or whose native part does not load,
 * gets one clear reason instead of a crash.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { PeerRunner } from '../../core/case-spec.js';

/** The npm package behind each peer runner. */
export const PEER_PACKAGE: Readonly<Record<PeerRunner, string>> = {
  duckdb: '@duckdb/node-api',
  'duckdb-stream': '@duckdb/node-api',
  arquero: 'arquero',
  ix: 'ix',
};

/** How the error of a peer's case begins when its library does not load here (see {@link importPeer}). */
export const PEER_NOT_INSTALLED = /^peer '[a-z-]+' did not run: /;

/** Thrown when a peer's library cannot be loaded; the case errors with its message. */
export class PeerUnavailableError extends Error {
  override name = 'PeerUnavailableError';
}

/**
 * Import a peer's module, or throw {@link PeerUnavailableError} saying why it did not load (not
 * installed: npm skips an optional dependency it cannot install).
 */
export async function importPeer<T>(peer: PeerRunner, specifier: string = PEER_PACKAGE[peer]): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' ? 'it is not installed' : `it did not load (${(e as Error).message.split('\n')[0]})`;
    throw new PeerUnavailableError(`peer '${peer}' did not run: its library ${PEER_PACKAGE[peer]} is an optional dependency and ${why}; \`npm install\` installs it where the registry has a build for this machine`);
  }
}

/** The installed version of a peer's package, or undefined when it is not installed. */
export function peerVersion(peer: PeerRunner): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(PEER_PACKAGE[peer]);
    // The package.json next to the resolved entry's package root.
    const root = main.slice(0, main.lastIndexOf(`node_modules/${PEER_PACKAGE[peer]}/`) + `node_modules/${PEER_PACKAGE[peer]}/`.length);
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Why a peer cannot run here (its library does not load), or undefined when it can. The runner
 * asks before measuring, so a missing peer's cases error at once with this reason.
 */
export async function peerUnavailable(peer: PeerRunner): Promise<string | undefined> {
  try {
    await importPeer(peer, PEER_PACKAGE[peer] === 'ix' ? 'ix/iterable' : PEER_PACKAGE[peer]);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
