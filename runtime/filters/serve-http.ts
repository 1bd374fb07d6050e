import { DemuxHTTP } from './demux-http.ts';

/**
 * `serveHTTP(handler)`: demuxHTTP whose per-request sub-pipeline is the handler (built by the
 * designer as a replaceMessage over the whole request).
 */
export class ServeHTTP extends DemuxHTTP {
  override clone(): ServeHTTP {
    const f = new ServeHTTP(this.config);
    f.subs = this.subs;
    return f;
  }
  override describe(): string {
    return 'serveHTTP';
  }
  override expectsTo(): boolean {
    return false;
  }
}
