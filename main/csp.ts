/** Content-Security-Policy of the workbench page: only its own scripts, no eval, no remote anything. */
export function contentSecurityPolicy(connect: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Monaco and Svelte transitions set inline styles
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src 'self' ${connect.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Electron: no network at all (IPC only); the dev server needs its HMR socket. */
export function contentSecurityPolicyElectron(dev: boolean): string {
  return contentSecurityPolicy(dev ? ['ws://localhost:*', 'ws://127.0.0.1:*'] : []);
}

/** Web mode: the page's own WebSocket. */
export function contentSecurityPolicyWeb(port: number): string {
  return contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]) + "; frame-ancestors 'none'";
}
