// The secret the workerd-auth test project runs with (vitest.config.ts binds it as AUTH_SECRET).
export const TEST_AUTH_SECRET = "test-secret-for-edgesync-workerd-tests";
