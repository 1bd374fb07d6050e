// Helpers for the CLI/process tests: admin API calls and scripts on free ports.
import http from 'node:http';

/** GET/POST on the admin API (127.0.0.1). */
export function admin(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one Prometheus series (exact name and labels), or NaN. */
export function metric(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
