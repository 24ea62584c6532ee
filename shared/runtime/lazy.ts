/**
 * `load` run once, on the first call, its promise shared by every caller after it. A rejected load is not
 * kept: the next call tries again (a module that failed to load, or a client that failed to build, should not
 * fail the instance for the rest of its life). The promise returned has a rejection handler already, so a
 * caller may start a load early and never await it (refusing its call first) without an unhandled rejection.
 *
 * With a dynamic `import()` inside `load`, this is how a function keeps what only some calls need (the
 * Fingerprint client and Secrets Manager for a cache miss, SQS for a dead letter) out of its cold start:
 * esbuild splits the imported module into a chunk of its own, which Node reads and evaluates only then.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  const get = () => {
    if (loading === undefined) {
      loading = load();
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  };
  deferred.add(get);
  return get;
}

/** Every loader {@link lazily} made in this module instance. */
const deferred = new Set<() => Promise<unknown>>();

/**
 * Runs every loader of this module instance now. For tests that run several function instances side by side,
 * each in a module registry of its own (`vi.resetModules()`): an `import()` resolves in whichever registry is
 * current when it runs, so a loader run later would give an instance a second copy of shared modules (and
 * `instanceof` would no longer recognize its errors). Loaded right after the instance's own import, every
 * part of it comes from one registry, as in a bundle.
 */
export async function loadDeferred(): Promise<void> {
  await Promise.all([...deferred].map((get) => get()));
}
