import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    restoreMocks: true,
    unstubEnvs: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Fails any test whose printed output (or the answers a suite hands it) carries a Fingerprint key or an auth
    // header value; it cannot be bypassed by spying on process.stdout.
    setupFiles: ['test/support/leak-guard.ts'],
    // Tests run on Node 20 here while Lambda runs Node 22: the SDK's notice about that is noise.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
